import re

import numpy as np
import pytest
from reference_scorer import scorer_accepts, scorer_render

from svg_agent.constraints import validate
from svg_agent.extract import extract_candidates
from svg_agent.sanitize import FALLBACK_SVG, sanitize
from svg_agent.svgset import NS, random_scene

SCENE = random_scene(3, 25)


def diff(a: str, b: str) -> float:
    return float(np.abs(np.asarray(scorer_render(a), float) - np.asarray(scorer_render(b), float)).mean())


def check(result, max_bytes=10_000):
    assert validate(result.svg, max_bytes=max_bytes).valid
    assert scorer_accepts(result.svg) or max_bytes < 10_000
    return result


def test_clean_svg_keeps_its_drawing():
    r = check(sanitize(SCENE))
    assert r.raw_valid and r.extracted_valid and not r.fallback
    assert sanitize('<?xml version="1.0"?>\n' + SCENE + "\n").raw_valid
    assert r.bytes < len(SCENE.encode())
    assert diff(SCENE, r.svg) < 1.0


@pytest.mark.parametrize(
    "wrap",
    [
        "Here you go:\n```svg\n{svg}\n```\nHope you like it!",
        "```xml\n{svg}\n```",
        "<start_of_turn>model\n{svg}<end_of_turn>",
        "{svg} and here is another idea: <svg><circle",
        "Sure. {svg}\n\nThe drawing shows",
    ],
)
def test_extracts_from_chat_text(wrap):
    r = check(sanitize(wrap.format(svg=SCENE)))
    assert not r.fallback and r.extracted_valid and not r.raw_valid
    assert diff(SCENE, r.svg) < 1.0


def test_picks_the_svg_with_the_most_drawing():
    small = f'<svg {NS}><circle cx="5" cy="5" r="4"/></svg>'
    r = check(sanitize(f"First try: {small} better: {SCENE}"))
    assert r.candidates == 2 and r.drawn_elements >= 20


def test_nested_svg_is_one_candidate():
    text = (
        f'<svg {NS}><svg viewBox="0 0 10 10"><rect width="5" height="5"/></svg><circle r="3" cx="9" cy="9"/></svg> tail'
    )
    assert len(extract_candidates(text)) == 1


def test_truncated_output_is_closed_and_keeps_what_was_drawn():
    cut = SCENE[: int(len(SCENE) * 0.6)]
    r = check(sanitize(cut))
    assert not r.fallback and not r.raw_valid
    assert 5 <= r.drawn_elements


def test_style_attributes_and_style_sheets_become_presentation_attributes():
    svg = (
        f'<svg {NS} viewBox="0 0 100 100"><style>.a {{ fill: #00ff00 }} rect {{ stroke: blue }} #b {{ fill: red }}</style>'
        '<rect width="100" height="100" fill="#fff"/>'
        '<rect class="a" x="10" y="10" width="30" height="30" style="stroke-width: 4; opacity: .5 !important"/>'
        '<circle id="b" class="a" cx="70" cy="70" r="20"/></svg>'
    )
    r = check(sanitize(svg))
    assert 'fill="#0f0"' in r.svg and 'stroke="blue"' in r.svg and 'stroke-width="4"' in r.svg
    assert 'opacity=".5"' in r.svg and 'fill="red"' in r.svg  # the id rule beats the class rule
    assert "style" not in r.svg and "class" not in r.svg
    img = np.asarray(scorer_render(r.svg))
    assert tuple(img[int(70 * 3.84), int(70 * 3.84)]) == (255, 0, 0)


def test_disallowed_content_is_dropped_and_links_unwrapped():
    svg = (
        f'<svg {NS} xmlns:xlink="http://www.w3.org/1999/xlink"><text>words</text><image href="data:image/png;base64,AA"/>'
        '<a href="http://x"><rect width="50" height="50" fill="navy"/></a><clipPath id="c"><rect width="1" height="1"/></clipPath>'
        '<circle r="9" cx="60" cy="60" clip-path="url(#c)" fill="url(#missing) orange"/><use xlink:href="http://evil/x#y"/>'
        "<foreignObject><div/></foreignObject><script>x()</script></svg>"
    )
    r = check(sanitize(svg))
    for word in ("text", "image", "words", "clip", "script", "foreign", "http://x", "http://evil", "data:", "<g"):
        assert word not in r.svg
    assert 'fill="navy"' in r.svg and 'fill="orange"' in r.svg


