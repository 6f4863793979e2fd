"""PaliGemma VQA and OCR: the metric's arithmetic by hand, and a tiny random model end to end."""

import math

import numpy as np
import pytest

from rewards.vqa import choice_probabilities, format_prompt

PROMPT = "<image>answer en Question: What color is the sky?\nChoices:\nA. blue\nB. red\n"
QS = [
    {"question": "What color is the sky?", "choices": ["blue", "red", "green", "yellow"], "answer": "blue"},
    {"question": "Is there a circle?", "choices": ["yes", "no"], "answer": "no"},
    {"question": "What time of day is shown?", "choices": ["dawn", "dusk", "noon", "night"], "answer": "dusk"},
    {"question": "Is there a red circle?", "choices": ["yes", "no"], "answer": "yes"},
    {"question": "What is shown?", "choices": ["sky", "sea"], "answer": "sea"},
]


def test_prompt_is_the_competitions():
    assert format_prompt("What color is the sky?", ["blue", "red"]) == PROMPT


def test_letter_probabilities_by_hand():
    logits = np.full(10, -5.0)
    logits[[1, 2, 3, 4]] = [2.0, 1.0, 0.0, math.log(3.0)]  # "A"=1, " A"=2, "B"=3, " B"=4
    got = choice_probabilities(logits, [(1, 2), (3, 4)], ["blue", "red"])
    ea, eb = math.exp(2) + math.exp(1), 1 + 3  # softmax over the 4 allowed tokens, summed per letter
    assert got["blue"] == pytest.approx(ea / (ea + eb)) and got["red"] == pytest.approx(eb / (ea + eb))
    # A token shared by "A" and " A" counts twice, and renormalisation cancels it.
    shared = choice_probabilities(logits, [(1, 1), (3, 3)], ["blue", "red"])
    assert shared["blue"] == pytest.approx(math.exp(2) / (math.exp(2) + 1))


torch = pytest.importorskip("torch")
pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from tiny_models import tiny_paligemma

    return tiny_paligemma(tmp_path_factory.mktemp("paligemma"))


def test_tiny_paligemma_end_to_end_matches_the_metric_recipe(tiny):
    from PIL import Image
    from transformers import AutoProcessor, PaliGemmaForConditionalGeneration

    from rewards.vqa import PaliGemmaScorer

    scorer = PaliGemmaScorer(str(tiny), device="cpu")
    image = np.random.RandomState(0).randint(0, 256, (384, 384, 3), dtype=np.uint8)
    got = scorer.question_scores(image, QS)
    # The metric's loop, written out: chunks of 4, padding to the longest, last position.
    proc = AutoProcessor.from_pretrained(tiny)
    model = PaliGemmaForConditionalGeneration.from_pretrained(tiny).eval()
    want = []
    for chunk in (QS[:4], QS[4:]):
        inputs = proc(
            images=[Image.fromarray(image)] * len(chunk),
            text=[format_prompt(q["question"], q["choices"]) for q in chunk],
            return_tensors="pt",
            padding="longest",
        )
        with torch.no_grad():
            last = model(**inputs).logits[:, -1, :]
        for row, q in zip(last, chunk):
            letters = "ABCD"[: len(q["choices"])]
            ids = [
                (
                    proc.tokenizer.encode(c, add_special_tokens=False)[0],
                    proc.tokenizer.encode(" " + c, add_special_tokens=False)[0],
                )
                for c in letters
            ]
            masked = torch.full_like(row, float("-inf"))
            for a, b in ids:
                masked[a], masked[b] = row[a], row[b]
            p = torch.softmax(masked, dim=-1)
            probs = {c: p[a].item() + p[b].item() for c, (a, b) in zip(q["choices"], ids)}
            total = sum(probs.values())
            want.append(probs[q["answer"]] / total)
    assert got == pytest.approx(want, abs=1e-5)
    assert all(0 <= s <= 1 for s in got)
    assert scorer.score(image, QS) == pytest.approx(sum(want) / len(want), abs=1e-5)


def test_tiny_paligemma_ocr_and_the_scorer(tiny, pool):
    from rewards.ocr import make_ocr_backend, ocr_term
    from rewards.scorer import Scorer, ScorerConfig
    from svg_agent.svgset import random_scene

    backend = make_ocr_backend("paligemma", model_id=str(tiny), device="cpu")
    image = np.zeros((384, 384, 3), np.uint8)
    text = backend.read(image)
    assert isinstance(text, str) and text  # a random model emits tokens (location tokens)
    assert ocr_term(backend, image, image).penalty == min(1.0, math.exp(4 - len(text)))
    s = Scorer(ScorerConfig(ocr_backend=None, vqa=str(tiny)), pool=pool)
    rec = s.score([random_scene(1, 8)], ["a blue sky"], questions=[QS[:2]])[0]
    assert rec.vqa is not None and 0 <= rec.vqa <= 1 and "vqa <- standin_faithfulness" not in rec.substitutions
    assert rec.metric is None  # no aesthetic model: still not the metric


def test_missing_model_folder_is_a_clear_error(tmp_path):
    from rewards.vqa import PaliGemmaScorer
    from svg_agent.errors import ConfigError

    with pytest.raises(ConfigError, match="config.json missing"):
        PaliGemmaScorer(str(tmp_path), device="cpu").score(np.zeros((8, 8, 3), np.uint8), QS[:1])
