"""SVG fixtures shared by the tests: varied honest drawings and hostile inputs."""

from __future__ import annotations

import numpy as np

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
            parts.append(f'<circle cx="{x:.3f}" cy="{y:.3f}" r="{rng.uniform(4, 90):.3f}" fill="{c}" opacity="{rng.uniform(.3, 1):.2f}"/>')
        elif k == 1:
            parts.append(f'<rect x="{x:.2f}" y="{y:.2f}" width="{rng.uniform(5, 150):.2f}" height="{rng.uniform(5, 150):.2f}" fill="{c}" transform="rotate({rng.uniform(-30, 30):.1f} {x:.1f} {y:.1f})"/>')
        elif k == 2:
            pts = " ".join(f"{a:.2f},{b:.2f}" for a, b in rng.uniform(0, 384, (5, 2)))
            parts.append(f'<polygon points="{pts}" fill="{c}" stroke="{col()}" stroke-width="{rng.uniform(1, 5):.1f}"/>')
        elif k == 3:
            a = rng.uniform(0, 384, 8)
            parts.append(f'<path d="M{a[0]:.2f} {a[1]:.2f} C{a[2]:.2f} {a[3]:.2f} {a[4]:.2f} {a[5]:.2f} {a[6]:.2f} {a[7]:.2f} Z" fill="{c}"/>')
        elif k == 4:
            parts.append(f'<ellipse cx="{x:.1f}" cy="{y:.1f}" rx="{rng.uniform(5, 80):.1f}" ry="{rng.uniform(5, 60):.1f}" fill="{c}"/>')
        else:
            a = rng.uniform(0, 384, 4)
            parts.append(f'<line x1="{a[0]:.1f}" y1="{a[1]:.1f}" x2="{a[2]:.1f}" y2="{a[3]:.1f}" stroke="{c}" stroke-width="{rng.uniform(1, 8):.1f}" stroke-linecap="round"/>')
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
        f'<g id="a{i}">' + "".join(f'<use href="#a{i - 1}"/>' for _ in range(fan)) + "</g>" for i in range(1, levels + 1)
    )
    return f'<svg {NS} viewBox="0 0 384 384"><defs><g id="a0"><circle r="5" cx="9" cy="9"/></g>{groups}</defs><rect width="384" height="384" fill="#fff"/><use href="#a{levels}"/></svg>'


def deep_nesting(depth: int = 1200) -> str:
    return f'<svg {NS}>' + "<g>" * depth + '<rect width="10" height="10"/>' + "</g>" * depth + "</svg>"


def many_elements(n: int = 100_000) -> str:
    return f'<svg {NS} viewBox="0 0 384 384">' + "".join(
        f'<rect x="{i % 384}" y="{(i // 384) % 384}" width="2" height="2" fill="#{i % 4096:03x}"/>' for i in range(n)
    ) + "</svg>"


HUGE_SIZE = f'<svg {NS} width="100000" height="100000"><rect width="10" height="10"/></svg>'
HUGE_VIEWBOX = f'<svg {NS} viewBox="0 0 1e30 1e30" width="1e9" height="1e9"><rect width="1e29" height="1e29" fill="red"/></svg>'
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
        return (f'<pattern id="{pid}" width="{period}" height="384" patternUnits="userSpaceOnUse">'
                f'<rect width="{period}" height="384" fill="#000"/><rect width="{period * share:.2f}" height="384" fill="#fff"/></pattern>')
    return (f'<svg {NS} viewBox="0 0 384 384"><defs>{stripes("b", 0.34)}{stripes("f", 0.67)}</defs>'
            f'<rect width="384" height="384" fill="url(#b)"/><path d="{_hello_path()}" fill="none" stroke="url(#f)" '
            'stroke-width="14" stroke-linecap="square"/></svg>')