def test_viewbox_size_and_background_are_added():
    r = check(sanitize(f'<svg {NS} width="200" height="100"><circle cx="100" cy="50" r="40" fill="red"/></svg>'))
    # No viewBox: the scorer's inserted 0 0 384 384, fitted into 200 x 100, then stretched.
    assert 'viewBox="-192 0 768 384"' in r.svg and 'width="384"' in r.svg and 'preserveAspectRatio="none"' in r.svg
    img = np.asarray(scorer_render(r.svg))
    assert img.shape == (384, 384, 3)
    assert tuple(img[2, 2]) == (255, 255, 255)  # opaque white, not the black of transparency
    r = check(sanitize(f'<svg {NS}><rect width="384" height="384" fill="#123"/><circle r="3"/></svg>'))
    assert r.svg.count("<rect") == 1  # an existing full-canvas background is kept, not doubled


def test_oversized_svg_is_compacted_then_pruned_to_fit():
    rng = np.random.RandomState(0)
    specks = "".join(
        f'<circle cx="{x:.4f}" cy="{y:.4f}" r="{r:.4f}" fill="#{c:06x}"/>'
        for x, y, r, c in zip(
            rng.uniform(0, 384, 600), rng.uniform(0, 384, 600), rng.uniform(0.5, 1.5, 600), rng.randint(0, 2**24, 600)
        )
    )
    big = random_scene(7, 40).replace("</svg>", specks + "</svg>")
    assert len(big.encode()) > 30_000
    r = check(sanitize(big))
    assert r.bytes <= 10_000 and not r.fallback
    assert r.bytes >= 9_500  # pruning stops as soon as the text fits
    assert r.drawn_elements >= 41  # every large shape survives; the specks go first
    assert diff(big, r.svg) < 3.0
    tight = check(sanitize(SCENE, max_bytes=1_000), max_bytes=1_000)
    assert tight.bytes <= 1_000 and tight.drawn_elements >= 2


def test_fallback_when_nothing_is_usable():
    for raw in ("", "I cannot draw that.", "<svg><text>hello</text></svg>", b"\xff\xfe\x00", "<svg"):
        r = check(sanitize(raw))
        assert r.fallback and r.svg == FALLBACK_SVG and r.notes


def test_small_viewbox_keeps_enough_precision():
    icon = f'<svg {NS} viewBox="0 0 24 24"><rect width="24" height="24" fill="#fff"/><path d="M12 2.5L2.25 7.75l9.75 5 9.75-5z" fill="#345"/></svg>'
    r = check(sanitize(icon))
    assert "2.5" in r.svg and "7.75" in r.svg
    # The scorer renders the original at 24 px and upscales; ours is drawn at 384 px.
    assert diff(icon.replace("<svg ", '<svg width="384" height="384" '), r.svg) < 1.0


def test_sanitize_is_idempotent():
    once = sanitize(SCENE).svg
    assert sanitize(once).svg == once


def test_missing_viewbox_keeps_the_scorers_view():
    # The scorer inserts viewBox="0 0 384 384" and renders at width x height.
    svg = f'<svg {NS} width="256" height="256"><rect width="384" height="384" fill="#fff"/><circle cx="320" cy="320" r="40" fill="red"/></svg>'
    assert diff(svg, check(sanitize(svg)).svg) < 0.5
    wide = f'<svg {NS} width="200" height="100" viewBox="0 0 100 100"><rect width="100" height="100" fill="#0f0"/><circle cx="50" cy="50" r="40" fill="red"/></svg>'
    out = check(sanitize(wide)).svg
    a, b = np.asarray(scorer_render(wide), float), np.asarray(scorer_render(out), float)
    drawn = a.sum(2) > 0  # the scorer leaves the letterbox black; sanitize paints it
    assert np.abs(a - b)[drawn].mean() < 5 and b[~drawn].min() == 255


def test_smooth_curves_keep_their_gradient_placement():
    svg = (
        f'<svg {NS} viewBox="0 0 384 384"><defs><linearGradient id="g" x2="1"><stop offset="0" stop-color="red"/>'
        '<stop offset="1" stop-color="blue"/></linearGradient></defs><rect width="384" height="384" fill="#fff"/>'
        '<path d="M40 100 C120 380 20 200 200 200 S300 20 300 300 Z" fill="url(#g)"/>'
        '<path d="M10 10 Q50 60 90 10 T170 10 t80 0" stroke="#000" fill="url(#g)"/></svg>'
    )
    out = check(sanitize(svg)).svg
    paths = re.findall(r' d="([^"]*)"', out)
    assert "s" in paths[0].lower() and "t" in paths[1].lower()
    assert diff(svg, out) < 0.3


