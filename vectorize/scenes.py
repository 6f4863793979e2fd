"""Procedural scenes: (description, SVG, ground-truth questions) from a grammar, with no model.

    from vectorize.scenes import generate_scenes
    for scene in generate_scenes(1000, seed=0): scene.description, scene.svg, scene.questions

Three families, as in the competition's descriptions: abstract shapes and colours and their
arrangement; landscapes with skies, weather and times of day; simple garments and objects. Each
SVG is drawn with a gradient sky or backdrop, layering and a palette, validates, and stays far
under 10 kB; each question is in the competition's format (2 or 4 choices, the answer among
them) and follows from the parameters that drew the picture. Deterministic for a seed; no
description repeats within one call.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field

from svg_agent.constraints import validate

NS = 'xmlns="http://www.w3.org/2000/svg"'
PALETTE = {
    "red": "#d62828", "crimson": "#b3122e", "orange": "#f77f00", "yellow": "#fcbf49", "gold": "#e9b320",
    "green": "#2a9d4b", "olive": "#6b7a1f", "teal": "#1b8a8a", "turquoise": "#3fd0c9", "blue": "#1d5fd6",
    "navy": "#14213d", "purple": "#6a2c91", "violet": "#8e5bd6", "pink": "#f28cb1", "magenta": "#c2187a",
    "brown": "#7f5539", "beige": "#e8d8b8", "gray": "#8d939b", "black": "#111111", "white": "#fafafa",
}
BASIC = ["red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white", "gray"]
SHAPES = ["circle", "square", "triangle", "star", "rectangle"]
COUNTS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
TIMES = {  # sky top, sky bottom, sun/moon
    "dawn": ("#f4a29b", "#fde2c4", "sun"), "noon": ("#3d8fe0", "#a9d8ff", "sun"),
    "dusk": ("#3b1f5c", "#f08a5d", "sun"), "night": ("#0b1026", "#27325c", "moon"),
}
TERRAINS = ["mountains", "hills", "sea", "forest", "desert"]
GARMENTS = ["coat", "dress", "t-shirt", "hat", "umbrella", "scarf"]


@dataclass
class Scene:
    """One record: the description, its SVG and questions with answers."""

    description: str
    svg: str
    questions: list[dict] = field(default_factory=list)
    family: str = ""
    # What the picture shows, as the generator drew it: slot -> value (see ATTRIBUTE_SLOTS). A slot
    # that does not apply to the family is absent ("time" for a garment).
    attrs: dict = field(default_factory=dict)


def _mc(question: str, answer: str, pool: list[str], rng: random.Random) -> dict:
    others = [p for p in dict.fromkeys(pool) if p != answer]
    rng.shuffle(others)
    choices = [answer] + others[:3]
    rng.shuffle(choices)
    return {"question": question, "choices": choices, "answer": answer}


def _yn(question: str, yes: bool) -> dict:
    return {"question": question, "choices": ["yes", "no"], "answer": "yes" if yes else "no"}


def _color_pool(answer: str) -> list[str]:
    near = {"red": {"crimson", "pink", "magenta", "orange"}, "blue": {"navy", "teal", "turquoise", "violet"},
            "purple": {"violet", "magenta", "pink"}, "yellow": {"gold", "orange", "beige"}, "green": {"olive", "teal"}}
    avoid = near.get(answer, set()) | {k for k, v in near.items() if answer in v}
    return [c for c in BASIC if c not in avoid]


def _shape(kind: str, cx: float, cy: float, r: float, fill: str) -> str:
    if kind == "circle":
        return f'<circle cx="{cx:.0f}" cy="{cy:.0f}" r="{r:.0f}" fill="{fill}"/>'
    if kind in ("square", "rectangle"):
        w, h = (2 * r, 2 * r) if kind == "square" else (2.6 * r, 1.4 * r)
        return f'<rect x="{cx - w / 2:.0f}" y="{cy - h / 2:.0f}" width="{w:.0f}" height="{h:.0f}" fill="{fill}"/>'
    if kind == "triangle":
        pts = [(cx, cy - r), (cx - r * 0.95, cy + r * 0.8), (cx + r * 0.95, cy + r * 0.8)]
    else:  # star
        pts = [(cx + (r if i % 2 == 0 else r * 0.45) * math.sin(i * math.pi / 5),
                cy - (r if i % 2 == 0 else r * 0.45) * math.cos(i * math.pi / 5)) for i in range(10)]
    return f'<polygon points="{" ".join(f"{x:.0f},{y:.0f}" for x, y in pts)}" fill="{fill}"/>'


def _gradient(gid: str, top: str, bottom: str) -> str:
    return (f'<linearGradient id="{gid}" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="{top}"/>'
            f'<stop offset="1" stop-color="{bottom}"/></linearGradient>')


def abstract_scene(rng: random.Random) -> Scene:
    color, bg = rng.sample([c for c in BASIC if c not in ("gray",)], 2)
    shape, n = rng.choice(SHAPES), rng.choice([1, 2, 3, 4, 5])
    layout = rng.choice(["in a row", "in a column", "scattered", "in a diagonal line"])
    plural = shape + ("s" if n > 1 else "")
    desc = (f"{COUNTS[n]} {color} {plural} {layout} on {_a(bg)} background" if n > 1
            else f"{_a(color)} {shape} on {_a(bg)} background")
    r = 150 / (n + 1) + 14
    pos = []
    for i in range(n):
        t = (i + 1) / (n + 1)
        if layout == "in a row" or n == 1:
            pos.append((384 * t, 192))
        elif layout == "in a column":
            pos.append((192, 384 * t))
        elif layout == "in a diagonal line":
            pos.append((384 * t, 384 * t))
        else:
            pos.append((rng.uniform(r, 384 - r), rng.uniform(r, 384 - r)))
    light = _shade(PALETTE[bg], 0.25)
    body = "".join(_shape(shape, x, y, r, PALETTE[color]) for x, y in pos)
    svg = (f'<svg {NS} viewBox="0 0 384 384"><defs>{_gradient("g", light, PALETTE[bg])}</defs>'
           f'<rect width="384" height="384" fill="url(#g)"/>{body}</svg>')
    qs = [_mc(f"What color are the {shape}s?" if n > 1 else f"What color is the {shape}?", color, _color_pool(color), rng),
          _mc("What shape appears in the image?", shape, SHAPES, rng),
          _mc(f"How many {plural} are there?", str(n), ["1", "2", "3", "4", "5"], rng),
          _mc("What color is the background?", bg, _color_pool(bg), rng)]
    return Scene(desc, svg, qs, "abstract", {"object": shape, "color": color, "background": bg, "count": str(n)})


def _a(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def _shade(hex_color: str, amount: float) -> str:
    """Mix toward white (amount > 0) or black (amount < 0)."""
    rgb = [int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]
    target = 255 if amount > 0 else 0
    mixed = [round(c + (target - c) * abs(amount)) for c in rgb]
    return "#%02x%02x%02x" % tuple(mixed)


def landscape_scene(rng: random.Random) -> Scene:
    time = rng.choice(list(TIMES))
    terrain = rng.choice(TERRAINS)
    weather = rng.choice(["clear", "cloudy", "snowy"] if terrain != "desert" else ["clear", "cloudy"])
    top, bottom, body = TIMES[time]
    ground = {"mountains": "#5b6770", "hills": "#3f8f4a", "sea": "#1f5f8b", "forest": "#24492e", "desert": "#d9a55b"}[terrain]
    if time == "night":
        ground = _shade(ground, -0.5)
    parts = [f'<svg {NS} viewBox="0 0 384 384"><defs>{_gradient("s", top, bottom)}</defs>'
             '<rect width="384" height="384" fill="url(#s)"/>']
    bx, by = rng.choice([80, 300]), rng.choice([70, 100])
    if body == "sun":
        parts.append(f'<circle cx="{bx}" cy="{by + (120 if time in ("dawn", "dusk") else 0)}" r="34" fill="#ffd166"/>')
    else:
        parts.append(f'<circle cx="{bx}" cy="{by}" r="28" fill="#f1f3f8"/><circle cx="{bx + 12}" cy="{by - 8}" r="24" fill="{top}"/>')
        parts.extend(f'<circle cx="{rng.randint(10, 374)}" cy="{rng.randint(10, 180)}" r="1.5" fill="#fff"/>' for _ in range(12))
    if terrain == "mountains":
        peaks = " ".join(f"{x},{y}" for x, y in [(0, 384), (0, 260), (90, 150), (170, 250), (250, 130), (384, 270), (384, 384)])
        parts.append(f'<polygon points="{peaks}" fill="{ground}"/><polygon points="250,130 228,170 272,170" fill="#f4f6f8"/>')
    elif terrain == "hills":
        parts.append(f'<path d="M0 280Q96 220 192 270T384 250V384H0Z" fill="{ground}"/>'
                     f'<path d="M0 320Q120 280 240 320T384 310V384H0Z" fill="{_shade(ground, -0.2)}"/>')
    elif terrain == "sea":
        parts.append(f'<rect y="250" width="384" height="134" fill="{ground}"/>'
                     + "".join(f'<path d="M{x} {y}q12-6 24 0" stroke="{_shade(ground, 0.4)}" stroke-width="3" fill="none"/>'
                               for x, y in [(40, 290), (150, 320), (260, 280), (300, 350), (90, 360)]))
    elif terrain == "forest":
        parts.append(f'<rect y="290" width="384" height="94" fill="{_shade(ground, -0.2)}"/>')
        parts.extend(f'<polygon points="{x},{290 - h} {x - 22},{300} {x + 22},300" fill="{ground}"/>'
                     for x, h in [(30, 90), (80, 120), (135, 100), (190, 130), (245, 95), (300, 125), (355, 105)])
    else:
        parts.append(f'<path d="M0 300Q100 260 200 300T384 290V384H0Z" fill="{ground}"/>')
    if weather == "cloudy":
        for cx, cy in [(120, 80), (260, 60)]:
            parts.append(f'<g fill="#f4f6f8" opacity=".9"><ellipse cx="{cx}" cy="{cy}" rx="46" ry="18"/>'
                         f'<ellipse cx="{cx + 20}" cy="{cy - 12}" rx="28" ry="16"/></g>')
    elif weather == "snowy":
        parts.extend(f'<circle cx="{rng.randint(5, 379)}" cy="{rng.randint(5, 379)}" r="3" fill="#fff"/>' for _ in range(40))
    element, ecolor = rng.choice([None, None, "cabin", "sailboat", "hot air balloon", "lighthouse"]), rng.choice(
        ["red", "yellow", "white", "blue", "orange", "purple"])
    if element == "sailboat" and terrain != "sea":
        element = None
    ef = PALETTE[ecolor]
    if element == "cabin":
        parts.append(f'<rect x="150" y="250" width="70" height="50" fill="{ef}"/><polygon points="142,252 185,215 228,252" fill="{_shade(ef, -0.4)}"/>'
                     '<rect x="178" y="272" width="14" height="28" fill="#3b2a1a"/>')
    elif element == "sailboat":
        parts.append(f'<path d="M150 300h90l-14 18h-62z" fill="#5a3d2b"/><polygon points="195,296 195,220 240,296" fill="{ef}"/>')
    elif element == "hot air balloon":
        parts.append(f'<circle cx="250" cy="150" r="34" fill="{ef}"/><path d="M228 174l10 26h24l10-26" fill="{_shade(ef, -0.3)}"/>'
                     '<rect x="240" y="200" width="20" height="14" fill="#7f5539"/>')
    elif element == "lighthouse":
        parts.append(f'<polygon points="300,300 312,170 332,170 344,300" fill="{ef}"/><rect x="308" y="155" width="28" height="18" fill="#ffe36e"/>'
                     f'<rect x="306" y="230" width="32" height="14" fill="{_shade(ef, -0.4)}"/>')
    parts.append("</svg>")
    phrase = {"mountains": "over snowy mountains" if weather == "snowy" else "over mountains", "hills": "over rolling green hills",
              "sea": "over a calm sea", "forest": "above a dark forest", "desert": "over desert dunes"}[terrain]
    sky = {"clear": "a clear sky", "cloudy": "a cloudy sky", "snowy": "falling snow"}[weather]
    desc = f"{sky} at {time} {phrase}" + (f" with {_a(ecolor + ' ' + element)}" if element else "")
    qs = [_mc("What time of day is shown?", time, list(TIMES), rng),
          _mc("What is below the sky?", terrain, TERRAINS, rng),
          _yn("Is there a moon?", body == "moon"),
          _yn("Are there clouds?", weather == "cloudy")]
    if element:
        qs[3] = _mc(f"What color is the {element}?", ecolor, _color_pool(ecolor), rng)
    attrs = {"object": element or "none", "terrain": terrain, "time": time, "moon": "yes" if body == "moon" else "no",
             "clouds": "yes" if weather == "cloudy" else "no"}
    if element:
        attrs["color"] = ecolor
    return Scene(desc, "".join(parts), qs, "landscape", attrs)


def garment_scene(rng: random.Random) -> Scene:
    kind = rng.choice(GARMENTS)
    color = rng.choice([c for c in BASIC if c not in ("white",)])
    trim = rng.choice([c for c in ("white", "black", "gold", "beige") if c != color])
    fill, trim_fill, bg = PALETTE[color], PALETTE[trim], _shade(PALETTE[rng.choice(["beige", "gray", "blue"])], 0.7)
    detail = {"coat": "buttons", "dress": "a belt", "t-shirt": "a pocket", "hat": "a band", "umbrella": "a handle",
              "scarf": "fringes"}[kind]
    parts = [f'<svg {NS} viewBox="0 0 384 384"><defs>{_gradient("b", bg, _shade(bg, -0.15))}</defs>'
             '<rect width="384" height="384" fill="url(#b)"/>']
    if kind == "coat":
        parts.append(f'<path d="M132 92H252L300 150 290 340H94L84 150Z" fill="{fill}"/>'
                     f'<path d="M84 150 52 300 80 306 104 190ZM300 150 332 300 304 306 280 190Z" fill="{_shade(fill, -0.15)}"/>')
        parts.extend(f'<circle cx="204" cy="{y}" r="6" fill="{trim_fill}"/>' for y in (190, 240, 290))
    elif kind == "dress":
        parts.append(f'<path d="M160 70H224L236 160 300 340H84L148 160Z" fill="{fill}"/><rect x="146" y="156" width="92" height="14" fill="{trim_fill}"/>')
    elif kind == "t-shirt":
        parts.append(f'<path d="M140 80 192 96 244 80 320 130 292 170 264 150V330H120V150L92 170 64 130Z" fill="{fill}"/>'
                     f'<rect x="214" y="160" width="34" height="38" fill="{trim_fill}"/>')
    elif kind == "hat":
        parts.append(f'<ellipse cx="192" cy="250" rx="150" ry="36" fill="{_shade(fill, -0.15)}"/>'
                     f'<path d="M112 250V150Q192 90 272 150V250Z" fill="{fill}"/><rect x="112" y="214" width="160" height="22" fill="{trim_fill}"/>')
    elif kind == "umbrella":
        parts.append(f'<path d="M52 200Q192 40 332 200Q297 180 262 200Q227 180 192 200Q157 180 122 200Q87 180 52 200Z" fill="{fill}"/>'
                     f'<path d="M192 200V320Q192 340 172 336" stroke="{trim_fill}" stroke-width="8" fill="none" stroke-linecap="round"/>')
    else:
        parts.append(f'<path d="M90 120Q192 170 294 120L300 160Q192 210 84 160Z" fill="{fill}"/><rect x="220" y="170" width="40" height="140" fill="{fill}"/>')
        parts.extend(f'<line x1="{x}" y1="310" x2="{x}" y2="330" stroke="{trim_fill}" stroke-width="3"/>' for x in range(224, 260, 8))
    parts.append("</svg>")
    if rng.random() < 0.5:
        desc = f"{_a(color)} {kind} with {detail}"
    elif detail.startswith("a "):  # "a belt" -> "a gold belt"
        desc = f"{_a(color)} {kind} with {_a(trim)} {detail[2:]}"
    else:  # "buttons" -> "white buttons"
        desc = f"{_a(color)} {kind} with {trim} {detail}"
    qs = [_mc("What item is shown?", kind, GARMENTS, rng),
          _mc(f"What color is the {kind}?", color, _color_pool(color), rng),
          _yn(f"Is the {kind} {color}?", True),
          _yn(f"Is the {kind} {rng.choice([c for c in _color_pool(color) if c != color])}?", False)]
    return Scene(desc, "".join(parts), qs, kind, {"object": kind, "color": color})


FAMILIES = [abstract_scene, landscape_scene, garment_scene]
ELEMENTS = ["cabin", "sailboat", "hot air balloon", "lighthouse"]
# The slots of `Scene.attrs` and the values each can take: what a judge of these pictures answers.
ATTRIBUTE_SLOTS: dict[str, list[str]] = {
    "object": SHAPES + ELEMENTS + GARMENTS + ["none"],
    "color": BASIC,
    "background": BASIC,
    "count": [str(k) for k in COUNTS],
    "terrain": TERRAINS,
    "time": list(TIMES),
    "moon": ["yes", "no"],
    "clouds": ["yes", "no"],
}


def corpus_version() -> str:
    """A short hash of this generator's source: it changes whenever the pictures may change."""
    import hashlib
    from pathlib import Path

    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]


