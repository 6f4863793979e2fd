"""Procedural scenes: (description, SVG, ground-truth questions) from a grammar, with no model.

    from vectorize.scenes import generate_scenes
    for scene in generate_scenes(1000, seed=0): scene.description, scene.svg, scene.questions
    generate_scenes(300, seed=1, split="heldout")   # descriptions kept out of training

The competition's three families, with its breadth:
- landscapes and scenes: forests, mountains and snow-covered peaks, hills, plains and wheat
  fields, lakes and lagoons, the sea, beaches and cliffs, rivers, deserts; clear, cloudy,
  starlit, foggy, snowy and rainy skies at dawn, morning, noon, sunset, dusk or night; a
  lighthouse, cabin, house, castle, tower, bridge, sailboat, hot air balloon, kite or tree in them;
- abstract: circles, squares, rectangles, triangles, stars, hexagons, trapezoids, crescents,
  spirals, rings, pyramids, cones, stripes, checkerboards, grids, waves and threads; counts,
  arrangements (row, column, grid, scattered, stacked, layered, spiraling, orbiting, chaotic)
  and translucency on a background;
- fashion: coats, jackets, pants, overalls, skirts, dresses, shirts, t-shirts, sweaters,
  scarves, hats, sneakers, boots, bags and umbrellas in wool, silk, corduroy, denim, leather,
  faux fur, ..., plain, checkered, striped, plaid or polka-dot, with collars, pockets, buttons,
  laces, tassels, fringes, belts or hoods.
Colours come from a lexicon of 65 names (`COLORS`: crimson, burgundy, teal, azure, khaki, ...),
some with a modifier (dark, light, pale, bright, deep), each drawn with the hue a person expects,
and every colour of a drawing is written as a CSS colour name (`css_name`), never a hex code.

Descriptions are in the competition's style (lower case, no final period, 3-12 words), in
several phrasings per scene. Every SVG validates, is compact (a small policy pays for every
token: shared path data, colour names) and is drawn with a gradient backdrop (`flatten` makes
it one colour). Questions are in the competition's format (2 or 4 choices, the answer among
them) and follow from the parameters that drew the picture; `Scene.attrs` records what the
picture shows, slot by slot (`ATTRIBUTE_SLOTS`), for the offline judge.

The held-out split is by description, near-duplicates together: `split_of` hashes what a
description says with its phrasing left out (`description_key`: content words, terrain words by
terrain), so "a cabin in a pine forest" and "a cabin deep in the woods" fall on the same side. Deterministic for a seed; no
description repeats within one call.
"""

from __future__ import annotations

import functools
import hashlib
import math
import random
import re
from dataclasses import dataclass, field

from svg_agent.constraints import validate

NS = 'xmlns="http://www.w3.org/2000/svg"'

# name -> (hex, basic family or None where the name sits between two families: a judge of these
# pictures is not asked about those). The family is what a person calls the hue in one word.
COLORS: dict[str, tuple[str, str | None]] = {
    "red": ("#ff0000", "red"),
    "crimson": ("#dc143c", "red"),
    "scarlet": ("#e0261b", "red"),
    "maroon": ("#800000", "red"),
    "burgundy": ("#7a1730", "red"),
    "ruby": ("#9b111e", "red"),
    "cherry": ("#c8102e", "red"),
    "orange": ("#ffa500", "orange"),
    "tangerine": ("#f28500", "orange"),
    "coral": ("#ff7f50", "orange"),
    "rust": ("#b7410e", "orange"),
    "ochre": ("#cc7722", "orange"),
    "peach": ("#ffb07c", None),
    "yellow": ("#ffff00", "yellow"),
    "gold": ("#ffd700", "yellow"),
    "golden": ("#f0b92b", "yellow"),
    "lemon": ("#f7e84b", "yellow"),
    "mustard": ("#d4a017", "yellow"),
    "amber": ("#ffbf00", "yellow"),
    "green": ("#008000", "green"),
    "emerald": ("#1f8a5b", "green"),
    "lime": ("#00ff00", "green"),
    "olive": ("#6b7a1f", "green"),
    "mint": ("#98e2b8", "green"),
    "jade": ("#00a36c", "green"),
    "sage": ("#9caf88", None),
    "blue": ("#0000ff", "blue"),
    "navy": ("#000080", "blue"),
    "azure": ("#2f8fff", "blue"),
    "sapphire": ("#0f52ba", "blue"),
    "cobalt": ("#0047ab", "blue"),
    "cerulean": ("#2a7fbf", "blue"),
    "teal": ("#008080", None),
    "turquoise": ("#40e0d0", None),
    "cyan": ("#00ffff", None),
    "aqua": ("#00ffff", None),
    "purple": ("#800080", "purple"),
    "violet": ("#ee82ee", "purple"),
    "indigo": ("#4b0082", "purple"),
    "plum": ("#7d3c6e", "purple"),
    "lavender": ("#b49ddf", "purple"),
    "lilac": ("#c8a2c8", "purple"),
    "mauve": ("#b784a7", "purple"),
    "pink": ("#ffc0cb", "pink"),
    "rose": ("#e8668f", "pink"),
    "salmon": ("#fa8072", "pink"),
    "fuchsia": ("#e0218a", "pink"),
    "magenta": ("#ff00ff", None),
    "brown": ("#753", "brown"),
    "tan": ("#c89f6d", "brown"),
    "chocolate": ("#5c3317", "brown"),
    "mahogany": ("#6b2d1f", "brown"),
    "chestnut": ("#8a4b2a", "brown"),
    "bronze": ("#a9713a", "brown"),
    "beige": ("#f5f5dc", None),
    "khaki": ("#f0e68c", None),
    "white": ("#ffffff", "white"),
    "ivory": ("#fffff0", "white"),
    "cream": ("#f7efd2", "white"),
    "gray": ("#808080", "gray"),
    "silver": ("#c0c0c0", "gray"),
    "charcoal": ("#36393d", "gray"),
    "slate": ("#5d6d7e", "gray"),
    "black": ("#000000", "black"),
    "ebony": ("#231f1c", "black"),
}
# Every colour is drawn by a CSS colour name. Lexicon names that are CSS names with that hue are
# drawn as themselves (fill="crimson"): the description's word is the drawing's word, which a small
# policy learns to copy long before it learns a colour code per word. Every other colour (the
# other lexicon names, modified colours, shades, skies and grounds) is drawn by the CSS name nearest
# to it in CIELAB (`css_name`), so that choosing a colour is always choosing a word: in hex, the
# first character of a fill (`#`) commits to a code before any of it follows the description, and
# a greedy policy writes the corpus's commonest code whatever it is asked.
CSS_NAMES = {
    "red",
    "crimson",
    "maroon",
    "orange",
    "coral",
    "gold",
    "yellow",
    "green",
    "lime",
    "teal",
    "turquoise",
    "cyan",
    "aqua",
    "blue",
    "navy",
    "purple",
    "violet",
    "indigo",
    "pink",
    "salmon",
    "magenta",
    "khaki",
    "beige",
    "white",
    "ivory",
    "gray",
    "silver",
    "black",
}
BASIC = ["red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white", "gray"]
# modifier -> (mix toward white > 0 or black < 0, the colours it reads well on)
MODIFIERS = {
    "dark": (-0.4, {"red", "green", "blue", "purple", "gray", "brown", "teal", "pink"}),
    "deep": (-0.25, {"red", "blue", "purple", "green", "teal"}),
    "light": (0.4, {"blue", "green", "pink", "purple", "gray", "brown", "yellow"}),
    "pale": (0.55, {"blue", "green", "pink", "yellow", "lavender"}),
    "bright": (0.0, {"red", "orange", "yellow", "green", "blue", "pink"}),
}
COUNTS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}

SHAPES = [
    "circle",
    "square",
    "rectangle",
    "triangle",
    "star",
    "hexagon",
    "trapezoid",
    "crescent",
    "spiral",
    "ring",
    "pyramid",
    "cone",
]
PATTERNS = ["stripe", "checkerboard", "grid", "wave", "line"]
SCENE_OBJECTS = [
    "lighthouse",
    "cabin",
    "house",
    "castle",
    "tower",
    "bridge",
    "sailboat",
    "hot air balloon",
    "kite",
    "tree",
]
GARMENTS = [
    "coat",
    "jacket",
    "pants",
    "overalls",
    "skirt",
    "dress",
    "shirt",
    "t-shirt",
    "sweater",
    "scarf",
    "hat",
    "sneakers",
    "boots",
    "bag",
    "umbrella",
]
TERRAINS = ["mountains", "hills", "field", "lake", "sea", "beach", "river", "desert", "forest"]
JUDGE_TIMES = ["dawn", "noon", "dusk", "night"]
# time word -> (sky top, sky bottom, the judge's time class)
TIMES = {
    "dawn": ("#f4a29b", "#fde2c4", "dawn"),
    "sunrise": ("#f7b267", "#fdeccf", "dawn"),
    "morning": ("#79b8ea", "#e4f2fb", "noon"),
    "noon": ("#3d8fe0", "#a9d8ff", "noon"),
    "sunset": ("#e8553e", "#fbb45c", "dusk"),
    "dusk": ("#3b1f5c", "#f08a5d", "dusk"),
    "twilight": ("#2c2a5e", "#b06a8a", "dusk"),
    "night": ("#0b1026", "#27325c", "night"),
}
WEATHERS = ["clear", "cloudy", "starlit", "foggy", "snowy", "rainy"]


