import pytest

from rewards.registry import build_rewards
from rewards.scorer import Scorer, ScorerConfig
from svg_agent.app.demo import example_files, handmade_examples
from svg_agent.errors import ConfigError
from svg_agent.svgset import NS, hidden_text_svg, text_svg

pytest.importorskip("rapidocr_onnxruntime")
FOREST = dict(example_files())["purple_forest_at_dusk.svg"].decode()
BLANK = f'<svg {NS} viewBox="0 0 384 384"><rect width="384" height="384" fill="#fff"/></svg>'
DESC = "a purple forest at dusk"
CABIN_DESC, CABIN = handmade_examples()[2]  # a wooden cabin in a forest at night


@pytest.fixture(scope="module")
def scorer(pool):
    return Scorer(ScorerConfig(), pool=pool)


def test_good_drawing_beats_cheats(scorer):
    texts = [
        CABIN,
        "Here it is:\n```svg\n" + CABIN + "\n```",  # chat text around a valid SVG: fine
        BLANK,
        text_svg(),
        hidden_text_svg(),
        CABIN.replace("<rect", "<text>wooden cabin</text><rect", 1),  # invalid as written
        f"<!-- {CABIN_DESC} -->" + BLANK,  # the description in the source earns nothing
    ]
    recs = scorer.score(texts, [CABIN_DESC] * len(texts))
    good = recs[0].reward
    assert good > 0.35 and recs[1].reward == pytest.approx(good)
    assert not recs[1].raw_valid and recs[1].valid
    assert recs[2].reward < 0.05 and recs[6].reward < 0.05
    assert recs[3].ocr < 0.4 and recs[3].reward < 0.1
    assert recs[4].hidden_text and recs[4].ocr_competition == 1.0 and recs[4].ocr < 0.4
    assert not recs[5].valid and recs[5].reward == 0.0
    for r in recs:
        assert r.metric is None  # no real VQA/CLIP model: never reported as the metric
        assert "vqa <- judge_faithfulness" in r.substitutions or not r.valid


def test_sanitized_validity_mode_scores_what_sanitize_rescues(pool):
    s = Scorer(ScorerConfig(validity="sanitized", ocr_backend=None), pool=pool)
    broken = CABIN.replace("<rect", "<text>x</text><rect", 1)
    rec = s.score([broken], [CABIN_DESC])[0]
    assert rec.valid and not rec.raw_valid and rec.reward > 0.35 and "ocr skipped" in rec.substitutions


def test_trl_callables_share_one_pass(pool):
    funcs = build_rewards(
        ["reward", "validity", "size", "ocr", "hidden_text", "judge_faithfulness", "aesthetic"],
        scorer=Scorer(ScorerConfig(), pool=pool),
    )
    assert [f.__name__ for f in funcs] == [
        "reward",
        "validity",
        "size",
        "ocr",
        "hidden_text",
        "judge_faithfulness",
        "aesthetic",
    ]
    prompts = [[{"role": "user", "content": CABIN_DESC}]] * 3
    completions = [[{"role": "assistant", "content": c}] for c in (CABIN, BLANK, hidden_text_svg())]
    outs = [f(prompts=prompts, completions=completions, description=[CABIN_DESC] * 3) for f in funcs]
    assert funcs[0].context.passes == 1
    reward, validity, size, ocr, hidden, faith, aesthetic = outs
    assert reward[0] > reward[1] and reward[0] > reward[2]
    assert validity == [1.0, 1.0, 1.0] and size == [1.0, 1.0, 1.0]
    assert hidden == [0.0, 0.0, -1.0]
    assert aesthetic == [None, None, None]
    assert all(isinstance(v, float) for v in reward + faith)
    assert faith[0] > 0.3 > 0.05 > faith[1]  # the judge reads the cabin, and nothing on a blank canvas


def test_unknown_reward_name_is_a_clear_error():
    with pytest.raises(ConfigError, match="unknown reward 'clip'"):
        build_rewards(["reward", "clip"])


def test_a_tiny_valid_svg_cannot_front_for_a_big_invalid_one(scorer):
    tiny = f'<svg {NS} viewBox="0 0 9 9"><rect width="9" height="9" fill="#fff"/></svg>'
    big = FOREST.replace("<rect", '<rect style="opacity:1"', 1)
    assert not __import__("svg_agent").validate(big).valid
    front, alone = scorer.score([tiny + "\n" + big, big], [DESC, DESC])
    assert front.svg == tiny and front.reward < 0.05  # judged on the SVG it wrote first
    assert not alone.valid and alone.reward == 0.0


def test_valid_svgs_are_rendered_as_written(scorer, pool):
    # No background: the competition sees black where the canvas is transparent; sanitize would
    # paint it white. The stand-in's colour check tells which picture was scored.
    svg = f'<svg {NS} viewBox="0 0 100 100" color="red"><circle cx="50" cy="50" r="30" fill="currentColor"/></svg>'
    desc = "a red circle on a black background"
    as_written = scorer.score([svg], [desc], rule="submitted")[0]
    assert as_written.svg == svg and as_written.valid
    assert as_written.components["standin_color"] == 1.0
    sanitized = Scorer(ScorerConfig(validity="sanitized", ocr_backend=None), pool=pool).score([svg], [desc])[0]
    assert sanitized.components["standin_color"] < 1.0
