"""The offline judge (a STAND-IN for PaliGemma): it reads what the picture shows, answers questions
about it the way the metric's VQA model does, and pays nothing for pictures of nothing."""

import random

import numpy as np
import pytest

from rewards.judge import JudgeAnswers, answer, answerable, choice_probs, judge_questions, route, value_of
from rewards.judge_model import accuracy, heldout_scenes, junk_svg
from rewards.scorer import Scorer, ScorerConfig
from svg_agent.defenses import defend_main
from svg_agent.render import render_image
from svg_agent.svgset import NS, random_scene, text_svg
from vectorize.scenes import ATTRIBUTE_SLOTS, generate_scenes


def defended(svg, seed=5):
    return defend_main(render_image(svg), np.random.RandomState(seed))


# --- routing and questions: pure, no model -------------------------------------------------------


def test_questions_route_to_slots_and_choices_to_values():
    r = route("What color is the coat?", ["Crimson", "navy", "green", "yellow"])
    assert r.slot == "color" and r.values == ("red", "blue", "green", "yellow")
    assert route("What color is the background?", ["red", "blue", "gray", "white"]).slot == "background"
    assert route("What time of day is shown?", ["sunset", "noon", "night", "dawn"]).values == (
        "dusk",
        "noon",
        "night",
        "dawn",
    )
    assert route("What is below the sky?", ["ocean", "hills", "desert", "forest"]).values == (
        "sea",
        "hills",
        "desert",
        "forest",
    )
    assert route("How many stars are there?", ["1", "2", "3", "4"]).slot == "count"
    assert route("Is there a boat in the image?", ["yes", "no"]).about == "sailboat"
    assert route("Is the hat red?", ["yes", "no"]).about == "red"
    assert route("Are there clouds?", ["no", "yes"]).slot == "clouds"
    # what the judge was not taught is left out, never guessed
    assert route("What color is the sky?", ["blue", "red", "gray", "pink"]) is None
    assert route("What is the main subject of the image?", ["lighthouse", "city", "garden", "bridge"]) is None
    assert (
        route("What color is the car?", ["teal", "turquoise", "red", "blue"]) is None
    )  # teal ~ turquoise: no single value
    assert route("Is it raining?", ["yes", "no"]) is None
    assert value_of("color", "dark blue") == "blue" and value_of("object", "a hot-air balloon") == "hot air balloon"


def test_uniform_answers_give_chance_and_confident_ones_certainty():
    uniform = {s: np.full(len(v), 1 / len(v)) for s, v in ATTRIBUTE_SLOTS.items()}
    qs = [
        {"question": "What color is the coat?", "choices": ["red", "blue", "green", "yellow"], "answer": "red"},
        {"question": "Is the coat red?", "choices": ["yes", "no"], "answer": "yes"},
        {"question": "Is there a moon?", "choices": ["yes", "no"], "answer": "no"},
    ]
    a = answer(uniform, qs)
    assert a.p_correct == pytest.approx([0.25, 0.5, 0.5]) and a.faithfulness == pytest.approx(0.0)
    sure = {s: np.eye(len(v))[0] * 0.98 + 0.02 / len(v) for s, v in ATTRIBUTE_SLOTS.items()}  # "red", "no" moon...
    sure["moon"] = np.array([0.01, 0.99])
    b = answer(sure, qs)
    assert min(b.p_correct) > 0.95 and b.faithfulness > 0.9
    wrong = answer(sure, [dict(q, answer=a2) for q, a2 in zip(qs, ["blue", "no", "yes"])])
    assert max(wrong.p_correct) < 0.05 and wrong.faithfulness == 0.0
    assert JudgeAnswers([], [], []).faithfulness is None
    r = route("What color is the coat?", ["red", "blue", "green", "yellow"])
    assert choice_probs(sure, r).sum() == pytest.approx(1.0)


