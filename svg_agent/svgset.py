"""Deterministic SVG sets for the tests and the benchmarks: honest drawings, raw model output,
hostile inputs and drawings of text. Nothing here is a model's output; each is built from a seed.

    from svg_agent.svgset import build_set, random_scene, hidden_text_svg, BILLION_LAUGHS
    build_set(120, seed=0)      # [(category, raw text)]: the benchmark set, categories by weight

Honest drawings: `random_scene` (gradient sky, every kind of shape) and the categories of
`build_set` (flat, scene, gradient, curves, strokes, verbose, oversized). Raw model output: fenced,
truncated, styled, with `<text>`. Hostile: entity expansion, external entities and references,
`<use>` bombs, deep nesting, huge canvases, endless dashes. Text: `text_svg` (HELLO as a path)
and `hidden_text_svg` (HELLO hidden from the light OCR image, revealed by the heavy defenses).
"""

from __future__ import annotations

import numpy as np

CANVAS = 384

NS = 'xmlns="http://www.w3.org/2000/svg"'


def random_scene(seed: int, n: int = 20) -> str:
    """A valid, varied drawing: gradient sky, shapes of every kind, strokes, transforms."""
    rng = np.random.RandomState(seed)

    def col():
        return "#%06x" % rng.randint(0, 2**24)

    parts = [
        f'<svg {NS} viewBox="0 0 384 384"><defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1">'
        f'<stop offset="0" stop-color="{col()}"/><stop offset="1" stop-color="{col()}"/></linearGradient></defs>'
        '<rect width="384" height="384" fill="url(#g)"/>'
    ]
    for _ in range(n):
        k = rng.randint(6)
        c = col()
        x, y = rng.uniform(0, 384, 2)
        if k == 0:
            parts.append(
                f'<circle cx="{x:.3f}" cy="{y:.3f}" r="{rng.uniform(4, 90):.3f}" fill="{c}" opacity="{rng.uniform(0.3, 1):.2f}"/>'
            )
        elif k == 1:
            parts.append(
                f'<rect x="{x:.2f}" y="{y:.2f}" width="{rng.uniform(5, 150):.2f}" height="{rng.uniform(5, 150):.2f}" fill="{c}" transform="rotate({rng.uniform(-30, 30):.1f} {x:.1f} {y:.1f})"/>'
            )
        elif k == 2:
            pts = " ".join(f"{a:.2f},{b:.2f}" for a, b in rng.uniform(0, 384, (5, 2)))
            parts.append(
                f'<polygon points="{pts}" fill="{c}" stroke="{col()}" stroke-width="{rng.uniform(1, 5):.1f}"/>'
            )
        elif k == 3:
            a = rng.uniform(0, 384, 8)
            parts.append(
                f'<path d="M{a[0]:.2f} {a[1]:.2f} C{a[2]:.2f} {a[3]:.2f} {a[4]:.2f} {a[5]:.2f} {a[6]:.2f} {a[7]:.2f} Z" fill="{c}"/>'
            )
        elif k == 4:
            parts.append(
                f'<ellipse cx="{x:.1f}" cy="{y:.1f}" rx="{rng.uniform(5, 80):.1f}" ry="{rng.uniform(5, 60):.1f}" fill="{c}"/>'
            )
        else:
            a = rng.uniform(0, 384, 4)
            parts.append(
                f'<line x1="{a[0]:.1f}" y1="{a[1]:.1f}" x2="{a[2]:.1f}" y2="{a[3]:.1f}" stroke="{c}" stroke-width="{rng.uniform(1, 8):.1f}" stroke-linecap="round"/>'
            )
    parts.append("</svg>")
    return "".join(parts)


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1) if i > 1 else "&lol;") * 10}">' for i in range(1, 10))
    + f']><svg {NS}><rect width="10" height="10"/><text>&lol9;</text></svg>'
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>'
    f'<svg {NS}><rect width="10" height="10"/><text>&xxe;</text></svg>'
)
EXTERNAL_DTD = f'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg {NS}><rect width="10" height="10"/></svg>'
EXTERNAL_HREF = f'<svg {NS} xmlns:xlink="http://www.w3.org/1999/xlink"><rect width="9" height="9"/><use xlink:href="http://127.0.0.1:9/x.svg#a"/><use href="file:///etc/passwd"/></svg>'


