"""Captioning a folder of images with a tiny random BLIP-2 built from configs."""

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("sklearn")

from svg_agent.constraints import validate  # noqa: E402
from svg_agent.errors import ConfigError  # noqa: E402
from vectorize.caption import Captioner  # noqa: E402
from vectorize.dataset import build_dataset, load_records  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from tiny_models import tiny_blip2

    return str(tiny_blip2(tmp_path_factory.mktemp("blip2")))


def test_captioner_loads_from_a_folder_and_is_deterministic(tiny):
    cap = Captioner(tiny, device="cpu", max_new_tokens=6)
    img = np.random.RandomState(0).randint(0, 256, (80, 60, 3), dtype=np.uint8)
    text = cap(img)
    assert isinstance(text, str) and len(text) <= 200  # a random model may emit only special tokens
    assert cap(Image.fromarray(img)) == text  # greedy decoding: same image, same caption
    assert cap.model.device.type == "cpu" and cap.processor is not None  # really loaded from the folder


def test_dataset_from_captioned_images(tiny, tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    rng = np.random.RandomState(1)
    for i in range(2):
        Image.fromarray(np.kron(rng.randint(0, 256, (4, 4, 3)), np.ones((24, 24, 1))).astype(np.uint8)).save(
            folder / f"img{i}.png"
        )
    out = tmp_path / "d.jsonl"
    assert build_dataset(out, source="images", images=folder, captioner=tiny, progress=False) == 2
    cap = Captioner(tiny, device="cpu")
    for rec in load_records(out):
        caption = cap(Image.open(rec["image"]).convert("RGBA"))
        assert rec["description"] == (caption or rec["image"].rsplit("/", 1)[-1][:-4])  # file name when empty
        assert validate(rec["svg"]).valid


def test_missing_captioning_model_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="could not load the captioning model"):
        Captioner(str(tmp_path / "nope"), device="cpu")(np.zeros((8, 8, 3), np.uint8))
