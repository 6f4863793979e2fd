"""Step 1 of the vectorizer with a tiny random Stable Diffusion pipeline built from configs."""

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")

from svg_agent.constraints import validate  # noqa: E402
from svg_agent.errors import ConfigError, InputError  # noqa: E402
from vectorize.pipeline import DiffusionConfig, ImageGenerator, VectorizerPipeline  # noqa: E402


@pytest.fixture(scope="module")
def tiny_sd(tmp_path_factory):
    from tiny_models import tiny_stable_diffusion

    return str(tiny_stable_diffusion(tmp_path_factory.mktemp("sd")))


def test_draws_with_the_requested_size_seed_and_prompt(tiny_sd):
    gen = ImageGenerator(
        DiffusionConfig(model=tiny_sd, steps=2, width=64, height=48, device="cpu", images_per_prompt=2)
    )
    a = gen("a red barn", seed=1)
    assert len(a) == 2 and a[0].size == (64, 48)
    assert gen.last_prompt.startswith("a red barn, flat vector illustration")
    b, c = gen("a red barn", seed=1), gen("a red barn", seed=2)
    assert np.array_equal(np.asarray(a[0]), np.asarray(b[0]))
    assert not np.array_equal(np.asarray(a[0]), np.asarray(c[0]))
    gen.config.scheduler = "euler"
    gen._load()  # switching scheduler keeps the pipeline working
    assert type(gen.pipe.scheduler).__name__ == "EulerDiscreteScheduler" and gen("a barn", seed=1)[0].size == (64, 48)


def test_pipeline_from_description_and_from_image(tiny_sd):
    pipe = VectorizerPipeline(DiffusionConfig(model=tiny_sd, steps=2, width=64, height=64, device="cpu"))
    out = pipe("a purple forest at dusk", max_bytes=4_000, seed=3)
    assert validate(out.svg, max_bytes=4_000).valid and out.bytes <= 4_000
    assert out.image.size == (64, 64) and set(out.seconds) == {"image", "trace"}
    traced = pipe(image=out.image, max_bytes=4_000)
    assert traced.svg == out.svg  # the same image traces to the same SVG
    with pytest.raises(InputError):
        pipe()


def test_bad_settings_and_missing_models_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown scheduler"):
        DiffusionConfig(scheduler="karras-magic")
    with pytest.raises(ConfigError, match="multiples of 8"):
        DiffusionConfig(width=100)
    with pytest.raises(ConfigError, match="could not load the diffusion model"):
        ImageGenerator(DiffusionConfig(model=str(tmp_path / "missing"), device="cpu"))("x")


def test_cli_vectorize_from_a_prompt(tiny_sd, tmp_path):
    from test_cli import run

    out, img = tmp_path / "o.svg", tmp_path / "o.png"
    res = run(
        "vectorize",
        "--prompt",
        "a red barn",
        "--model",
        tiny_sd,
        "--steps",
        "2",
        "--width",
        "64",
        "--height",
        "64",
        "--scheduler",
        "ddim",
        "-o",
        str(out),
        "--save-image",
        str(img),
        "--max-bytes",
        "3000",
    )
    assert res.returncode == 0, res.stderr
    assert validate(out.read_text(), max_bytes=3000).valid and img.exists()
    both = run("vectorize", str(img), "--prompt", "x", "-o", str(out))
    assert both.returncode == 2 and "not both" in both.stderr


def test_dataset_from_descriptions_resumes(tiny_sd, tmp_path):
    from vectorize.dataset import build_dataset, load_records

    lines = tmp_path / "d.txt"
    lines.write_text("a red barn\na blue lake\na green hill\n")
    cfg = DiffusionConfig(model=tiny_sd, steps=2, width=64, height=64, device="cpu")
    whole, part = tmp_path / "whole.jsonl", tmp_path / "part.jsonl"
    assert (
        build_dataset(whole, source="descriptions", descriptions=lines, diffusion=cfg, max_bytes=3000, progress=False)
        == 3
    )
    part.write_text(whole.read_text().splitlines(keepends=True)[0] + '{"id": "vec-0000')  # stopped mid-record
    assert (
        build_dataset(part, source="descriptions", descriptions=lines, diffusion=cfg, max_bytes=3000, progress=False)
        == 3
    )

    # identical records; only the folder the images were saved in is named after each file
    def norm(text):
        return text.replace("part_images", "X").replace("whole_images", "X")

    assert norm(part.read_text()) == norm(whole.read_text())
    assert [r["description"] for r in load_records(whole)] == ["a red barn", "a blue lake", "a green hill"]