def use_bomb(levels: int = 7, fan: int = 10) -> str:
    groups = "".join(
        f'<g id="a{i}">' + "".join(f'<use href="#a{i - 1}"/>' for _ in range(fan)) + "</g>"
        for i in range(1, levels + 1)
    )
    return f'<svg {NS} viewBox="0 0 384 384"><defs><g id="a0"><circle r="5" cx="9" cy="9"/></g>{groups}</defs><rect width="384" height="384" fill="#fff"/><use href="#a{levels}"/></svg>'


def deep_nesting(depth: int = 1200) -> str:
    return f"<svg {NS}>" + "<g>" * depth + '<rect width="10" height="10"/>' + "</g>" * depth + "</svg>"


def many_elements(n: int = 100_000) -> str:
    return (
        f'<svg {NS} viewBox="0 0 384 384">'
        + "".join(
            f'<rect x="{i % 384}" y="{(i // 384) % 384}" width="2" height="2" fill="#{i % 4096:03x}"/>'
            for i in range(n)
        )
        + "</svg>"
    )


HUGE_SIZE = f'<svg {NS} width="100000" height="100000"><rect width="10" height="10"/></svg>'
HUGE_VIEWBOX = (
    f'<svg {NS} viewBox="0 0 1e30 1e30" width="1e9" height="1e9"><rect width="1e29" height="1e29" fill="red"/></svg>'
)
LONG_DASHES = f'<svg {NS} viewBox="0 0 384 384"><rect width="384" height="384" fill="#fff"/><path d="M0 0 L100000 100000 L0 100000 Z" stroke="red" stroke-dasharray="0.001 0.001"/></svg>'


def _hello_path(x0=40, y0=140, h=100, w=50, gap=18) -> str:
    """Block letters H E L L O as one path."""
    x, parts = x0, []
    parts.append(f"M{x} {y0}v{h}M{x + w} {y0}v{h}M{x} {y0 + h // 2}h{w}")
    x += w + gap
    parts.append(f"M{x + w} {y0}H{x}v{h}h{w}M{x} {y0 + h // 2}h{w * 4 // 5}")
    x += w + gap
    for _ in range(2):
        parts.append(f"M{x} {y0}v{h}h{w}")
        x += w + gap
    parts.append(f"M{x} {y0}h{w}v{h}h{-w}z")
    return "".join(parts)


def text_svg() -> str:
    """The word HELLO drawn with a path (no <text>): plain, readable text."""
    return f'<svg {NS} viewBox="0 0 384 384"><rect width="384" height="384" fill="#fff"/><path d="{_hello_path()}" fill="none" stroke="#000" stroke-width="14"/></svg>'


def hidden_text_svg(period: int = 4) -> str:
    """HELLO in fine stripes: unreadable to OCR after the light defenses (crop, JPEG 90), and
    revealed by the heavy ones (the median filter turns the 67 %-white letter stripes white and
    the 34 %-white background black). The trick of the competition's top entries."""

    def stripes(pid, share):
        return (
            f'<pattern id="{pid}" width="{period}" height="384" patternUnits="userSpaceOnUse">'
            f'<rect width="{period}" height="384" fill="#000"/><rect width="{period * share:.2f}" height="384" fill="#fff"/></pattern>'
        )

    return (
        f'<svg {NS} viewBox="0 0 384 384"><defs>{stripes("b", 0.34)}{stripes("f", 0.67)}</defs>'
        f'<rect width="384" height="384" fill="url(#b)"/><path d="{_hello_path()}" fill="none" stroke="url(#f)" '
        'stroke-width="14" stroke-linecap="square"/></svg>'
    )


# ---------------------------------------------------------------- the benchmark set

# Category -> weight in the set. "Valid" drawings first, then raw model outputs.
CATEGORIES = {
    "flat": 3,  # a few flat shapes; some with no viewBox (the scorer inserts one)
    "scene": 2,  # many elements, just under 10 kB
    "gradient": 2,  # linear and radial gradients
    "curves": 2,  # paths with C/S/Q/T/A commands
    "strokes": 2,  # stroked shapes, dash arrays, caps/joins, nested transforms
    "verbose": 2,  # valid but verbose: pretty-printed, long decimals, #ffffff, default attributes
    "raw_fenced": 2,  # markdown fence with prose around it
    "raw_truncated": 2,  # output cut off mid-document
    "raw_style": 2,  # style="..." attributes, a <style> block with class rules
    "raw_text": 1,  # <text> elements (not allowed by the scorer)
    "oversized": 2,  # 20-40 kB, 3-decimal coordinates
}
COMPACTION_CATEGORIES = ("verbose", "oversized")