@pytest.mark.parametrize(
    "body",
    [
        '<defs><g id="a"><circle cx="50" cy="50" r="30" fill="#000"/></g></defs><use href="#a" fill="red"/><g id="b"><rect width="20" height="20" stroke="none"/></g><use href="#b" x="60" y="60" stroke="blue" stroke-width="4" fill="green"/>',
        '<circle cx="50" cy="50" r="20%" fill="red"/><ellipse cx="20" cy="20" rx="10%" ry="5mm" fill="blue"/>',
        '<defs display="none"><linearGradient id="g"><stop offset="0" stop-color="red"/><stop offset="1" stop-color="blue"/></linearGradient></defs><rect width="100" height="100" fill="url(#g)"/>',
        '<rect width="100" height="100" fill="#ffd"/><circle cx="50" cy="50" r="30" fill="url(#missing)" stroke="#000"/>',
    ],
)
def test_valid_drawings_keep_their_look(body):
    # width/height 384 so the original is drawn at the sanitized one's resolution
    svg = f'<svg {NS} viewBox="0 0 100 100" width="384" height="384"><rect width="100" height="100" fill="#fff"/>{body}</svg>'
    out = check(sanitize(svg)).svg
    assert diff(svg, out) < 1.0, out


def test_root_presentation_attributes_are_kept():
    svg = (
        f'<svg {NS} viewBox="0 0 100 100" width="384" height="384" color="red" fill-rule="evenodd" stroke-linecap="round">'
        '<rect width="100" height="100" fill="#fff"/><path d="M10 10h80v80H10zM30 30h40v40H30z" fill="currentColor"/>'
        '<line x1="10" y1="95" x2="90" y2="95" stroke="#000" stroke-width="6"/></svg>'
    )
    assert diff(svg, check(sanitize(svg)).svg) < 1.0


def test_large_user_units_are_not_clamped():
    svg = f'<svg {NS} viewBox="0 0 200000 200000" width="384" height="384"><rect width="200000" height="200000" fill="#fff"/><circle cx="150000" cy="150000" r="30000" fill="red"/></svg>'
    assert diff(svg, check(sanitize(svg)).svg) < 1.0


_PATTERN = '<pattern id="{id}" width="20" height="20" patternUnits="userSpaceOnUse">{body}</pattern>'


@pytest.mark.parametrize(
    "defs",
    [
        # a pattern that fills one of its own shapes with itself
        _PATTERN.format(id="p", body='<rect width="20" height="20" fill="purple"/><circle r="5" fill="url(#p)"/>'),
        # two patterns that fill each other
        _PATTERN.format(id="p", body='<rect width="9" height="9" fill="url(#q)"/>')
        + _PATTERN.format(id="q", body='<rect width="9" height="9" fill="url(#p)"/>'),
    ],
)
def test_reference_cycles_through_paint_servers_are_broken(defs, pool):
    svg = f'<svg {NS} viewBox="0 0 384 384"><defs>{defs}</defs><rect width="384" height="384" fill="url(#p)"/><circle cx="100" cy="100" r="50" fill="red"/></svg>'
    assert not pool.render(svg).ok  # the renderer recurses until it fails
    r = sanitize(svg)
    assert not r.fallback and any("lead back" in n for n in r.notes)
    assert pool.render(r.svg).ok and scorer_accepts(r.svg)
    scorer_render(r.svg)  # in process, as the scorer renders it
    assert 'fill="url(#p)"' in r.svg  # the canvas keeps its pattern: only the cyclic reference goes


def test_a_pattern_that_uses_another_keeps_its_reference(pool):
    defs = _PATTERN.format(id="p", body='<rect width="9" height="9" fill="url(#q)"/>') + (
        '<linearGradient id="q"><stop offset="0" stop-color="red"/><stop offset="1" stop-color="blue"/></linearGradient>'
    )
    svg = f'<svg {NS} viewBox="0 0 384 384"><defs>{defs}</defs><rect width="384" height="384" fill="url(#p)"/><circle cx="100" cy="100" r="50" fill="red"/></svg>'
    r = sanitize(svg)
    assert 'fill="url(#q)"' in r.svg and not any("lead back" in n for n in r.notes)