def test_believing_something_that_is_not_a_choice_is_not_a_win_for_a_choice():
    """A black background asked about among blue/purple/red/white, a square asked about among
    garments: the judge's belief lies outside the choices, so its answer is near uniform."""
    names = ATTRIBUTE_SLOTS
    probs = {s: np.full(len(v), 0.001) for s, v in names.items()}
    probs["background"][names["background"].index("black")] = 0.98
    probs["object"][names["object"].index("square")] = 0.7
    probs["object"][names["object"].index("circle")] = 0.12
    bg = choice_probs(probs, route("What color is the background?", ["blue", "purple", "red", "white"]))
    assert bg.max() - bg.min() < 0.01 and bg.sum() == pytest.approx(1.0)
    garment = choice_probs(probs, route("What is shown in the image?", ["t-shirt", "hat", "cabin", "dress"]))
    assert garment.max() < 0.3
    # a yes/no question about a value weighs it against the likeliest other one
    circle = choice_probs(probs, route("Is there a circle in the image?", ["yes", "no"]))
    square = choice_probs(probs, route("Is there a square in the image?", ["yes", "no"]))
    assert circle[0] < 0.2 < 0.8 < square[0]


@pytest.mark.parametrize(
    "description, expect",
    [
        ("a lighthouse overlooking the ocean", {"object", "setting", "presence"}),
        ("gray wool coat with a faux fur collar", {"object", "color"}),
        ("three green triangles in a row on a white background", {"object", "color", "count"}),
        ("a purple forest at dusk", {"setting", "time"}),
        ("a starry night over a calm sea", {"setting", "time"}),
    ],
)
def test_questions_for_any_description_are_ones_the_judge_can_answer(description, expect):
    qs = judge_questions(description)
    assert qs == answerable(qs) and 1 <= len(qs) <= 4
    kinds = {route(q["question"], q["choices"]).kind for q in qs}
    assert kinds >= expect - {"presence"} and kinds <= expect | {"presence"}
    for q in qs:
        assert q["answer"] in q["choices"] and len(set(q["choices"])) == len(q["choices"]) in (2, 4)
    assert judge_questions(description) == qs  # deterministic


def test_nothing_to_ask_means_no_questions():
    assert judge_questions("an abstract composition expressing joy") == []
    assert judge_questions("") == []


def test_the_corpus_questions_all_route():
    qs = [q for s in generate_scenes(300, seed=2) for q in s.questions]
    assert len(answerable(qs)) == len(qs)


# --- the trained judge (the default, trained once per test session) -----------------------------


def test_held_out_accuracy(judge):
    held = heldout_scenes(120)
    acc = accuracy(judge, held, seed=77)
    assert acc["accuracy"] >= 0.9, acc
    # its own report, on the full held-out split, says the same
    assert judge.meta["heldout"]["accuracy"] >= 0.9


def test_pictures_of_nothing_get_near_uniform_answers(judge):
    rng = random.Random(123)
    nothing = [
        f'<svg {NS} viewBox="0 0 384 384"><rect width="384" height="384" fill="#{c}"/></svg>'
        for c in ("ffffff", "000000", "3a7bd5", "c0392b")
    ]
    nothing += [random_scene(s) for s in range(6)] + [text_svg()]
    # pictures drawn by a generator the judge never trained on (svg_agent/svgset.py), plus its own junk kinds
    nothing += [s for s in (junk_svg(rng) for _ in range(12)) if s]
    questions = [q for s in generate_scenes(40, seed=8) for q in s.questions]
    tops, chance = [], []
    for probs in judge.predict([defended(s, i) for i, s in enumerate(nothing)]):
        for q in questions:
            r = route(q["question"], q["choices"])
            tops.append(choice_probs(probs, r).max())
            chance.append(1 / len(q["choices"]))
    assert np.mean(tops) - np.mean(chance) <= 0.15, (np.mean(tops), np.mean(chance))


