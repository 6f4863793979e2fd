"""The aesthetic scorer: the real LAION head on real CLIP embeddings, a tiny random CLIP end to end."""

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from svg_agent._torchvision import ensure_torchvision  # noqa: E402

ensure_torchvision()  # before open_clip imports torchvision beside the CPU torch
pytest.importorskip("open_clip")

from rewards.aesthetic import AestheticScorer, load_head  # noqa: E402
from rewards.scorer import Scorer, ScorerConfig  # noqa: E402
from svg_agent.errors import ConfigError  # noqa: E402
from svg_agent.svgset import random_scene  # noqa: E402

DATA = Path(__file__).parent / "data"
TINY = {
    "embed_dim": 768,
    "vision_cfg": {"image_size": 224, "layers": 2, "width": 64, "patch_size": 32, "head_width": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 1},
}


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    import open_clip

    open_clip.factory._MODEL_CONFIGS["tiny-test"] = TINY
    torch.manual_seed(0)
    model, _, preprocess = open_clip.create_model_and_transforms("tiny-test", pretrained=None)
    path = tmp_path_factory.mktemp("clip") / "tiny.pt"
    torch.save(model.state_dict(), path)
    return model.eval(), preprocess, path


def test_real_head_ranks_laion_rating_buckets_in_order():
    head = load_head()
    emb = torch.from_numpy(np.load(DATA / "laion_rating_embeddings_l14.npy"))
    emb = emb / emb.norm(dim=-1, keepdim=True)
    with torch.no_grad():
        scores = head(emb).squeeze(-1).tolist()
    assert all(a < b for a, b in zip(scores, scores[1:])), scores
    assert 1.0 < scores[0] < 2.5 and 5.0 < scores[-1] < 6.5


def test_tiny_clip_end_to_end_matches_the_recipe(tiny_clip):
    model, preprocess, _ = tiny_clip
    scorer = AestheticScorer(model=model, preprocess=preprocess, device="cpu", batch_size=2)
    from svg_agent.render import render_image

    images = [np.asarray(render_image(random_scene(s, 10))) for s in range(3)]
    got = scorer.score(images)
    head = load_head()
    from PIL import Image

    with torch.no_grad():
        x = torch.stack([preprocess(Image.fromarray(im)) for im in images])
        f = model.encode_image(x).float()
        f = f / f.norm(dim=-1, keepdim=True)
        want = (head(f).squeeze(-1) / 10).tolist()
    assert got == pytest.approx(want, abs=1e-5)
    assert scorer.score([images[1]])[0] == pytest.approx(got[1], abs=1e-5)  # batching changes nothing
    assert scorer.score([Image.fromarray(images[2])])[0] == pytest.approx(got[2], abs=1e-5)


def test_loads_clip_from_a_local_checkpoint_and_plugs_into_the_scorer(tiny_clip, pool):
    model, preprocess, path = tiny_clip
    from_file = AestheticScorer(clip_model="tiny-test", clip_pretrained=str(path), device="cpu")
    in_memory = AestheticScorer(model=model, preprocess=preprocess, device="cpu")
    img = np.full((384, 384, 3), 90, np.uint8)
    assert from_file.score([img])[0] == pytest.approx(in_memory.score([img])[0], abs=1e-5)
    s = Scorer(ScorerConfig(ocr_backend=None, aesthetic=str(path), clip_model="tiny-test"), pool=pool)
    rec = s.score([random_scene(1, 10)], ["a scene"])[0]
    assert rec.aesthetic is not None and "aesthetic <- standin_quality" not in rec.substitutions


def test_missing_weights_are_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="CLIP checkpoint not found"):
        AestheticScorer(clip_pretrained=str(tmp_path / "missing.pt"), device="cpu").score(
            [np.zeros((8, 8, 3), np.uint8)]
        )
    with pytest.raises(ConfigError, match="aesthetic head not found"):
        load_head(tmp_path / "nohead.pth")


def test_full_metric_path_with_tiny_models(tiny_clip, pool, tmp_path):
    pytest.importorskip("transformers")
    pytest.importorskip("rapidocr_onnxruntime")
    from tiny_models import tiny_paligemma

    from rewards.formula import competition_score

    _, _, clip_path = tiny_clip
    pg = tiny_paligemma(tmp_path / "pg")
    s = Scorer(ScorerConfig(aesthetic=str(clip_path), clip_model="tiny-test", vqa=str(pg)), pool=pool)
    qs = [{"question": "What color is the sky?", "choices": ["blue", "red"], "answer": "blue"}]
    rec = s.score([random_scene(2, 8)], ["a blue sky"], questions=[qs])[0]
    assert rec.substitutions == []
    assert rec.metric == pytest.approx(competition_score(rec.vqa, rec.aesthetic, rec.ocr_competition))