def _col(rng) -> str:
    r, g, b = (int(v) for v in rng.integers(0, 256, 3))
    return f"#{r:02x}{g:02x}{b:02x}"


def _n(rng, lo, hi, decimals: int = 0) -> str:
    v = float(rng.uniform(lo, hi))
    return f"{v:.{decimals}f}" if decimals else str(int(round(v)))


def _shape(rng, d: int = 0, fill: str | None = None, extra: str = "") -> str:
    fill = fill or _col(rng)
    k = int(rng.integers(0, 5))
    if k == 0:
        return (
            f'<rect x="{_n(rng, 0, 330, d)}" y="{_n(rng, 0, 330, d)}" width="{_n(rng, 8, 120, d)}" '
            f'height="{_n(rng, 8, 120, d)}" fill="{fill}"{extra}/>'
        )
    if k == 1:
        return f'<circle cx="{_n(rng, 0, 384, d)}" cy="{_n(rng, 0, 384, d)}" r="{_n(rng, 4, 70, d)}" fill="{fill}"{extra}/>'
    if k == 2:
        return (
            f'<ellipse cx="{_n(rng, 0, 384, d)}" cy="{_n(rng, 0, 384, d)}" rx="{_n(rng, 4, 90, d)}" '
            f'ry="{_n(rng, 4, 60, d)}" fill="{fill}"{extra}/>'
        )
    if k == 3:
        pts = " ".join(f"{_n(rng, 0, 384, d)},{_n(rng, 0, 384, d)}" for _ in range(int(rng.integers(3, 7))))
        return f'<polygon points="{pts}" fill="{fill}"{extra}/>'
    return f'<path d="{_curve_d(rng, d)}" fill="{fill}"{extra}/>'


def _curve_d(rng, d: int = 0) -> str:
    def p():
        return f"{_n(rng, 0, 384, d)} {_n(rng, 0, 384, d)}"

    parts = [f"M{p()}"]
    for _ in range(int(rng.integers(2, 6))):
        k = int(rng.integers(0, 5))
        if k == 0:
            parts.append(f"C{p()} {p()} {p()}")
        elif k == 1:
            parts.append(f"Q{p()} {p()}")
        elif k == 2:
            parts.append(f"S{p()} {p()}")
        elif k == 3:
            parts.append(
                f"A{_n(rng, 10, 120, d)} {_n(rng, 10, 120, d)} {_n(rng, 0, 90)} "
                f"{int(rng.integers(0, 2))} {int(rng.integers(0, 2))} {p()}"
            )
        else:
            parts.append(f"L{p()}")
    parts.append("Z")
    return " ".join(parts)


def _bg(rng) -> str:
    return f'<rect width="384" height="384" fill="{_col(rng)}"/>'


def _doc(body: str, root: str = 'viewBox="0 0 384 384"') -> str:
    return f"<svg {NS} {root}>{body}</svg>"


def gen_flat(rng) -> str:
    body = _bg(rng) + "".join(_shape(rng) for _ in range(int(rng.integers(3, 9))))
    k = int(rng.integers(0, 4))
    root = ['viewBox="0 0 384 384"', 'width="384" height="384"', "", 'width="256" height="256"'][k]
    return _doc(body, root)


def gen_scene(rng, target: int = 9800, d: int = 1) -> str:
    parts = [_bg(rng)]
    size = len(_doc("".join(parts)))
    while True:
        s = _shape(rng, d, extra=f' opacity="{rng.uniform(0.4, 1):.2f}"' if rng.random() < 0.3 else "")
        if size + len(s) > target:
            break
        parts.append(s)
        size += len(s)
    return _doc("".join(parts))