def test_sdxl_with_its_refiner(tmp_path):
    from tiny_models import tiny_sdxl

    base, refiner = tiny_sdxl(tmp_path / "sdxl")
    plain = ImageGenerator(DiffusionConfig(model=str(base), steps=4, width=64, height=64, device="cpu"))
    refined = ImageGenerator(
        DiffusionConfig(model=str(base), refiner=str(refiner), steps=4, width=64, height=64, device="cpu")
    )
    a, b, c = plain("a red barn", seed=2)[0], refined("a red barn", seed=2)[0], refined("a red barn", seed=2)[0]
    assert type(refined.refiner).__name__ == "StableDiffusionXLImg2ImgPipeline"
    assert a.size == b.size == (64, 64)
    assert np.array_equal(np.asarray(b), np.asarray(c))  # reproducible
    assert not np.array_equal(np.asarray(a), np.asarray(b))  # the refiner did the last steps
    with pytest.raises(ConfigError, match="refiner_split"):
        DiffusionConfig(refiner_split=1.5)


def test_house_style_lora_and_textual_inversion(tiny_sd, tmp_path):
    pytest.importorskip("peft")
    import torch
    from diffusers import StableDiffusionPipeline
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft import LoraConfig, get_peft_model_state_dict

    pipe = StableDiffusionPipeline.from_pretrained(tiny_sd)
    pipe.unet.add_adapter(LoraConfig(r=4, lora_alpha=4, target_modules=["to_k", "to_q", "to_v", "to_out.0"]))
    torch.manual_seed(0)
    for name, p in pipe.unet.named_parameters():
        if "lora" in name:
            p.data.normal_(0, 0.5)  # a trained adapter is not the identity
    StableDiffusionPipeline.save_lora_weights(
        tmp_path / "lora",
        unet_lora_layers=convert_state_dict_to_diffusers(get_peft_model_state_dict(pipe.unet)),
        safe_serialization=True,
    )
    torch.save({"<house-style>": torch.randn(32)}, tmp_path / "style.bin")

    common = dict(
        model=tiny_sd, steps=2, width=64, height=64, device="cpu", prompt_template="{description} <house-style>"
    )
    plain = np.asarray(ImageGenerator(DiffusionConfig(**common))("a barn", seed=1)[0])
    lora = np.asarray(ImageGenerator(DiffusionConfig(**common, lora=str(tmp_path / "lora")))("a barn", seed=1)[0])
    ti_gen = ImageGenerator(DiffusionConfig(**common, textual_inversion=str(tmp_path / "style.bin")))
    ti = np.asarray(ti_gen("a barn", seed=1)[0])
    assert "<house-style>" in ti_gen.pipe.tokenizer.get_vocab()  # the token is one learned embedding now
    assert not np.array_equal(plain, lora) and not np.array_equal(plain, ti)


def test_missing_style_weights_are_a_clear_error(tiny_sd, tmp_path):
    gen = ImageGenerator(
        DiffusionConfig(model=tiny_sd, steps=2, width=64, height=64, device="cpu", lora=str(tmp_path / "nope"))
    )
    with pytest.raises(ConfigError, match="could not load the style weights"):
        gen("a barn")


def test_a_batch_keeps_the_best_trace_and_records_carry_images_and_questions(tiny_sd, tmp_path):
    from rewards.questions import generate_questions
    from vectorize.dataset import build_dataset, load_records

    pipe = VectorizerPipeline(
        DiffusionConfig(model=tiny_sd, steps=2, width=64, height=64, device="cpu", images_per_prompt=3)
    )
    out = pipe("a red barn", max_bytes=3_000, seed=4)
    assert validate(out.svg, max_bytes=3_000).valid
    lines = tmp_path / "d.txt"
    lines.write_text("a red barn at dusk\n")
    path = tmp_path / "ds.jsonl"
    build_dataset(
        path,
        source="descriptions",
        descriptions=lines,
        progress=False,
        max_bytes=3_000,
        questions_fn=generate_questions,
        diffusion=DiffusionConfig(model=tiny_sd, steps=2, width=64, height=64, device="cpu"),
    )
    rec = load_records(path)[0]
    assert rec["questions"] == generate_questions("a red barn at dusk") and rec["image"].endswith("vec-000000.png")
    from PIL import Image

    assert Image.open(rec["image"]).size == (64, 64)
    datasets = pytest.importorskip("datasets")
    table = datasets.load_dataset("json", data_files=str(path), split="train")
    assert table[0]["description"] == "a red barn at dusk" and "svg" in table.column_names