@dataclass
class Scene:
    """One record: the description, its SVG and questions with answers."""

    description: str
    svg: str
    questions: list[dict] = field(default_factory=list)
    family: str = ""
    # What the picture shows, as the generator drew it: slot -> value (see ATTRIBUTE_SLOTS). A slot
    # that does not apply, or whose value a judge should not be taught (a colour between two
    # families), is absent.
    attrs: dict = field(default_factory=dict)
    # The parameters that drew the scene (some of which the description may leave unsaid).
    key: str = ""


# ------------------------------------------------------------------ colours and small helpers


def _css_table() -> dict[str, tuple[int, int, int]]:
    """The CSS colour keywords and their RGB (synonyms included: aqua and cyan, gray and grey)."""
    from PIL import ImageColor

    return {name: ImageColor.getrgb(name)[:3] for name in ImageColor.colormap}


CSS_COLORS = _css_table()
# Where the CIELAB-nearest CSS name leaves the colour's family, the name a person would pick instead.
CSS_OVERRIDES = {
    "#746": "purple",  # plum (the nearest is dimgray)
    "#432": "saddlebrown",  # dark brown (darkslategray)
    "#a98": "tan",  # light brown (darkgray)
    "#334": "dimgray",  # charcoal (darkslategray, a teal)
    "#112": "midnightblue",  # the night sky, top (black)
    "#235": "midnightblue",  # the night sky, bottom (darkslategray)
    "#124": "midnightblue",  # the night sky, flat (black)
}


def _lab(rgb) -> tuple[float, float, float]:
    """sRGB (0-255) to CIELAB (D65)."""

    def lin(v):
        v /= 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(v) for v in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t):
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def _css_choices() -> dict[str, tuple[float, float, float]]:
    """One name per CSS colour, in CIELAB: the lexicon's name where it has one, else the shortest."""
    by_rgb: dict[tuple[int, int, int], str] = {}
    for name in sorted(CSS_COLORS, key=lambda n: (n not in CSS_NAMES, len(n), n)):
        by_rgb.setdefault(CSS_COLORS[name], name)
    return {name: _lab(rgb) for rgb, name in by_rgb.items()}


_CSS_LAB = _css_choices()


@functools.lru_cache(maxsize=4096)
def css_name(c: str) -> str:
    """The CSS colour name a colour is drawn by (#rgb, #rrggbb, a lexicon or CSS name)."""
    if c in CSS_NAMES or (c in CSS_COLORS and c not in COLORS):
        return c
    c = _full(c)
    short = _hex3(c)
    if short in CSS_OVERRIDES:
        return CSS_OVERRIDES[short]
    return _nearest_css(short)


def _nearest_css(c: str, avoid: set[str] = frozenset()) -> str:
    c = _full(c)
    lab = _lab([int(c[i : i + 2], 16) for i in (1, 3, 5)])
    return min(
        (n for n in _CSS_LAB if n not in avoid), key=lambda n: sum((a - b) ** 2 for a, b in zip(_CSS_LAB[n], lab))
    )


_HEX_PAINT = re.compile(r'((?:fill|stroke|stop-color)=")(#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?)"')


def name_colours(svg: str) -> str:
    """`svg` with every hex paint written as its CSS name (see `css_name`)."""
    return _HEX_PAINT.sub(lambda m: f'{m.group(1)}{css_name(m.group(2).lower())}"', svg)


def _hex3(c: str) -> str:
    """#rrggbb to the nearest #rgb (fewer tokens; at most 8 per channel off)."""
    c = _full(c)
    return "#" + "".join("%x" % min(15, round(int(c[i : i + 2], 16) / 17)) for i in (1, 3, 5))


def _mix(c: str, amount: float) -> str:
    """Mix toward white (amount > 0) or black (amount < 0); returns #rrggbb."""
    c = _full(c)
    rgb = [int(c[i : i + 2], 16) for i in (1, 3, 5)]
    target = 255 if amount > 0 else 0
    return "#%02x%02x%02x" % tuple(round(v + (target - v) * abs(amount)) for v in rgb)


def _full(c: str) -> str:
    """#rrggbb of #rgb, #rrggbb or a lexicon colour name."""
    if not c.startswith("#"):
        c = COLORS[c][0] if c in COLORS else "#%02x%02x%02x" % CSS_COLORS[c]
    return "#" + "".join(ch * 2 for ch in c[1:]) if len(c) == 4 else c


def _shade(c: str, amount: float) -> str:
    """`c` mixed toward white or black, as a CSS name other than `c`'s own (a shade that shows)."""
    own = {css_name(c)} | {n for n in CSS_NAMES if _hex3(COLORS[n][0]) == _hex3(c)}  # `c` as it may be drawn
    return _nearest_css(_mix(c, amount), avoid=own)


@dataclass(frozen=True)
class Color:
    """A named colour as drawn: `name` is the description's words ("dark teal")."""

    name: str
    hex: str
    family: str | None

    @property
    def paint(self) -> str:
        """How the SVG writes it: the CSS name where the lexicon name is one, else #rgb."""
        return self.name if self.name in CSS_NAMES else self.hex


def color(name: str, modifier: str = "") -> Color:
    hex_, family = COLORS[name]
    if modifier:
        hex_ = _mix(hex_, MODIFIERS[modifier][0]) if MODIFIERS[modifier][0] else hex_
        name = f"{modifier} {name}"
    return Color(name, _hex3(hex_), family)


def _pick_color(
    rng: random.Random, avoid: set[str] = frozenset(), modifier_p: float = 0.2, names: list[str] | None = None
) -> Color:
    names = [n for n in (names or list(COLORS)) if n not in avoid and COLORS[n][1] not in avoid]
    name = rng.choice(names)
    if rng.random() < modifier_p:
        mods = [m for m, (_, ok) in MODIFIERS.items() if name in ok]
        if mods:
            return color(name, rng.choice(mods))
    return color(name)


def _distinct(c: Color, other: Color) -> bool:
    """Two colours a viewer tells apart: different families, or far apart in RGB."""
    a, b = _full(c.hex), _full(other.hex)
    dist = sum((int(a[i : i + 2], 16) - int(b[i : i + 2], 16)) ** 2 for i in (1, 3, 5)) ** 0.5
    return dist > 110 and (c.family is None or c.family != other.family)


def _pick_pair(rng: random.Random, **kw) -> tuple[Color, Color]:
    first = _pick_color(rng, **kw)
    for _ in range(100):
        second = _pick_color(rng, **kw)
        if _distinct(first, second):
            return first, second
    return first, color("white" if first.family != "white" else "black")


