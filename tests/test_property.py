"""Property tests: whatever goes into sanitize, what comes out validates and renders."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from svg_agent.constraints import validate
from svg_agent.sanitize import sanitize

TAGS = [
    "svg",
    "g",
    "rect",
    "circle",
    "ellipse",
    "path",
    "polygon",
    "polyline",
    "line",
    "use",
    "defs",
    "linearGradient",
    "radialGradient",
    "stop",
    "text",
    "style",
    "image",
    "a",
    "clipPath",
    "symbol",
    "pattern",
    "filter",
    "feFlood",
    "script",
    "foreignObject",
    "marker",
    "unknown",
]
ATTRS = [
    "x",
    "y",
    "width",
    "height",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "d",
    "points",
    "fill",
    "stroke",
    "stroke-width",
    "opacity",
    "transform",
    "href",
    "xlink:href",
    "style",
    "class",
    "id",
    "viewBox",
    "offset",
    "stop-color",
    "stroke-dasharray",
    "clip-path",
    "filter",
    "onload",
    "x1",
    "y2",
]
number = st.floats(allow_nan=True, allow_infinity=True, width=32).map(lambda f: repr(f))
value = st.one_of(
    number,
    st.integers(-(10**6), 10**6).map(str),
    st.sampled_from(
        [
            "red",
            "#fff",
            "none",
            "url(#a)",
            "url(#missing)",
            "#a",
            "data:x",
            "http://x/y",
            "fill:red;stroke:blue",
            "M0 0L10 10Z",
            "M 1e5 1e5 C",
            "rotate(45 1 2)",
            "1,2 3,4 5",
            "matrix(1e30 0 0 1e30 0 0)",
            "0 0 100 100",
            "0.001 0.001",
            "50%",
            "a",
            "-1-2-3-4",
            "-5,-5 -10 -10",
            ".5.5.5.5",
            "1e400 -2e5 3 4",
            "5 -1",
            "scale(0)",
        ]
    ),
    st.text(max_size=12),
)


@st.composite
def elements(draw, depth=0):
    tag = draw(st.sampled_from(TAGS))
    attrs = draw(st.dictionaries(st.sampled_from(ATTRS), value, max_size=5))
    body = ""
    if depth < 3:
        body = "".join(draw(st.lists(elements(depth=depth + 1), max_size=3)))
    if draw(st.booleans()):
        body += draw(st.text(max_size=8))
    attr_text = "".join(f' {k}="{str(v).replace(chr(34), "")}"' for k, v in attrs.items())
    return f"<{tag}{attr_text}>{body}</{tag}>"


@st.composite
def documents(draw):
    inner = "".join(draw(st.lists(elements(), min_size=0, max_size=5)))
    head = draw(
        st.sampled_from(
            [
                '<svg xmlns="http://www.w3.org/2000/svg">',
                '<svg viewBox="0 0 64 32">',
                "<svg>",
                '<svg width="1e9" height="-5">',
            ]
        )
    )
    doc = draw(st.sampled_from(["", "Here:\n```svg\n", "<?xml version='1.0'?>"])) + head + inner + "</svg>"
    if draw(st.booleans()):
        doc = doc[: draw(st.integers(0, len(doc)))]
    return doc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300), documents()))
def test_sanitize_output_always_validates(raw):
    result = sanitize(raw)
    assert validate(result.svg).valid, (result.svg, validate(result.svg).summary)
    assert result.bytes <= 10_000


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(documents())
def test_sanitize_output_always_renders(pool, raw):
    result = sanitize(raw)
    r = pool.render(result.svg)
    assert r.ok, (result.svg, r.error)
