"""The procedural scene generator: valid, varied, deterministic records with true questions."""

from rewards.standin import standin_score
from svg_agent.constraints import validate
from svg_agent.defenses import defend
from svg_agent.render import render_image
from vectorize.scenes import generate_scenes


def test_thousands_of_valid_distinct_records_deterministically():
    scenes = list(generate_scenes(2000, seed=3))
    assert len({s.description for s in scenes}) == 2000
    assert all(validate(s.svg).valid and len(s.svg.encode()) <= 5_000 for s in scenes)
    assert all(len(s.description) <= 200 for s in scenes)
    assert {s.family for s in scenes} >= {"abstract", "landscape", "coat", "hat"}
    again = list(generate_scenes(50, seed=3))
    assert [s.svg for s in again] == [s.svg for s in scenes[:50]]
    assert [s.description for s in generate_scenes(50, seed=4)] != [s.description for s in again]


def test_questions_are_well_formed_and_true_of_the_picture():
    scenes = list(generate_scenes(40, seed=7))
    for s in scenes:
        assert 3 <= len(s.questions) <= 4
        for q in s.questions:
            assert q["answer"] in q["choices"] and len(q["choices"]) in (2, 4) and len(set(q["choices"])) == len(q["choices"])
    # The colour questions can be checked in the render: the stand-in answers them where the asked-
    # about object is most of the picture (abstract shapes, garments); a small lighthouse in a
    # landscape is beyond a pixel-counting stand-in.
    answered = []
    for s in [x for x in scenes if x.family != "landscape"][:20]:
        r = standin_score(defend(render_image(s.svg), 0).image, s.description, s.questions)
        answered.extend(r.standin_questions)
    assert len(answered) >= 10 and sum(answered) / len(answered) > 0.6


def test_the_drawings_are_not_flat():
    for s in generate_scenes(30, seed=11):
        assert "<linearGradient" in s.svg and s.svg.count("<") >= 5