def _scores(judge, pairs):
    scorer = Scorer(ScorerConfig(ocr_backend=None), judge=judge)
    return [
        r.reward
        for r in scorer.score(
            [svg for svg, _ in pairs],
            [d for _, d in pairs],
            questions=[q for *_, q in pairs] if pairs and len(pairs[0]) == 3 else None,
        )
    ]


def test_each_family_own_drawing_beats_random_and_other_descriptions(judge):
    held = heldout_scenes(300)
    by_family = {}
    for s in held:
        by_family.setdefault("garment" if s.family not in ("abstract", "landscape") else s.family, []).append(s)
    scorer = Scorer(ScorerConfig(ocr_backend=None), judge=judge)
    for family, scenes in by_family.items():
        scenes = scenes[:8]
        others = [s for f, ss in by_family.items() if f != family for s in ss[:8]]
        descs = [s.description for s in scenes]
        qs = [s.questions for s in scenes]
        own = [r.reward for r in scorer.score([s.svg for s in scenes], descs, questions=qs)]
        rand = [
            r.reward for r in scorer.score([random_scene(100 + i) for i in range(len(scenes))], descs, questions=qs)
        ]
        other = [r.reward for r in scorer.score([o.svg for o in others[: len(scenes)]], descs, questions=qs)]
        assert np.mean(own) > np.mean(rand) + 0.3 and np.mean(own) > np.mean(other) + 0.3, (family, own, rand, other)


def test_unnamed_sky_is_not_punished_and_words_do_not_pay(judge):
    d = "a red hot air balloon over green rolling hills"
    balloon = (
        f'<svg {NS} viewBox="0 0 384 384"><rect width="384" height="384" fill="#7fb8f0"/>'
        '<path d="M0 280Q96 220 192 270T384 250V384H0Z" fill="#3f8f4a"/><path d="M0 320Q120 280 240 320T384 310V384H0Z" fill="#327239"/>'
        '<circle cx="250" cy="150" r="34" fill="#d62828"/><path d="M228 174l10 26h24l10-26" fill="#961c1c"/>'
        '<rect x="240" y="200" width="20" height="14" fill="#7f5539"/></svg>'
    )
    words = f'<svg {NS} viewBox="0 0 384 384"><!-- {d} --><rect id="red-hot-air-balloon" width="384" height="384" fill="#fff"/></svg>'
    scorer = Scorer(ScorerConfig(ocr_backend=None), judge=judge)
    good, blank, *rand = [
        r.reward for r in scorer.score([balloon, words] + [random_scene(i) for i in range(5)], [d] * 7)
    ]
    assert good > max(rand) + 0.25 and good > 0.3 and blank < 0.05, (good, blank, rand)


def test_a_description_the_judge_cannot_check_is_unknown_not_a_default(judge):
    scorer = Scorer(ScorerConfig(ocr_backend=None), judge=judge)
    rec = scorer.score([random_scene(3)], ["an abstract composition expressing joy"])[0]
    assert rec.valid and rec.reward is None and rec.judge_faithfulness is None
    assert "vqa unknown: nothing the judge can check" in rec.substitutions


PALETTE_COLS = [
    "#dc1e28",
    "#fa8c14",
    "#fadc28",
    "#28a03c",
    "#1e50dc",
    "#802aa0",
    "#fa96be",
    "#825028",
    "#000",
    "#c0c0c0",
    "#00c8dc",
    "#000080",
    "#d2b48c",
    "#fff",
]