_GRADIENT_DEFS = re.compile(r'<defs><linearGradient id="(\w+)"[^>]*><stop offset="0" stop-color="(#[0-9a-f]{6})"/>'
                            r'<stop offset="1" stop-color="(#[0-9a-f]{6})"/></linearGradient></defs>')


def flatten(svg: str) -> str:
    """The scene with its gradient backdrop replaced by one flat colour (the gradient's midpoint).

    A shorter drawing of the same picture, for a small policy that pays for every token.
    """
    m = _GRADIENT_DEFS.search(svg)
    if not m:
        return svg
    gid, top, bottom = m.groups()
    mid = "#%02x%02x%02x" % tuple((int(top[i:i + 2], 16) + int(bottom[i:i + 2], 16)) // 2 for i in (1, 3, 5))
    return svg[:m.start()] + svg[m.end():].replace(f"url(#{gid})", mid)


def generate_scenes(n: int, seed: int = 0, max_tries_per_scene: int = 50, flat: bool = False):
    """Yield `n` scenes with distinct descriptions, deterministically from `seed`.

    With `flat`, backdrops are one colour instead of a gradient (see `flatten`).

    Raises:
        ValueError: when the grammar cannot produce that many distinct descriptions.
    """
    rng = random.Random(seed)
    seen: set[str] = set()
    produced = 0
    misses = 0
    while produced < n:
        scene = rng.choice(FAMILIES)(rng)
        if scene.description in seen:
            misses += 1
            if misses > max_tries_per_scene * max(1, n):
                raise ValueError(f"only {produced} distinct descriptions could be generated")
            continue
        if not validate(scene.svg).valid:  # a grammar bug, never a user's input
            raise AssertionError(f"invalid scene SVG for {scene.description!r}: {validate(scene.svg).summary}")
        seen.add(scene.description)
        produced += 1
        if flat:
            scene.svg = flatten(scene.svg)
        yield scene