def gen_gradient(rng) -> str:
    defs = []
    n = int(rng.integers(1, 4))
    for i in range(n):
        stops = "".join(
            f'<stop offset="{o:.2f}" stop-color="{_col(rng)}"/>'
            for o in np.sort(rng.uniform(0, 1, int(rng.integers(2, 5))))
        )
        if rng.random() < 0.5:
            defs.append(
                f'<linearGradient id="g{i}" x1="0" y1="0" x2="{rng.uniform(0, 1):.2f}" y2="1">{stops}</linearGradient>'
            )
        else:
            defs.append(
                f'<radialGradient id="g{i}" cx=".5" cy=".5" r="{rng.uniform(0.3, 0.8):.2f}">{stops}</radialGradient>'
            )
    body = f"<defs>{''.join(defs)}</defs>" + '<rect width="384" height="384" fill="url(#g0)"/>'
    body += "".join(
        _shape(rng, fill=f"url(#g{int(rng.integers(0, n))})" if rng.random() < 0.6 else None)
        for _ in range(int(rng.integers(3, 8)))
    )
    return _doc(body)


def gen_curves(rng) -> str:
    body = _bg(rng)
    for _ in range(int(rng.integers(4, 12))):
        stroke = f' stroke="{_col(rng)}" stroke-width="{_n(rng, 1, 6)}"' if rng.random() < 0.5 else ""
        body += f'<path d="{_curve_d(rng, int(rng.integers(0, 2)))}" fill="{_col(rng)}"{stroke}/>'
    return _doc(body)


def gen_strokes(rng) -> str:
    items = []
    for _ in range(int(rng.integers(6, 15))):
        k = int(rng.integers(0, 4))
        st = (
            f'stroke="{_col(rng)}" stroke-width="{_n(rng, 1, 12)}" '
            f'stroke-linecap="{rng.choice(["butt", "round", "square"])}" '
            f'stroke-linejoin="{rng.choice(["miter", "round", "bevel"])}"'
        )
        if rng.random() < 0.4:
            st += f' stroke-dasharray="{_n(rng, 2, 20)} {_n(rng, 2, 10)}"'
        tf = (
            f' transform="rotate({_n(rng, -90, 90)} {_n(rng, 0, 384)} {_n(rng, 0, 384)})"' if rng.random() < 0.5 else ""
        )
        if k == 0:
            items.append(
                f'<line x1="{_n(rng, 0, 384)}" y1="{_n(rng, 0, 384)}" x2="{_n(rng, 0, 384)}" y2="{_n(rng, 0, 384)}" {st}{tf}/>'
            )
        elif k == 1:
            pts = " ".join(f"{_n(rng, 0, 384)},{_n(rng, 0, 384)}" for _ in range(int(rng.integers(3, 8))))
            items.append(f'<polyline points="{pts}" fill="none" {st}{tf}/>')
        elif k == 2:
            items.append(
                f'<rect x="{_n(rng, 0, 300)}" y="{_n(rng, 0, 300)}" width="{_n(rng, 20, 150)}" height="{_n(rng, 20, 150)}" '
                f'rx="{_n(rng, 0, 20)}" fill="none" {st}{tf}/>'
            )
        else:
            items.append(
                f'<circle cx="{_n(rng, 0, 384)}" cy="{_n(rng, 0, 384)}" r="{_n(rng, 10, 90)}" fill="{_col(rng)}" {st}{tf}/>'
            )
    g = (
        f'<g transform="translate({_n(rng, -30, 30)} {_n(rng, -30, 30)}) rotate({_n(rng, -20, 20)} 192 192) '
        f'scale({rng.uniform(0.8, 1.1):.2f})">{"".join(items)}</g>'
    )
    return _doc(_bg(rng) + g)


def gen_verbose(rng) -> str:
    """Valid but wasteful: XML declaration, indentation, 6 decimals, long colours, defaults."""
    ind = "  "
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg {NS} width="384" height="384" viewBox="0.000000 0.000000 384.000000 384.000000">',
    ]
    if rng.random() < 0.5:
        lines.append(
            f'{ind}<rect x="0" y="0" width="100%" height="100%" fill="#ffffff" fill-opacity="1" stroke="none"/>'
        )
    else:
        lines.append(
            f'{ind}<rect x="0.000000" y="0.000000" width="384.000000" height="384.000000" fill="#FFFFFF" '
            f'stroke="none" stroke-width="1"/>'
        )
    lines.append(f'{ind}<g id="layer1" fill-opacity="1" stroke-opacity="1">')
    size = sum(len(x) + 1 for x in lines) + 40
    while True:
        col = rng.choice(["#ffffff", "#000000", "#ff0000", "#00ff00", "#0000ff", "#ffff00", _col(rng)])
        ln = ind * 2 + _shape(
            rng,
            6,
            fill=str(col),
            extra=' fill-opacity="1.000000" stroke="none" stroke-width="1.000000" fill-rule="nonzero"',
        )
        if size + len(ln) + 1 > 9900:
            break
        lines.append(ln)
        size += len(ln) + 1
    lines += [f"{ind}</g>", "</svg>", ""]
    return "\n".join(lines)


