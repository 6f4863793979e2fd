"""The offline faithfulness STAND-IN ranks faithful drawings above unfaithful ones."""

import pytest

from rewards.standin import parse_colors, parse_shapes, standin_score
from svg_agent.app.demo import example_files
from svg_agent.defenses import defend
from svg_agent.render import render_image
from svg_agent.sanitize import sanitize
from svg_agent.svgset import NS, text_svg

EX = {name: sanitize(raw).svg for name, raw in example_files()}
BLANK = f'<svg {NS} viewBox="0 0 384 384"><rect width="384" height="384" fill="#fff"/></svg>'


def score(svg, description, questions=None):
    return standin_score(defend(render_image(svg), 3).image, description, questions)


def canvas(body, bg="#12235a"):
    return f'<svg {NS} viewBox="0 0 384 384"><rect width="384" height="384" fill="{bg}"/>{body}</svg>'


def test_parsing_colours_and_shapes():
    assert [c.name for c in parse_colors("a Dark blue sky with pale pink clouds and gray rocks")] == [
        "dark blue",
        "pale pink",
        "gray",
    ]
    assert parse_shapes("crimson rectangles forming a chaotic grid of circles") == ["rectangle", "circle"]


@pytest.mark.parametrize(
    "description, faithful, others",
    [
        (
            "a purple forest at dusk",
            "purple_forest_at_dusk.svg",
            ["crimson_rectangles_chaotic_grid.svg", "gray_wool_coat.svg"],
        ),
        (
            "crimson rectangles forming a chaotic grid",
            "crimson_rectangles_chaotic_grid.svg",
            ["purple_forest_at_dusk.svg", "gray_wool_coat.svg"],
        ),
        (
            "gray wool coat with a faux fur collar",
            "gray_wool_coat.svg",
            ["purple_forest_at_dusk.svg", "crimson_rectangles_chaotic_grid.svg"],
        ),
    ],
)
def test_faithful_drawing_beats_wrong_colours_blank_and_text(description, faithful, others):
    good = score(EX[faithful], description).standin_faithfulness
    assert good > 0.8
    for other in [EX[o] for o in others] + [BLANK, text_svg()]:
        assert score(other, description).standin_faithfulness < good - 0.3


def test_shapes_and_modifiers_count():
    d = "a yellow circle on a dark blue background"
    good = score(canvas('<circle cx="192" cy="192" r="90" fill="#f5d030"/>'), d)
    square = score(canvas('<rect x="100" y="100" width="180" height="180" fill="#f5d030"/>'), d)
    recoloured = score(canvas('<circle cx="192" cy="192" r="90" fill="#30f5d0"/>', bg="#5a1212"), d)
    assert good.standin_shapes == {"circle": True} and square.standin_shapes == {"circle": False}
    assert good.standin_faithfulness > square.standin_faithfulness > 0
    assert good.standin_faithfulness > recoloured.standin_faithfulness


def test_blank_and_words_in_the_source_earn_nothing():
    cheat = f'<svg {NS} viewBox="0 0 384 384"><!-- a purple forest at dusk --><rect id="purple-forest" width="384" height="384" fill="#fff"/></svg>'
    for svg in (BLANK, cheat, canvas("", bg="#7a3f8f")):
        r = score(svg, "a purple forest at dusk")
        assert r.standin_quality <= 0.1 and r.standin_faithfulness <= 0.1


def test_questions_the_image_can_answer():
    svg = canvas('<circle cx="192" cy="192" r="90" fill="#f5d030"/>')
    qs = [
        {"question": "What color is the circle?", "choices": ["red", "yellow", "green", "purple"], "answer": "yellow"},
        {"question": "Is there a yellow circle?", "choices": ["yes", "no"], "answer": "yes"},
        {
            "question": "What shape is in the middle?",
            "choices": ["square", "circle", "triangle", "star"],
            "answer": "circle",
        },
        {"question": "Is it raining?", "choices": ["yes", "no"], "answer": "no"},  # not answerable: skipped
    ]
    r = score(svg, "a yellow circle", qs)
    assert len(r.standin_questions) == 3 and min(r.standin_questions) > 0.6
    wrong = [dict(q, answer=a) for q, a in zip(qs[:3], ["red", "no", "square"])]
    assert max(score(svg, "a yellow circle", wrong).standin_questions) < 0.3
    assert set(r.components()) >= {
        "standin_faithfulness",
        "standin_quality",
        "standin_color",
        "standin_shape",
        "standin_questions",
    }


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


def test_a_palette_of_every_colour_does_not_pass_for_a_drawing():
    """Painting many colours at once must not beat a faithful drawing of any description."""
    w = 384 / len(PALETTE_COLS)
    palette = (
        f'<svg {NS} viewBox="0 0 384 384">'
        + "".join(
            f'<rect x="{i * w:.1f}" width="{w:.1f}" height="384" fill="{c}"/>' for i, c in enumerate(PALETTE_COLS)
        )
        + "</svg>"
    )
    faithful = {
        "a red barn in a green field under a blue sky": canvas(
            '<rect y="250" width="384" height="134" fill="#3a8f3a"/><rect x="130" y="170" width="120" height="100" fill="#c0392b"/><polygon points="120,172 190,115 260,172" fill="#922b21"/><rect x="175" y="215" width="30" height="55" fill="#fff"/>',
            bg="#4a90e2",
        ),
        "orange and yellow stripes": f'<svg {NS} viewBox="0 0 384 384">'
        + "".join(
            f'<rect y="{i * 48}" width="384" height="48" fill="{"#f39c12" if i % 2 else "#f7dc6f"}"/>' for i in range(8)
        )
        + "</svg>",
        "a pink flamingo standing in blue water": canvas(
            '<rect y="250" width="384" height="134" fill="#2e86c1"/><ellipse cx="190" cy="160" rx="60" ry="35" fill="#f48fb1"/><path d="M230 150 Q270 60 250 40" stroke="#f48fb1" stroke-width="10" fill="none"/>',
            bg="#d6eaf8",
        ),
        "a brown teddy bear": canvas(
            '<circle cx="192" cy="230" r="90" fill="#8b5a2b"/><circle cx="192" cy="120" r="60" fill="#8b5a2b"/><circle cx="145" cy="75" r="22" fill="#6e4420"/><circle cx="239" cy="75" r="22" fill="#6e4420"/>',
            bg="#fdf2e9",
        ),
    }
    for description, svg in faithful.items():
        good = score(svg, description).standin_faithfulness
        bad = score(palette, description).standin_faithfulness
        assert good > 0.8 and bad < good - 0.25, (description, good, bad)