def test_hand_made_drawings_beat_random_ones_and_a_palette_of_every_colour(judge):
    """Held-out work (drawn by hand for descriptions written by hand): the offline reward pays for
    showing the description, also where it names no colour, and not for random shapes or for
    painting every colour at once."""
    from svg_agent.app.demo import handmade_examples

    w = 384 / len(PALETTE_COLS)
    palette = (
        f'<svg {NS} viewBox="0 0 384 384">'
        + "".join(
            f'<rect x="{i * w:.1f}" width="{w:.1f}" height="384" fill="{c}"/>' for i, c in enumerate(PALETTE_COLS)
        )
        + "</svg>"
    )
    scorer = Scorer(ScorerConfig(ocr_backend=None), judge=judge)
    rng = random.Random(7)
    rows = []
    for description, svg in handmade_examples():
        rand = [junk_like_random(rng) for _ in range(4)]
        recs = scorer.score([svg, palette] + rand, [description] * 6)
        rows.append((description, recs[0].reward, recs[1].reward, np.mean([r.reward for r in recs[2:]])))
    good, pal, rand = (np.array([r[k] for r in rows]) for k in (1, 2, 3))
    assert rand.mean() <= 0.3 and pal.mean() <= 0.3, rows
    assert good.mean() - rand.mean() >= 0.2 and good.mean() - pal.mean() >= 0.2, rows
    no_colour = [r for r in rows if not any(value_of("color", w) for w in r[0].replace("-", " ").split())]
    assert len(no_colour) >= 5
    assert np.mean([r[1] for r in no_colour]) - np.mean([r[3] for r in no_colour]) >= 0.2, no_colour


def junk_like_random(rng):
    """Random polygons and circles in random colours (not the judge's own junk generator)."""
    parts = [f'<svg {NS} viewBox="0 0 384 384"><rect width="384" height="384" fill="#{rng.randint(0, 0xFFFFFF):06x}"/>']
    for _ in range(rng.randint(2, 9)):
        c = f"#{rng.randint(0, 0xFFFFFF):06x}"
        if rng.random() < 0.5:
            parts.append(
                f'<circle cx="{rng.randint(0, 384)}" cy="{rng.randint(0, 384)}" r="{rng.randint(10, 120)}" fill="{c}"/>'
            )
        else:
            pts = " ".join(f"{rng.randint(0, 384)},{rng.randint(0, 384)}" for _ in range(rng.randint(3, 8)))
            parts.append(f'<polygon points="{pts}" fill="{c}"/>')
    return "".join(parts) + "</svg>"


def test_the_bundled_judge_is_the_one_this_corpus_and_code_train():
    """The package ships the default judge; a corpus or judge change must bundle it again, else
    every fresh install trains one first (a few minutes)."""
    from rewards.judge_model import BUNDLED_JUDGE, JudgeConfig, bundled_judge_key

    assert BUNDLED_JUDGE.exists(), "no bundled judge: run `svg-agent judge train --bundle`"
    assert bundled_judge_key() == JudgeConfig().key(), (
        "the bundled judge was trained for another corpus or judge: run `svg-agent judge train --bundle`"
    )


def test_a_stale_bundled_judge_is_not_used(tmp_path, monkeypatch):
    import rewards.judge_model as jm

    monkeypatch.setenv("SVG_AGENT_CACHE", str(tmp_path / "cache"))
    bundled = tmp_path / "weights" / "judge.pt"
    monkeypatch.setattr(jm, "BUNDLED_JUDGE", bundled)
    key = jm.JudgeConfig().key()
    cached = tmp_path / "cache" / "judge" / key / "judge.pt"

    assert jm.default_judge_path() == cached  # nothing bundled
    jm.Judge(jm._net(16), 16, {"key": "corpus-other-000000000000"}).save(bundled)
    assert jm.default_judge_path() == cached  # bundled, but for another corpus
    jm.Judge(jm._net(16), 16, {"key": key}).save(bundled)
    assert jm.default_judge_path() == bundled  # bundled and current
    jm.Judge(jm._net(16), 16, {"key": key}).save(cached)
    assert jm.default_judge_path() == cached  # one trained here comes first


def test_colour_and_count_questions_name_their_object():
    assert route("What color are the circles?", ["red", "green", "blue", "white"]).subject == "circle"
    assert route("How many stars are there?", ["1", "2", "3", "4"]).subject == "star"
    assert route("What color is the background?", ["red", "green", "blue", "white"]).subject is None
    assert route("What is shown in the image?", ["circle", "square", "star", "ring"]).subject is None