def gen_raw_fenced(rng) -> str:
    inner = gen_flat(rng) if rng.random() < 0.5 else gen_curves(rng)
    pre = rng.choice(
        [
            "Here is an SVG illustration of the scene:",
            "Sure! Below is the SVG code.",
            "```\nI will draw it with simple shapes.\n```\nResult:",
        ]
    )
    post = rng.choice(["This uses basic shapes to keep it under 10 kB.", "Let me know if you want changes!", ""])
    return f"{pre}\n\n```svg\n{inner}\n```\n\n{post}\n"


def gen_raw_truncated(rng) -> str:
    full = gen_scene(rng, target=int(rng.integers(4000, 9800)), d=int(rng.integers(0, 2)))
    cut = int(len(full) * rng.uniform(0.5, 0.97))
    return full[:cut]


def gen_raw_style(rng) -> str:
    rules = "".join(f".c{i}{{fill:{_col(rng)};stroke:{_col(rng)};stroke-width:{_n(rng, 1, 5)}}}" for i in range(3))
    body = (
        f"<style>{rules} circle{{opacity:0.9}}</style>" + f'<rect width="384" height="384" style="fill:{_col(rng)}"/>'
    )
    for _ in range(int(rng.integers(4, 12))):
        s = _shape(rng)
        if rng.random() < 0.5:
            s = s.replace(' fill="', f' class="c{int(rng.integers(0, 3))}" data-fill="', 1)
        else:
            s = s.replace(
                ' fill="', f' style="stroke:{_col(rng)}; stroke-width:{_n(rng, 1, 6)}px; opacity:.85; fill:', 1
            )
        body += s
    return _doc(body)


def gen_raw_text(rng) -> str:
    body = _bg(rng) + "".join(_shape(rng) for _ in range(int(rng.integers(2, 6))))
    for _ in range(int(rng.integers(1, 4))):
        word = rng.choice(["Hello", "SUNSET", "Lighthouse", "cafe", "42"])
        body += (
            f'<text x="{_n(rng, 10, 250)}" y="{_n(rng, 40, 370)}" font-family="sans-serif" '
            f'font-size="{_n(rng, 18, 48)}" fill="{_col(rng)}">{word}</text>'
        )
    return _doc(body)


def gen_oversized(rng) -> str:
    return gen_scene(rng, target=int(rng.integers(20_000, 40_000)), d=3)


GENERATORS = {
    "flat": gen_flat,
    "scene": gen_scene,
    "gradient": gen_gradient,
    "curves": gen_curves,
    "strokes": gen_strokes,
    "verbose": gen_verbose,
    "raw_fenced": gen_raw_fenced,
    "raw_truncated": gen_raw_truncated,
    "raw_style": gen_raw_style,
    "raw_text": gen_raw_text,
    "oversized": gen_oversized,
}


def build_set(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """`n` (category, raw text) pairs, deterministic in (n, seed), categories in weight proportion
    (every category at least once)."""
    total = sum(CATEGORIES.values())
    counts = {c: max(1, int(round(n * w / total))) for c, w in CATEGORIES.items()}
    while sum(counts.values()) > n and max(counts.values()) > 1:
        counts[max(counts, key=counts.get)] -= 1
    while sum(counts.values()) < n:
        counts[min(counts, key=lambda c: counts[c] / CATEGORIES[c])] += 1
    out = []
    for ci, (cat, k) in enumerate(counts.items()):
        for i in range(k):
            rng = np.random.default_rng([seed, ci, i])
            out.append((cat, GENERATORS[cat](rng)))
    return out