def _a(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def plural(noun: str) -> str:
    """The plural of an object name as the descriptions write it."""
    return {"sheep": "sheep", "pants": "pants", "overalls": "overalls", "sneakers": "sneakers", "boots": "boots"}.get(
        noun, noun + ("es" if noun.endswith(("s", "sh", "ch")) else "s")
    )


def _mc(question: str, answer: str, pool: list[str], rng: random.Random) -> dict:
    others = [p for p in dict.fromkeys(pool) if p != answer]
    rng.shuffle(others)
    choices = [answer] + others[:3]
    rng.shuffle(choices)
    return {"question": question, "choices": choices, "answer": answer}


def _yn(question: str, yes: bool) -> dict:
    return {"question": question, "choices": ["yes", "no"], "answer": "yes" if yes else "no"}


# one plain name per family, for distractors that a reader maps to one family each
_FAMILY_NAMES = {f: [n for n, (_, fam) in COLORS.items() if fam == f] for f in BASIC}


def _color_question(question: str, c: Color, rng: random.Random) -> dict | None:
    """A 4-choice colour question (the answer in the description's words), or None for a colour
    between two families."""
    if c.family is None:
        return None
    others = [f for f in BASIC if f != c.family]
    rng.shuffle(others)
    pool = [rng.choice(_FAMILY_NAMES[f]) if rng.random() < 0.3 else f for f in others[:3]]
    choices = [c.name] + pool
    rng.shuffle(choices)
    return {"question": question, "choices": choices, "answer": c.name}


def _n(x: float) -> str:
    return str(round(x))


def _gradient(gid: str, top: str, bottom: str) -> str:
    return (
        f'<linearGradient id="{gid}" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="{top}"/>'
        f'<stop offset="1" stop-color="{bottom}"/></linearGradient>'
    )


def _backdrop(top: str, bottom: str) -> str:
    return f'<defs>{_gradient("b", top, bottom)}</defs><rect width="384" height="384" fill="url(#b)"/>'


def _svg(*parts: str) -> str:
    """The drawing as the grammar writes it; `generate_scenes` then names its colours (`name_colours`)."""
    return f'<svg {NS} viewBox="0 0 384 384">' + "".join(p for p in parts if p) + "</svg>"


def _named(name: str, *parts: str) -> str:
    """The elements that draw one thing the description names, in a group whose id names it
    ("hot air balloon" -> id="hot-air-balloon"). The id draws nothing (the render, all the reward
    sees, is the same without it); it lets a policy write the word it read, which it copies
    easily, before the shapes that draw it, which then follow the word right before them."""
    body = "".join(p for p in parts if p)
    return f'<g id="{name.replace(" ", "-")}">{body}</g>' if body else ""


def _dots(points, fill: str, width: float) -> str:
    """Round dots in one path (zero-length subpaths with round caps)."""
    d = "".join(f"M{_n(x)} {_n(y)}h0" for x, y in points)
    return f'<path d="{d}" stroke="{fill}" stroke-width="{_n(width)}" stroke-linecap="round"/>'


# ------------------------------------------------------------------ abstract shapes


def _shape_path(kind: str, cx: float, cy: float, r: float) -> str:
    """Path data of one shape centred at (cx, cy) with radius r (relative after its move)."""
    if kind == "circle":
        return f"M{_n(cx - r)} {_n(cy)}a{_n(r)} {_n(r)} 0 1 0 {_n(2 * r)} 0a{_n(r)} {_n(r)} 0 1 0-{_n(2 * r)} 0"
    if kind == "square":
        s = 1.6 * r
        return f"M{_n(cx - s / 2)} {_n(cy - s / 2)}h{_n(s)}v{_n(s)}h-{_n(s)}z"
    if kind == "rectangle":
        w, h = 2.2 * r, 1.2 * r
        return f"M{_n(cx - w / 2)} {_n(cy - h / 2)}h{_n(w)}v{_n(h)}h-{_n(w)}z"
    if kind in ("triangle", "pyramid"):
        return f"M{_n(cx)} {_n(cy - r)}l{_n(r)} {_n(1.7 * r)}h-{_n(2 * r)}z"
    if kind == "trapezoid":
        return f"M{_n(cx - r * 0.5)} {_n(cy - r * 0.6)}h{_n(r)}l{_n(r * 0.5)} {_n(r * 1.2)}h-{_n(2 * r)}z"
    if kind == "hexagon":
        pts = [(cx + r * math.cos(math.pi / 3 * i), cy + r * math.sin(math.pi / 3 * i)) for i in range(6)]
        return "M" + "L".join(f"{_n(x)} {_n(y)}" for x, y in pts) + "z"
    if kind == "star":
        pts = [
            (
                cx + (r if i % 2 == 0 else r * 0.42) * math.sin(i * math.pi / 5),
                cy - (r if i % 2 == 0 else r * 0.42) * math.cos(i * math.pi / 5),
            )
            for i in range(10)
        ]
        return "M" + "L".join(f"{_n(x)} {_n(y)}" for x, y in pts) + "z"
    if kind == "crescent":
        return f"M{_n(cx)} {_n(cy - r)}a{_n(r)} {_n(r)} 0 1 0 0 {_n(2 * r)}a{_n(r * 0.5)} {_n(r)} 0 1 1 0-{_n(2 * r)}z"
    if kind == "cone":
        return f"M{_n(cx)} {_n(cy - r)}L{_n(cx + r * 0.7)} {_n(cy + r * 0.7)}a{_n(r * 0.7)} {_n(r * 0.25)} 0 0 1-{_n(r * 1.4)} 0z"
    raise ValueError(kind)


def _one_shape(kind: str, cx: float, cy: float, r: float, fill: str, ident: str = "") -> str:
    """One shape as an element (`ident` makes it a definition to <use>)."""
    i = f' id="{ident}"' if ident else ""
    if kind == "spiral":
        d = f"M{_n(cx)} {_n(cy)}"
        for k in range(1, 5):
            rad = r / 4 * (k / 2 + 0.5)
            d += f"a{_n(rad)} {_n(rad)} 0 0 1 {'-' if k % 2 == 0 else ''}{_n(2 * rad)} 0"
        return f'<path{i} d="{d}" fill="none" stroke="{fill}" stroke-width="{max(3, round(r / 7))}" stroke-linecap="round"/>'
    if kind in ("ring", "circle"):
        ring = (
            f' fill="none" stroke="{fill}" stroke-width="{max(4, round(r / 3))}"'
            if kind == "ring"
            else f' fill="{fill}"'
        )
        return f'<circle{i} cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(r * (0.8 if kind == "ring" else 1))}"{ring}/>'
    if kind == "pyramid":  # a lit face and a shaded one
        return (
            f'<g{i}><path d="{_shape_path(kind, cx, cy, r)}" fill="{fill}"/>'
            f'<path d="M{_n(cx)} {_n(cy - r)}l{_n(r)} {_n(1.7 * r)}h-{_n(r * 0.8)}z" fill="{_shade(fill, -0.3)}"/></g>'
        )
    return f'<path{i} d="{_shape_path(kind, cx, cy, r)}" fill="{fill}"/>'


_RELATIVE = {"square", "rectangle", "triangle", "trapezoid"}  # cheap as subpaths of one path


def _shape_layer(kind: str, positions, r: float, fill: str, opacity: str = "") -> str:
    """All shapes of one kind and colour, in few tokens: one path of subpaths for the simple
    polygons, else one definition and a <use> per copy."""
    op = f' opacity="{opacity}"' if opacity else ""
    if len(positions) == 1:
        return (
            _one_shape(kind, *positions[0], r, fill).replace(" ", op + " ", 1)
            if op
            else _one_shape(kind, *positions[0], r, fill)
        )
    if kind in _RELATIVE:
        return f'<path{op} d="{"".join(_shape_path(kind, x, y, r) for x, y in positions)}" fill="{fill}"/>'
    ident = "s" + fill.lstrip("#")
    defs = _one_shape(kind, 0, 0, r, fill, ident)
    if op:
        defs = defs.replace(" ", op + " ", 1)
    uses = "".join(f'<use href="#{ident}" x="{_n(x)}" y="{_n(y)}"/>' for x, y in positions)
    return f"<defs>{defs}</defs>{uses}"


def _positions(layout: str, n: int, r: float, rng: random.Random) -> list[tuple[float, float]]:
    if n == 1:
        return [(192, 192)]
    if layout == "row":
        return [(384 * (i + 1) / (n + 1), 192) for i in range(n)]
    if layout == "column":
        return [(192, 384 * (i + 1) / (n + 1)) for i in range(n)]
    if layout == "diagonal":
        return [(384 * (i + 1) / (n + 1), 384 * (i + 1) / (n + 1)) for i in range(n)]
    if layout == "stacked":
        top = 192 - (n - 1) * r * 0.9
        return [(192 + rng.uniform(-6, 6), top + i * r * 1.8) for i in range(n)]
    if layout in ("circle", "orbiting"):
        return [
            (
                192 + 120 * math.cos(2 * math.pi * i / n - math.pi / 2),
                192 + 120 * math.sin(2 * math.pi * i / n - math.pi / 2),
            )
            for i in range(n)
        ]
    if layout == "spiraling":
        return [(192 + (70 + 22 * i) * math.cos(1.3 * i), 192 + (70 + 22 * i) * math.sin(1.3 * i)) for i in range(n)]
    if layout == "layered":
        return [(130 + 30 * i, 130 + 30 * i) for i in range(n)]
    # scattered, chaotic: no two centres closer than the shapes' size
    pts: list[tuple[float, float]] = []
    for _ in range(400):
        if len(pts) == n:
            break
        p = (rng.uniform(r + 8, 376 - r), rng.uniform(r + 8, 376 - r))
        if all((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 > (2.1 * r) ** 2 for q in pts):
            pts.append(p)
    while len(pts) < n:
        pts.append((rng.uniform(r, 384 - r), rng.uniform(r, 384 - r)))
    return pts


LAYOUT_WORDS = {
    "row": ["in a row", "in a horizontal row", "lined up in a row"],
    "column": ["in a column", "stacked in a column", "in a vertical line"],
    "diagonal": ["along a diagonal", "in a diagonal line"],
    "stacked": ["stacked in a tower", "stacked up", "piled on top of each other"],
    "circle": ["in a circle", "forming a ring"],
    "orbiting": ["orbiting {center}", "circling {center}"],
    "spiraling": ["spiraling outward", "arranged in a spiral", "spiraling around {center}"],
    "layered": ["layered on top of each other", "overlapping in layers"],
    "scattered": ["scattered across the canvas", "scattered randomly", "floating"],
    "chaotic": ["forming a chaotic grid", "in a chaotic jumble", "tumbling chaotically"],
}


def _bg_phrase(bg: Color, rng: random.Random) -> str:
    return rng.choice([f"on {_a(bg.name)} background", f"against {_a(bg.name)} backdrop", f"on {bg.name}"])


def abstract_scene(rng: random.Random) -> Scene:
    roll = rng.random()
    if roll < 0.2:
        return _pattern_scene(rng)
    if roll < 0.32:
        return _two_kinds_scene(rng)
    shape = rng.choice(SHAPES)
    fg, bg = _pick_pair(rng)
    n = rng.choice([1, 1, 2, 3, 3, 4, 5]) if rng.random() < 0.8 else rng.choice([6, 7, 8])
    layouts = [
        "row",
        "column",
        "diagonal",
        "scattered",
        "chaotic",
        "circle",
        "layered",
        "stacked",
        "spiraling",
        "orbiting",
    ]
    layout = "single" if n == 1 else rng.choice(layouts)
    if layout in ("row", "column", "diagonal") and n > 5:
        layout = "scattered"
    translucent = n > 1 and rng.random() < 0.2
    r = {"single": 110}.get(layout, 0) or max(18, min(60, 200 / (n + 1.5)))
    if layout in ("circle", "orbiting", "spiraling"):
        r = min(r, 34)
    if layout == "stacked":
        r = max(20, min(r, 150 / n))
    pos = _positions(layout, n, r, rng)
    center = ""
    c2 = None
    body = []
    if layout in ("orbiting", "spiraling") and rng.random() < 0.6:
        center = rng.choice(["circle", "cone", "star", "hexagon", "square"])
        c2 = _pick_color(rng, avoid={fg.family, bg.family} - {None})
    noun = shape if n == 1 else plural(shape)
    body.append(_named(noun, _shape_layer(shape, pos, r, fg.paint, ".6" if translucent else "")))
    if center:  # drawn after the shapes that circle it (they never reach it)
        body.append(_named(center, _shape_layer(center, [(192, 192)], 40, c2.paint)))
    if layout == "single":
        desc = rng.choice(
            [
                f"{_a(fg.name + ' ' + shape)} {_bg_phrase(bg, rng)}",
                f"{_a(fg.name + ' ' + shape)} on {bg.name}",
                f"a single {fg.name} {shape} {_bg_phrase(bg, rng)}",
            ]
        )
        n_word = "one"
    else:
        words = [w for w in LAYOUT_WORDS[layout] if ("{center}" in w) == bool(center)] or LAYOUT_WORDS["scattered"]
        arrange = rng.choice(words).format(center=_a(f"{c2.name} {center}") if center else "")
        trans = "translucent " if translucent else ""
        n_word = COUNTS.get(n, "")
        if n <= 5 and layout != "layered" and rng.random() < 0.7:  # overlapping copies are not counted
            desc = f"{n_word} {trans}{fg.name} {noun} {arrange}"
        else:
            n_word = ""
            desc = f"{trans}{fg.name} {noun} {arrange}"
        if (rng.random() < 0.6 or not center) and len(desc.split()) <= 8:
            desc += " " + _bg_phrase(bg, rng)
    svg = _svg(_backdrop(_shade(bg.hex, 0.2), bg.paint), *body)
    qs = [
        _mc(
            "What shape appears in the image?" if n == 1 else f"What shape are the {fg.name} objects?",
            shape,
            SHAPES,
            rng,
        )
    ]
    cq = _color_question(f"What color {'is the ' + shape if n == 1 else 'are the ' + plural(shape)}?", fg, rng)
    qs += [cq] if cq else []
    if n_word and n <= 5:
        qs.append(_mc(f"How many {plural(shape)} are there?", str(n), [str(k) for k in COUNTS], rng))
    bq = _color_question("What color is the background?", bg, rng)
    qs += [bq] if bq else []
    if len(qs) < 3:
        qs.append(_yn(f"Is there {_a(shape)} in the image?", True))
    attrs = {
        "object": shape,
        "color": fg.family,
        "background": bg.family,
        "count": str(n) if n <= 5 and layout != "layered" else None,
    }
    key = f"abstract|{shape}|{fg.name}|{bg.name}|{n}|{layout}|{center}|{c2.name if c2 else ''}|{translucent}"
    return Scene(desc, svg, qs[:4], "abstract", _clean(attrs), key)


def _two_kinds_scene(rng: random.Random) -> Scene:
    s1, s2 = rng.sample([s for s in SHAPES if s not in ("spiral", "ring")], 2)
    c1, c2 = _pick_pair(rng)
    bg = _pick_color(rng, avoid={c1.family, c2.family} - {None}, modifier_p=0)
    if not (_distinct(bg, c1) and _distinct(bg, c2)):
        bg = color("white" if "white" not in (c1.family, c2.family) else "black")
    n1, n2 = rng.randint(3, 5), rng.randint(1, 2)  # the first named is the most of the picture
    pts = _positions("scattered", n1 + n2, 38, rng)
    body = [
        _named(plural(s1), _shape_layer(s1, pts[:n1], 38, c1.paint)),
        _named(plural(s2), _shape_layer(s2, pts[n1:], 38, c2.paint)),
    ]
    joiner = rng.choice(["and", "mixed with", "interwoven with", "alongside"])
    desc = f"{c1.name} {plural(s1)} {joiner} {c2.name} {plural(s2)}"
    if rng.random() < 0.5:
        desc += " " + _bg_phrase(bg, rng)
    qs = [_mc("What shape appears most in the image?", s1, [s for s in SHAPES if s != s2], rng)]
    q = _color_question(f"What color are the {plural(s1)}?", c1, rng)
    qs += [q] if q else []
    bq = _color_question("What color is the background?", bg, rng)
    qs += [bq] if bq else []
    if len(qs) < 3:
        qs.append(_yn(f"Are there {plural(s1)} in the image?", True))
    key = f"two|{s1}|{c1.name}|{s2}|{c2.name}|{bg.name}"
    # the judge's slots hold one shape and one colour: those of the first named, the most copies
    return Scene(
        desc,
        _svg(_backdrop(_shade(bg.hex, 0.2), bg.paint), *body),
        qs[:4],
        "abstract",
        _clean({"object": s1, "color": c1.family, "background": bg.family}),
        key,
    )


def _pattern_scene(rng: random.Random) -> Scene:
    kind = rng.choice(PATTERNS)
    fg, bg = _pick_pair(rng)
    el = ""
    if kind == "stripe":
        vertical = rng.random() < 0.5
        w = rng.choice([24, 32, 48])
        d = "".join(
            (f"M{x} 0h{w // 2}v384h-{w // 2}z" if vertical else f"M0 {x}h384v{w // 2}H0z") for x in range(0, 384, w)
        )
        el = f'<path d="{d}" fill="{fg.paint}"/>'
        words = [
            f"{fg.name} and {bg.name} stripes",
            f"{'vertical' if vertical else 'horizontal'} {fg.name} stripes on {bg.name}",
        ]
    elif kind == "checkerboard":
        s = rng.choice([32, 48, 64])
        el = (
            f'<defs><pattern id="p" width="{2 * s}" height="{2 * s}" patternUnits="userSpaceOnUse">'
            f'<path d="M0 0h{s}v{s}H0zM{s} {s}h{s}v{s}H{s}z" fill="{fg.paint}"/></pattern></defs>'
            '<rect width="384" height="384" fill="url(#p)"/>'
        )
        words = [f"{_a(fg.name)} and {bg.name} checkerboard", f"{fg.name} and {bg.name} checkered squares"]
    elif kind == "grid":
        s = rng.choice([32, 48, 64])
        d = "".join(f"M{x} 0v384M0 {x}h384" for x in range(s, 384, s))
        el = f'<path d="{d}" stroke="{fg.paint}" stroke-width="{rng.choice([4, 6, 8])}"/>'
        words = [f"{_a(fg.name)} grid on {_a(bg.name)} background", f"thin {fg.name} lines forming a grid on {bg.name}"]
    elif kind == "wave":
        d = "".join(f"M0 {y}q48-40 96 0t96 0 96 0 96 0" for y in range(60, 384, 70))
        el = f'<path d="{d}" fill="none" stroke="{fg.paint}" stroke-width="{rng.choice([8, 12, 16])}"/>'
        words = [f"{fg.name} waves on {_a(bg.name)} background", f"rippling {fg.name} waves across {bg.name}"]
    else:  # line: threads crossing
        pts = [(rng.randint(0, 384), rng.randint(0, 384)) for _ in range(7)]
        d = "M" + "L".join(f"{x} {y}" for x, y in pts)
        el = f'<path d="{d}" fill="none" stroke="{fg.paint}" stroke-width="5" stroke-linejoin="round"/>'
        words = [
            f"{fg.name} threads tangled on {_a(bg.name)} background",
            f"{fg.name} lines crisscrossing on {bg.name}",
        ]
    desc = rng.choice(words)
    qs = [_mc("What pattern is shown?" if kind != "line" else "What is shown in the image?", kind, PATTERNS, rng)]
    even = kind in ("stripe", "checkerboard")  # two colours in equal shares: neither is "the" colour
    if not even:
        for c, q in (
            (fg, f"What color are the {'grid lines' if kind == 'grid' else plural(kind)}?"),
            (bg, "What color is the background?"),
        ):
            cq = _color_question(q, c, rng)
            if cq:
                qs.append(cq)
    if len(qs) < 3:
        qs.append(_yn(f"Is there {_a(kind)} in the image?", True))
    if len(qs) < 3:
        qs.append(_yn(f"Is there {_a(rng.choice(['circle', 'star', 'triangle']))} in the image?", False))
    key = f"pattern|{kind}|{fg.name}|{bg.name}"
    attrs = {"object": kind} if even else {"object": kind, "color": fg.family, "background": bg.family}
    el = _named({"stripe": "stripes", "wave": "waves", "line": "lines"}.get(kind, kind), el)
    return Scene(desc, _svg(_backdrop(_shade(bg.hex, 0.15), bg.paint), el), qs[:4], "abstract", _clean(attrs), key)


def _clean(attrs: dict) -> dict:
    return {k: v for k, v in attrs.items() if v is not None}


# ------------------------------------------------------------------ landscapes

HORIZON = {
    "mountains": 270,
    "hills": 270,
    "field": 250,
    "lake": 240,
    "sea": 240,
    "beach": 230,
    "river": 240,
    "desert": 270,
    "forest": 280,
}
GROUND = {
    "mountains": "#5b6770",
    "hills": "#3f8f4a",
    "field": "#7fb24a",
    "lake": "#4f8f45",
    "sea": "#1f5f8b",
    "beach": "#1f6f9b",
    "river": "#4f9a45",
    "desert": "#d9a55b",
    "forest": "#24492e",
}
TERRAIN_WORDS = {
    "mountains": ["mountains", "snow-capped mountains", "a mountain range", "rugged peaks"],
    "hills": ["rolling hills", "green hills", "gentle hills"],
    "field": ["a meadow", "a wheat field", "an open plain", "a grassy field"],
    "lake": ["a lake", "a still lake", "a lagoon", "a mountain lake"],
    "sea": ["the ocean", "a calm sea", "the sea", "ocean waves"],
    "beach": ["a sandy beach", "the beach", "the shore"],
    "river": ["a river", "a winding river", "a stream"],
    "desert": ["desert dunes", "the desert", "sand dunes"],
    "forest": ["a pine forest", "a forest", "the woods", "tall pines"],
}


def _terrain(terrain: str, ground: str, rng: random.Random, snowy: bool, named: bool) -> str:
    g2 = _shade(ground, -0.2)
    if terrain == "mountains":
        xs = [0, rng.randint(60, 110), rng.randint(130, 170), rng.randint(210, 270), rng.randint(300, 340), 384]
        ys = [280, rng.randint(130, 170), rng.randint(210, 240), rng.randint(100, 140), rng.randint(190, 230), 270]
        d = "M" + "L".join(f"{x} {y}" for x, y in zip(xs, ys)) + "V384H0z"
        caps = "".join(f"M{x} {y}l-{s} {s + 6}h{2 * s}z" for x, y, s in ((xs[1], ys[1], 18), (xs[3], ys[3], 24)))
        cap = f'<path d="{caps}" fill="#eef"/>' if snowy or rng.random() < 0.5 else ""
        return f'<path d="{d}" fill="{ground}"/>{cap}'
    if terrain == "hills":
        return (
            f'<path d="M0 {rng.randint(250, 280)}q96-{rng.randint(40, 80)} 192-10t192 0V384H0z" fill="{ground}"/>'
            f'<path d="M0 330q120-50 240-10t144 0V384H0z" fill="{g2}"/>'
        )
    if terrain == "field":
        wheat = (
            "" if snowy else "".join(f"M{x} 384l{rng.randint(-8, 8)}-{rng.randint(40, 90)}" for x in range(40, 384, 90))
        )
        return f'<rect y="250" width="384" height="134" fill="{ground}"/>' + (
            f'<path d="{wheat}" stroke="{_shade(ground, 0.3)}" stroke-width="4"/>' if wheat else ""
        )
    if terrain == "lake":
        water = "#47b" if not named else _shade(ground, 0.25)
        return (
            f'<rect y="240" width="384" height="144" fill="{ground if not named else "#474"}"/>'
            f'<ellipse cx="192" cy="310" rx="{rng.randint(150, 180)}" ry="{rng.randint(40, 56)}" fill="{water}"/>'
        )
    if terrain == "sea":
        return (
            f'<rect y="240" width="384" height="144" fill="{ground}"/>'
            f'<path d="M40 300q20-10 40 0M200 340q20-10 40 0" '
            f'stroke="{_shade(ground, 0.4)}" stroke-width="4" fill="none"/>'
        )
    if terrain == "beach":
        return (
            f'<rect y="230" width="384" height="154" fill="{ground}"/>'
            f'<path d="M0 300q150-30 384 10V384H0z" fill="#ec9"/>'
        )
    if terrain == "river":
        water = "#48c" if not named else _shade(ground, 0.3)
        return (
            f'<rect y="240" width="384" height="144" fill="{ground}"/><path d="M176 240h32l60 144H96z" fill="{water}"/>'
        )
    if terrain == "desert":
        return (
            f'<path d="M0 290q100-50 200-10t184-10V384H0z" fill="{ground}"/>'
            f'<path d="M0 340q140-40 260 0t124-8V384H0z" fill="{_shade(ground, -0.12)}"/>'
        )
    # forest: a row of pines on dark ground
    d = "".join(
        f"M{x} {280 - h}l36 {h + 10}h-72z" for x, h in [(30, 90), (110, 120), (190, 96), (270, 124), (350, 100)]
    )
    return f'<rect y="270" width="384" height="114" fill="{_shade(ground, -0.45)}"/><path d="{d}" fill="{ground}"/>'


def _object(kind: str, c: Color, terrain: str, rng: random.Random) -> str:
    """A scene object standing on the terrain (or floating above it)."""
    h = HORIZON[terrain]
    f, dark = c.paint, _shade(c.hex, -0.35)
    x = rng.choice([110, 192, 270])
    if kind == "lighthouse":
        x = rng.choice([90, 290])
        base = 300
        rock = f'<path d="M{x - 60} 384l20-84h80l20 84z" fill="#554"/>' if terrain == "sea" else ""
        tower = f'<path d="M{x - 22} {base}l8-150h28l8 150z" fill="{f}"/>'
        bands = f'<path d="M{x - 20} {base - 60}h40v20h-40zM{x - 16} {base - 120}h32v20h-32z" fill="{_shade(f, -0.45) if c.family not in ("white", None) else "#c22"}"/>'
        lamp = f'<path d="M{x - 14} {base - 150}v-20h28v20zM{x - 16} {base - 170}l16-18 16 18z" fill="#fe6"/>'
        return rock + tower + bands + lamp
    if kind in ("cabin", "house"):
        w, hh = (90, 60) if kind == "cabin" else (80, 76)
        y = h + 30 - hh
        logs = "" if kind == "cabin" else f'<rect x="{x + 10}" y="{y + 18}" width="20" height="20" fill="#fea"/>'
        return (
            f'<rect x="{x - w // 2}" y="{y}" width="{w}" height="{hh}" fill="{f}"/>{logs}'
            f'<path d="M{x - w // 2 - 12} {y + 2}L{x} {y - 42}l{w // 2 + 12} 44z" fill="{dark}"/>'
            f'<rect x="{x - 26}" y="{y + hh - 34}" width="18" height="34" fill="#432"/>'
        )
    if kind == "castle":
        y = h + 20
        return (
            f'<path d="M{x - 80} {y}v-130h32v50h96v-50h32v130z" fill="{f}"/>'
            f'<rect x="{x - 14}" y="{y - 36}" width="28" height="36" fill="#432"/>'
        )
    if kind == "tower":
        y = h + 20
        return (
            f'<rect x="{x - 22}" y="{y - 190}" width="44" height="190" fill="{f}"/>'
            f'<path d="M{x - 30} {y - 188}l30-50 30 50z" fill="{dark}"/>'
            f'<rect x="{x - 8}" y="{y - 150}" width="16" height="24" fill="#fea"/>'
        )
    if kind == "bridge":
        return (
            f'<path d="M20 {h + 10}h344v20h-24a148 70 0 0 0-296 0h-24z" fill="{f}"/>'
            f'<path d="M40 {h - 10}h304" stroke="{dark}" stroke-width="6"/>'
        )
    if kind == "sailboat":
        y = h + rng.randint(30, 60)
        return (
            f'<path d="M{x - 60} {y}h120l-20 26h-80z" fill="#543"/>'
            f'<path d="M{x} {y - 4}v-110l60 110z" fill="{f}"/><path d="M{x - 6} {y - 4}v-90l-44 90z" fill="{_shade(f, 0.3)}"/>'
        )
    if kind == "hot air balloon":
        cx, cy = rng.choice([120, 260]), rng.randint(110, 150)
        return (
            f'<path d="M{cx - 50} {cy}a50 54 0 1 1 100 0l-36 60h-28z" fill="{f}"/>'
            f'<rect x="{cx - 12}" y="{cy + 66}" width="24" height="18" fill="#753"/>'
        )
    if kind == "kite":
        cx, cy = rng.choice([130, 250]), rng.randint(90, 130)
        return (
            f'<path d="M{cx} {cy - 50}l36 50-36 60-36-60z" fill="{f}"/>'
            f'<path d="M{cx} {cy + 60}q-20 30 10 50t-10 60" stroke="#444" stroke-width="3" fill="none"/>'
        )
    # tree: a trunk and a round crown
    y = h + 26
    return (
        f'<rect x="{x - 9}" y="{y - 80}" width="18" height="80" fill="#642"/>'
        f'<circle cx="{x}" cy="{y - 110}" r="52" fill="{f}"/>'
    )


# where each object can be, and the phrases that put it there
OBJECT_TERRAINS = {
    "lighthouse": ["sea", "beach"],
    "sailboat": ["sea", "lake"],
    "bridge": ["river"],
    "cabin": ["forest", "mountains", "hills", "field", "lake", "river"],
    "house": ["hills", "field", "river", "lake", "beach"],
    "castle": ["hills", "mountains", "field", "forest", "lake"],
    "tower": ["hills", "field", "desert", "forest"],
    "hot air balloon": TERRAINS,
    "kite": ["hills", "field", "beach", "desert"],
    "tree": ["hills", "field", "lake", "river", "desert"],
}
OBJECT_RELATIONS = {
    "lighthouse": ["overlooking {t}", "on a rocky cliff above {t}", "standing by {t}"],
    "sailboat": ["on {t}", "sailing across {t}", "drifting on {t}"],
    "bridge": ["over {t}", "crossing {t}", "spanning {t}"],
    "hot air balloon": ["over {t}", "floating above {t}", "drifting over {t}"],
    "kite": ["flying over {t}", "above {t}", "soaring over {t}"],
}
PLACE_RELATIONS = {
    "forest": ["in {t}", "deep in {t}", "at the edge of {t}"],
    "field": ["in {t}", "standing in {t}"],
    "lake": ["beside {t}", "by {t}", "on the shore of {t}"],
    "river": ["beside {t}", "by {t}", "near {t}"],
    "beach": ["on {t}", "by {t}"],
    "sea": ["by {t}", "overlooking {t}"],
    "hills": ["on {t}", "among {t}"],
    "mountains": ["among {t}", "in front of {t}", "below {t}"],
    "desert": ["in {t}", "among {t}"],
}
DEFAULT_OBJECT_COLORS = {
    "lighthouse": "white",
    "cabin": "brown",
    "house": "cream",
    "castle": "gray",
    "tower": "gray",
    "bridge": "gray",
    "sailboat": "white",
    "hot air balloon": "red",
    "kite": "red",
    "tree": "green",
}


def landscape_scene(rng: random.Random) -> Scene:
    with_object = rng.random() < 0.6
    obj = rng.choice(SCENE_OBJECTS) if with_object else None
    terrain = rng.choice(OBJECT_TERRAINS[obj]) if obj else rng.choice(TERRAINS)
    time = rng.choice(list(TIMES))
    weathers = (
        ["clear", "clear", "cloudy", "foggy", "snowy", "rainy"]
        + (["clear"] if obj else [])
        + (["starlit"] * (1 if obj else 2) if time == "night" else [])
    )
    if terrain in ("desert", "beach"):
        weathers = [w for w in weathers if w != "snowy"]
    weather = rng.choice(weathers)
    top, bottom, judge_time = TIMES[time]
    if weather in ("rainy", "foggy"):
        top, bottom = _mix(top, -0.1 if time == "night" else 0.35), _mix(bottom, 0.25)
    # the terrain in a named colour sometimes ("a purple forest at dusk"), else its own
    named_ground = None
    if not obj and rng.random() < 0.35:
        named_ground = _pick_color(
            rng,
            names=[
                "purple",
                "violet",
                "green",
                "emerald",
                "golden",
                "red",
                "crimson",
                "blue",
                "teal",
                "orange",
                "pink",
                "lavender",
                "white",
                "silver",
                "indigo",
                "amber",
            ],
        )
    ground = named_ground.paint if named_ground else _hex3(GROUND[terrain])
    if weather == "snowy" and terrain in ("field", "hills", "mountains", "forest"):
        ground = ground if named_ground else ("#dee" if terrain in ("field", "hills") else ground)
    if judge_time == "night" and not named_ground:
        ground = _shade(ground, -0.35)
    parts = [_backdrop(_hex3(top), _hex3(bottom))]
    moon = judge_time == "night" and weather in ("clear", "starlit", "cloudy") and rng.random() < 0.8
    bx = rng.choice([70, 310])
    if moon:
        parts.append(f'<circle cx="{bx}" cy="70" r="24" fill="#eef"/>')
    elif judge_time != "night" and weather in ("clear", "cloudy") and (not obj or rng.random() < 0.4):
        sy = {"dawn": 190, "dusk": 200}.get(judge_time, 80)
        parts.append(f'<circle cx="{bx}" cy="{sy}" r="30" fill="{"#fd6" if judge_time == "noon" else "#fb4"}"/>')
    if weather == "starlit":
        parts.append(_dots([(rng.randint(10, 374), rng.randint(10, 170)) for _ in range(5)], "#fff", 4))
    parts.append(_named(terrain, _terrain(terrain, ground, rng, weather == "snowy", named_ground is not None)))
    c = None
    if obj:
        named = rng.random() < 0.5
        c = _pick_color(rng, modifier_p=0.1, avoid={"black"}) if named else color(DEFAULT_OBJECT_COLORS[obj])
        parts.append(_named(obj, _object(obj, c, terrain, rng)))
    if weather == "cloudy":
        parts.append(
            '<g fill="#eef">'
            + "".join(
                f'<ellipse cx="{x}" cy="{y}" rx="{rx}" ry="{rx // 3}"/>'
                for x, y, rx in (
                    (rng.randint(70, 150), rng.randint(50, 90), 50),
                    (rng.randint(230, 320), rng.randint(40, 80), 40),
                )
            )
            + "</g>"
        )
    elif weather == "snowy":
        parts.append(_dots([(rng.randint(5, 379), rng.randint(5, 379)) for _ in range(7)], "#fff", 8))
    elif weather == "rainy":
        d = "".join(f"M{rng.randint(0, 384)} {rng.randint(0, 340)}l-6 18" for _ in range(6))
        parts.append(f'<path d="{d}" stroke="#89a" stroke-width="3"/>')
    elif weather == "foggy":
        parts.append('<path d="M0 200h384v30H0zM0 260h384v24H0z" fill="#fff" opacity=".45"/>')
    # the words
    tword = rng.choice(TERRAIN_WORDS[terrain])
    if weather == "snowy" and terrain == "mountains":
        tword = rng.choice(["snow-covered peaks", "snowy mountains"])
    if weather == "snowy" and terrain == "field":
        tword = rng.choice(["a snowy plain", "a snowy field"])
    at_time = "in the morning" if time == "morning" else f"at {time}"
    time_phrase = rng.choice([at_time, at_time] + (["under a starry sky", "on a moonlit night"] if moon else []))
    night = judge_time == "night"
    sky_phrase = {
        "clear": "",
        "cloudy": rng.choice(["under a cloudy sky", "under gray clouds", "with clouds overhead"]),
        "starlit": rng.choice(["under a starry sky", "on a starlit night"]),
        "foggy": rng.choice(["in thick fog", "in the mist"] + ([] if night else ["on a foggy day"])),
        "snowy": rng.choice(["in falling snow", "during a snowfall"]),
        "rainy": rng.choice(["in the rain"] + ([] if night else ["on a rainy day"])),
    }[weather]
    if obj:
        cname = f"{c.name} " if named else ""
        rel = rng.choice(OBJECT_RELATIONS.get(obj, PLACE_RELATIONS[terrain]))
        core = f"{_a(cname + obj)} {rel.format(t=tword)}"
        extras = [time_phrase, sky_phrase or time_phrase, ""]
    else:
        if named_ground:
            base = {
                "forest": "forest",
                "mountains": "mountains",
                "hills": "hills",
                "field": "meadow",
                "lake": "lagoon",
                "sea": "sea",
                "beach": "beach",
                "river": "river",
                "desert": "desert",
            }[terrain]
            core = (
                f"{_a(named_ground.name + ' ' + base)}"
                if base not in ("mountains", "hills")
                else f"{named_ground.name} {base}"
            )
        else:
            core = tword
        extras = [time_phrase, sky_phrase or time_phrase, f"{sky_phrase} {time_phrase}".strip()]
        if not named_ground and rng.random() < 0.3:
            core = f"{_sky_subject(weather, time, moon, rng)} over {tword}"
            extras = [time_phrase if "night" not in core else ""]
    # weather that changes the picture this much is named; at most 12 words
    if weather in ("snowy", "rainy", "foggy"):
        extras = [e if re.search(r"snow|rain|fog|mist", core + e) else f"{e} {sky_phrase}".strip() for e in extras]
    fitting = [e for e in extras if len(f"{core} {e}".split()) <= 12] or [
        {"snowy": "in snow", "rainy": "in the rain", "foggy": "in fog"}.get(weather, "")
    ]
    desc = re.sub(r"\s+", " ", f"{core} {rng.choice(fitting)}").strip()
    # questions
    qs = []
    if obj:
        qs.append(_mc("What is shown in the image?", obj, SCENE_OBJECTS, rng))
        if named:
            cq = _color_question(f"What color is the {obj}?", c, rng)
            qs += [cq] if cq else []
    tq_pool = [t for t in TERRAINS if t != terrain]
    qs.append(
        _mc(
            "What is below the sky?" if obj is None or obj in ("hot air balloon", "kite") else "What is the setting?",
            {"mountains": "mountains", "sea": "ocean" if "ocean" in desc else "sea", "lake": "lake"}.get(
                terrain, terrain
            ),
            tq_pool,
            rng,
        )
    )
    time_word = time if time in desc else judge_time
    qs.append(_mc("What time of day is shown?", time_word, [t for t in JUDGE_TIMES if t != judge_time], rng))
    qs.append(
        _yn("Is there a moon?", moon)
        if rng.random() < 0.5 or judge_time == "night"
        else _yn("Are there clouds?", weather == "cloudy")
    )
    attrs = {
        "object": obj or "none",
        "terrain": terrain,
        "time": judge_time,
        "moon": "yes" if moon else "no",
        "clouds": "yes" if weather == "cloudy" else "no",
        "color": c.family if (obj and named) else None,
    }
    key = f"landscape|{obj}|{terrain}|{time}|{weather}|{c.name if c and named else ''}|{named_ground.name if named_ground else ''}"
    return Scene(desc, _svg(*parts), qs[:4], "landscape", _clean(attrs), key)


def _sky_subject(weather: str, time: str, moon: bool, rng: random.Random) -> str:
    if weather == "starlit" or (moon and rng.random() < 0.5):
        return rng.choice(["a starlit night", "a starry night"])
    if weather in ("cloudy", "foggy", "rainy", "snowy"):
        return {"cloudy": "a cloudy sky", "foggy": "a misty sky", "rainy": "rain falling", "snowy": "snow falling"}[
            weather
        ]
    return {"sunset": "a glowing sunset", "dawn": "the first light of dawn", "night": "a dark night sky"}.get(
        time, "a clear sky"
    )


# ------------------------------------------------------------------ fashion

GARMENT_PATHS = {  # (main shape, darker parts)
    "coat": ("M132 80h120l44 60-8 220H96l-8-220z", "M88 140 56 320h30l18-150zM296 140l32 180h-30l-18-150z"),
    "jacket": ("M132 90h120l44 56-6 150H94l-6-150z", "M88 146 58 290h30l16-120zM296 146l30 144h-30l-16-120z"),
    "pants": ("M128 70h128l16 290h-62l-18-210-18 210h-62z", ""),
    "overalls": (
        "M128 150h128l16 210h-62l-18-150-18 150h-62zM150 84h84v80h-84z",
        "M150 90l-20-40h14l20 40zM234 90l20-40h-14l-20 40z",
    ),
    "skirt": ("M140 100h104l56 220H84z", ""),
    "dress": ("M160 70h64l12 90 64 180H84l64-180z", ""),
    "shirt": ("M140 80l52 16 52-16 70 40-16 200-28-2V150v180H120V150l-2 168-28 2-16-200z", ""),
    "t-shirt": ("M140 80l52 16 52-16 76 50-28 40-28-20v180H120V150l-28 20-28-40z", ""),
    "sweater": ("M140 80h104l70 40-10 200h-34l-6-170v180H120V150l-6 170H80l-10-200z", ""),
    "scarf": ("M90 120q102 50 204 0l6 40q-108 50-216 0zM220 170h40v150h-40z", ""),
    "hat": ("M112 250V150q80-60 160 0v100z", "M42 250a150 36 0 1 0 300 0a150 36 0 1 0-300 0"),
    "sneakers": ("M60 230q0-40 40-40l60 10q40 30 100 40 60 10 64 50v20H60z", "M56 300h272v22H56z"),
    "boots": ("M120 60h90v200q70 10 84 60v24H120z", "M116 340h182v22H116z"),
    "bag": ("M90 160h204l20 180H70z", "M140 160v-30a52 52 0 0 1 104 0v30"),
    "umbrella": ("M52 200Q192 40 332 200q-35-20-70 0-35-20-70 0-35-20-70 0-35-20-70 0z", ""),
}
MATERIALS = [
    "wool",
    "silk",
    "corduroy",
    "denim",
    "leather",
    "faux fur",
    "linen",
    "velvet",
    "cotton",
    "knit",
    "suede",
    "satin",
]
FASHION_PATTERNS = ["checkered", "striped", "plaid", "polka-dot"]
DETAILS = {  # detail -> garments it suits
    "a faux fur collar": ["coat", "jacket"],
    "a collar": ["coat", "shirt", "dress"],
    "buttons": ["coat", "shirt", "jacket", "overalls"],
    "patch pockets": ["pants", "jacket", "coat", "overalls"],
    "a pocket": ["t-shirt", "shirt"],
    "a belt": ["dress", "coat", "pants"],
    "a hood": ["jacket", "sweater", "coat"],
    "laces": ["sneakers", "boots"],
    "tassels": ["scarf", "bag"],
    "fringes": ["scarf", "skirt"],
    "a band": ["hat"],
    "a wide brim": ["hat"],
    "a zipper": ["jacket", "bag", "boots"],
    "a handle": ["umbrella", "bag"],
    "ruffles": ["dress", "skirt"],
}
PLURAL_GARMENTS = {"pants", "overalls", "sneakers", "boots"}


def _detail(detail: str, kind: str, dc: str, base: str) -> str:
    if detail == "a faux fur collar":
        return _dots([(x, 90 + abs(x - 192) * 0.2) for x in range(140, 250, 14)], dc, 20)
    if detail == "a collar":
        return f'<path d="M150 76l42 30 42-30-10 40-32-10-32 10z" fill="{dc}"/>'
    if detail == "buttons":
        x = 192 if kind != "overalls" else 160
        ys = (150, 200, 250) if kind != "overalls" else (100,)
        return _dots([(x, y) for y in ys] + ([(224, 100)] if kind == "overalls" else []), dc, 12)
    if detail in ("patch pockets", "a pocket"):
        if kind in ("t-shirt", "shirt"):
            return f'<rect x="212" y="150" width="32" height="36" fill="{dc}"/>'
        y = 110 if kind == "pants" else 230 if kind in ("coat", "jacket") else 200
        return f'<path d="M140 {y}h34v34h-34zM210 {y}h34v34h-34z" fill="{dc}"/>'
    if detail == "a belt":
        y = {"dress": 150, "coat": 200, "pants": 74}[kind]
        return f'<rect x="{140 if kind == "dress" else 110}" y="{y}" width="{104 if kind == "dress" else 164}" height="14" fill="{dc}"/>'
    if detail == "a hood":
        return f'<path d="M140 92q52-80 104 0q-52-30-104 0z" fill="{dc}"/>'
    if detail == "laces":
        d = (
            "M150 210l30 14M170 206l30 14M190 208l30 14"
            if kind == "sneakers"
            else "M150 100h40M150 140h40M150 180h40M150 220h40"
        )
        return f'<path d="{d}" stroke="{dc}" stroke-width="5"/>'
    if detail in ("tassels", "fringes"):
        y = {"scarf": 320, "skirt": 320, "bag": 340}[kind]
        x0, x1 = (222, 262) if kind == "scarf" else (90, 300) if kind == "skirt" else (80, 310)
        d = "".join(f"M{x} {y}v22" for x in range(x0, x1, 8 if kind == "scarf" else 14))
        return f'<path d="{d}" stroke="{dc}" stroke-width="4"/>'
    if detail == "a band":
        return f'<rect x="112" y="212" width="160" height="24" fill="{dc}"/>'
    if detail == "a wide brim":
        return f'<path d="M20 256a172 30 0 1 0 344 0a172 30 0 1 0-344 0" fill="{dc}" opacity=".6"/>'
    if detail == "a zipper":
        return f'<path d="M192 {100 if kind != "boots" else 70}v{190 if kind != "boots" else 220}" stroke="{dc}" stroke-width="4" stroke-dasharray="6 4"/>'
    if detail == "a handle":
        return (
            f'<path d="M192 200V320q0 20-20 16" stroke="{dc}" stroke-width="8" fill="none" stroke-linecap="round"/>'
            if kind == "umbrella"
            else f'<path d="M140 160v-30a52 52 0 0 1 104 0v30" stroke="{dc}" stroke-width="10" fill="none"/>'
        )
    if detail == "ruffles":
        y = 336 if kind == "dress" else 318
        return f'<path d="M84 {y}q13 14 26 0t26 0 26 0 26 0 26 0 26 0 26 0 26 0" stroke="{dc}" stroke-width="6" fill="none"/>'
    raise ValueError(detail)


def _material(material: str, kind: str, base: str) -> str:
    if material == "corduroy":
        return f'<path d="{"".join(f"M{x} 90v260" for x in range(136, 256, 12))}" stroke="{_shade(base, -0.2)}" stroke-width="3" opacity=".6"/>'
    if material in ("silk", "satin", "leather"):
        return '<path d="M150 110q20 100 4 200" stroke="#fff" stroke-width="10" opacity=".3" fill="none"/>'
    if material == "denim":
        return (
            f'<path d="M140 100v240M244 100v240" stroke="{_shade(base, 0.4)}" stroke-width="2" stroke-dasharray="6 4"/>'
        )
    if material == "knit":
        return f'<path d="{"".join(f"M120 {y}h144" for y in range(120, 330, 24))}" stroke="{_shade(base, -0.15)}" stroke-width="3"/>'
    return ""


def _pattern_fill(pattern: str, c1: str, c2: str) -> str:
    if pattern == "checkered":
        inner = f'<rect width="40" height="40" fill="{c2}"/><path d="M0 0h20v20H0zM20 20h20v20H20z" fill="{c1}"/>'
    elif pattern == "striped":
        inner = f'<rect width="40" height="40" fill="{c2}"/><path d="M0 0h40v20H0z" fill="{c1}"/>'
    elif pattern == "plaid":
        inner = f'<rect width="40" height="40" fill="{c1}"/><path d="M0 14h40v10H0zM14 0h10v40H14z" fill="{c2}" opacity=".6"/>'
    else:  # polka-dot
        inner = f'<rect width="40" height="40" fill="{c1}"/><circle cx="20" cy="20" r="6" fill="{c2}"/>'
    return f'<defs><pattern id="p" width="40" height="40" patternUnits="userSpaceOnUse">{inner}</pattern></defs>'


def garment_scene(rng: random.Random) -> Scene:
    kind = rng.choice(GARMENTS)
    main, parts_dark = GARMENT_PATHS[kind]
    c = _pick_color(rng, avoid={"white"} if rng.random() < 0.7 else set(), modifier_p=0.15)
    pattern = rng.choice(FASHION_PATTERNS) if rng.random() < 0.22 else None
    c2 = None
    if pattern:
        _, c2 = _pick_pair(
            rng, names=["white", "black", "red", "navy", "yellow", "green", "cream", "gray", "pink", "blue", "brown"]
        )
        if not _distinct(c, c2):
            c2 = color("white" if c.family != "white" else "black")
    material = rng.choice(MATERIALS) if rng.random() < 0.55 and not pattern else None
    if material == "denim" and rng.random() < 0.7:
        c = rng.choice([color("blue"), color("blue", "light"), color("blue", "dark"), color("navy"), color("azure")])
    details = [d for d, ok in DETAILS.items() if kind in ok]
    detail = rng.choice(details) if details and rng.random() < 0.65 else None
    if material == "faux fur" and detail == "a faux fur collar":
        detail = None
    dcol = None
    if detail:
        dcol = _pick_color(
            rng,
            names=["white", "black", "gold", "silver", "brown", "cream", "red", "navy", "tan", "bronze"],
            modifier_p=0,
        )
        if not _distinct(dcol, c) or (detail == "a faux fur collar" and rng.random() < 0.5):
            dcol = color("cream" if c.family not in ("white",) else "charcoal")
    bg = rng.choice(["#eee8dc", "#e6eaef", "#f3efe6", "#dfe6ec", "#efe6ea"])
    fill = "url(#p)" if pattern else c.paint
    body = [_pattern_fill(pattern, c.paint, c2.paint) if pattern else "", f'<path d="{main}" fill="{fill}"/>']
    if parts_dark:
        body.append(
            f'<path d="{parts_dark}" fill="{_shade(c.hex, -0.2) if not pattern else fill}"/>'
            if kind != "bag"
            else f'<path d="{parts_dark}" stroke="{_shade(c.hex, -0.3)}" stroke-width="10" fill="none"/>'
        )
    if material and not pattern:
        body.append(_material(material, kind, c.hex))
    if material == "faux fur" and kind in ("coat", "jacket", "hat", "boots"):
        body.append(_dots([(x, 96 if kind != "boots" else 66) for x in range(140, 250, 14)], _shade(c.hex, 0.3), 20))
    if detail:
        body.append(_detail(detail, kind, dcol.paint, c.hex))
    if kind == "shirt" and detail not in ("a collar", "buttons"):
        body.append(f'<path d="M150 76l42 30 42-30-10 40-32-10-32 10z" fill="{_shade(c.hex, 0.35)}"/>')
    if kind == "sweater":
        body.append(f'<rect x="120" y="312" width="144" height="18" fill="{_shade(c.hex, -0.25)}"/>')
    if kind == "umbrella" and detail != "a handle":
        body.append(_detail("a handle", kind, "#543", c.hex))
    svg = _svg(_backdrop(_hex3(bg), _shade(bg, -0.1)), _named(kind, *body))
    noun = kind
    # the words
    colour_words = f"{c.name} and {c2.name} {pattern}" if pattern else c.name
    if pattern and rng.random() < 0.3 and pattern in ("plaid", "polka-dot"):
        colour_words = f"{pattern} {c.name}" if pattern == "plaid" else f"{c.name} polka-dot"
    mat = f"{material} " if material else ""
    lead = f"{colour_words} {mat}{noun}"
    if kind not in PLURAL_GARMENTS and (rng.random() < 0.5 or len(lead.split()) < 3):
        lead = _a(lead)
    elif len(lead.split()) < 3:
        lead = f"a pair of {lead}"
    if detail:
        dname = detail
        if detail not in ("a faux fur collar",) and rng.random() < 0.6:
            art, _, rest = detail.partition(" ") if detail.startswith("a ") else ("", "", detail)
            dname = f"{_a(dcol.name + ' ' + rest) if art else dcol.name + ' ' + rest}"
        desc = f"{lead} with {dname}"
    else:
        desc = lead
    qs = [
        _mc(
            rng.choice(["What item is shown?", "What is shown in the image?", "What piece of clothing is shown?"]),
            kind,
            [g for g in GARMENTS if g != kind],
            rng,
        )
    ]
    be = "are" if kind in PLURAL_GARMENTS else "is"
    if not pattern:
        cq = _color_question(f"What color {be} the {noun}?", c, rng)
        if cq:
            qs.append(cq)
            others = [f for f in BASIC if f != c.family]
            qs.append(_yn(f"{be.capitalize()} the {noun} {c.name}?", True))
            qs.append(_yn(f"{be.capitalize()} the {noun} {rng.choice(others)}?", False))
    if len(qs) < 3:
        qs.append(
            _yn(
                f"{'Are there' if kind in PLURAL_GARMENTS else 'Is there'} {'' if kind in PLURAL_GARMENTS else _a(kind).split()[0] + ' '}{kind} in the image?",
                True,
            )
        )
        other = rng.choice([g for g in GARMENTS if g != kind])
        qs.append(_yn(f"Is there {_a(other)} in the image?", False))
    attrs = {"object": kind, "color": None if pattern else c.family}
    key = f"fashion|{kind}|{c.name}|{pattern}|{c2.name if c2 else ''}|{material}|{detail}|{dcol.name if dcol else ''}"
    return Scene(desc, svg, qs[:4], kind, _clean(attrs), key)


FAMILIES = [abstract_scene, landscape_scene, garment_scene]
# The slots of `Scene.attrs` and the values each can take: what a judge of these pictures answers.
ATTRIBUTE_SLOTS: dict[str, list[str]] = {
    "object": SHAPES + PATTERNS + SCENE_OBJECTS + GARMENTS + ["none"],
    "color": BASIC,
    "background": BASIC,
    "count": [str(k) for k in COUNTS],
    "terrain": TERRAINS,
    "time": JUDGE_TIMES,
    "moon": ["yes", "no"],
    "clouds": ["yes", "no"],
}
HELDOUT_SHARE = 0.1


# Words that phrase a scene rather than say what is in it; dropped before the split is decided.
_PHRASING = set(
    """a an the on in of at with and over by under to across into onto from up above below beside near
among front edge deep standing overlooking floating drifting sailing spanning crossing soaring flying lined arranged
forming stacked piled top each other circling orbiting spiraling around against backdrop background canvas during
falling is are single pair""".split()
)
_CANONICAL = {
    w: t for t, words in TERRAIN_WORDS.items() for phrase in words for w in phrase.split() if w not in _PHRASING
}


def description_key(description: str) -> frozenset[str]:
    """What a description says, phrasing left out: its content words, terrain words by terrain.
    Two descriptions with the same key are near-duplicates."""
    words = re.findall(r"[a-z]+(?:-[a-z]+)*", description.lower())
    return frozenset(_CANONICAL.get(w, w) for w in words if w not in _PHRASING)


def split_of(scene: Scene | str) -> str:
    """'heldout' for about one description in ten, else 'train'. Decided by `description_key`, so
    a description and its near-duplicates (the same words in another order or phrasing) always
    fall on the same side."""
    text = scene if isinstance(scene, str) else scene.description
    h = int(hashlib.sha256(" ".join(sorted(description_key(text))).encode()).hexdigest()[:8], 16)
    return "heldout" if h % 1000 < HELDOUT_SHARE * 1000 else "train"


def corpus_version() -> str:
    """A short hash of this generator's source: it changes whenever the pictures may change."""
    from pathlib import Path

    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]


_GRADIENT_DEFS = re.compile(
    r'<defs><linearGradient id="(\w+)"[^>]*><stop offset="0" stop-color="(#[0-9a-f]{3,6}|[a-z]+)"/>'
    r'<stop offset="1" stop-color="(#[0-9a-f]{3,6}|[a-z]+)"/></linearGradient></defs>'
)


def flatten(svg: str) -> str:
    """The scene with its gradient backdrop replaced by one flat colour (the gradient's midpoint).

    A shorter drawing of the same picture, for a small policy that pays for every token.
    """
    m = _GRADIENT_DEFS.search(svg)
    if not m:
        return svg
    gid, top, bottom = m.groups()
    if not bottom.startswith("#"):  # a backdrop of a named colour stays that colour, by name
        return svg[: m.start()] + svg[m.end() :].replace(f"url(#{gid})", bottom)
    top, bottom = _full(top), _full(bottom)
    mid = "#%02x%02x%02x" % tuple((int(top[i : i + 2], 16) + int(bottom[i : i + 2], 16)) // 2 for i in (1, 3, 5))
    return svg[: m.start()] + svg[m.end() :].replace(f"url(#{gid})", _hex3(mid))


def generate_scenes(n: int, seed: int = 0, max_tries_per_scene: int = 50, flat: bool = False, split: str | None = None):
    """Yield `n` scenes with distinct descriptions, deterministically from `seed`.

    With `flat`, backdrops are one colour instead of a gradient (see `flatten`). With `split`
    ("train" or "heldout"), only scenes of that side of the held-out split.

    Raises:
        ValueError: when the grammar cannot produce that many distinct descriptions.
    """
    if split not in (None, "train", "heldout"):
        raise ValueError(f"split must be None, 'train' or 'heldout', not {split!r}")
    rng = random.Random(seed)
    seen: set[str] = set()
    produced = 0
    misses = 0
    while produced < n:
        scene = rng.choice(FAMILIES)(rng)
        if scene.description in seen or (split and split_of(scene) != split):
            misses += 1
            if misses > max_tries_per_scene * max(1, n):
                raise ValueError(f"only {produced} distinct descriptions could be generated")
            continue
        if not validate(scene.svg).valid:  # a grammar bug, never a user's input
            raise AssertionError(f"invalid scene SVG for {scene.description!r}: {validate(scene.svg).summary}")
        seen.add(scene.description)
        produced += 1
        scene.svg = name_colours(flatten(scene.svg) if flat else scene.svg)
        yield scene