def test_the_object_gate_makes_a_colour_of_something_else_a_dont_know():
    names = ATTRIBUTE_SLOTS["object"]
    q = [{"question": "What color are the circles?", "choices": ["red", "green", "blue", "white"], "answer": "green"}]
    colour = np.full(len(ATTRIBUTE_SLOTS["color"]), 1e-3)
    colour[ATTRIBUTE_SLOTS["color"].index("green")] = 1.0
    probs = {s: np.full(len(v), 1.0 / len(v)) for s, v in ATTRIBUTE_SLOTS.items()}
    probs["color"] = colour / colour.sum()
    shirt, circle = np.full(len(names), 1e-3), np.full(len(names), 1e-3)
    shirt[names.index("t-shirt")], circle[names.index("circle")] = 1.0, 1.0
    off = answer({**probs, "object": shirt / shirt.sum()}, q).p_correct[0]
    on_shirt = answer({**probs, "object": shirt / shirt.sum()}, q, object_gate=True).p_correct[0]
    on_circle = answer({**probs, "object": circle / circle.sum()}, q, object_gate=True).p_correct[0]
    on_unsure = answer(probs, q, object_gate=True).p_correct[0]
    assert off > 0.9 and on_circle > 0.9  # the colour is seen; with the circle believed, the gate keeps it
    assert abs(on_shirt - 0.25) < 0.02 and abs(on_unsure - 0.25) < 0.02  # a shirt, or nothing read: chance


def test_the_object_gate_stops_paying_for_a_shirt_in_the_named_colours(judge):
    """A t-shirt in a held-out description's colours (no garment named) against the drawings
    themselves and hand-made ones: the gate takes most of what the shirt earned and little of theirs."""
    from svg_agent.app.demo import handmade_examples
    from vectorize.scenes import flatten

    shirt = "M140 80l52 16 52-16 76 50-28 40-28-20v180H120V150l-28 20-28-40z"
    garments = ("shirt", "coat", "jacket", "dress", "sweater", "hat", "scarf", "pants", "overalls", "skirt")
    off, on = Scorer(ScorerConfig(ocr_backend=None), judge=judge), None
    on = Scorer(ScorerConfig(ocr_backend=None, judge_object_gate=True), judge=judge)
    held = [s for s in heldout_scenes(120) if not any(g in s.description for g in garments)]
    adv, own, qs = [], [], []
    for s in held:
        cols = [w for w in s.description.split() if value_of("color", w)]
        if not cols:
            continue
        bg = cols[-1] if len(cols) > 1 else "white"
        adv.append(
            f'<svg {NS} viewBox="0 0 384 384"><rect width="384" height="384" fill="{bg}"/>'
            f'<path d="{shirt}" fill="{cols[0]}"/></svg>'
        )
        own.append(flatten(s.svg))
        qs.append((s.description, s.questions))
    assert len(adv) >= 30
    hand = list(handmade_examples())

    def mean(scorer, svgs, descriptions, questions=None):
        recs = scorer.score(svgs, descriptions, questions=questions)
        return float(np.mean([r.judge_faithfulness for r in recs if r.judge_faithfulness is not None]))

    d, q = [x[0] for x in qs], [x[1] for x in qs]
    adv_off, adv_on = mean(off, adv, d, q), mean(on, adv, d, q)
    own_off, own_on = mean(off, own, d, q), mean(on, own, d, q)
    hand_off = mean(off, [s for _, s in hand], [x for x, _ in hand])
    hand_on = mean(on, [s for _, s in hand], [x for x, _ in hand])
    assert adv_on <= 0.7 * adv_off, (adv_off, adv_on)
    assert own_on >= 0.85 * own_off and hand_on >= 0.85 * hand_off, (own_off, own_on, hand_off, hand_on)
    assert adv_on / own_on < adv_off / own_off
