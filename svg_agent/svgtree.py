"""A small SVG element tree and its compact serialisation (numbers, paths, colours, defaults)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .compact import (
    fmt,
    format_numbers,
    format_path,
    format_transform,
    parse_numbers,
    parse_path,
    path_points,
    shortest_color,
)

COORD_ATTRS = frozenset(
    "x y width height cx cy r rx ry x1 y1 x2 y2 fx fy fr refX refY markerWidth markerHeight "
    "dx dy stroke-width stroke-dashoffset".split()
)
UNIT_ATTRS = frozenset("opacity fill-opacity stroke-opacity stop-opacity flood-opacity".split())
COLOR_ATTRS = frozenset("fill stroke stop-color flood-color lighting-color color".split())
TRANSFORM_ATTRS = frozenset({"transform", "gradientTransform", "patternTransform"})
DRAWABLE = frozenset("path rect circle ellipse line polyline polygon use".split())
# Inherited properties and their initial values: dropped when no ancestor set another value.
INHERITED_DEFAULTS = {
    "fill-opacity": "1",
    "stroke-opacity": "1",
    "stroke-width": "1",
    "fill-rule": "nonzero",
    "clip-rule": "nonzero",
    "stroke-linecap": "butt",
    "stroke-linejoin": "miter",
    "stroke-miterlimit": "4",
    "stroke": "none",
    "fill": "#000",
    "stroke-dashoffset": "0",
    "stroke-dasharray": "none",
}
# Per-element attributes whose initial value means "not set" (not inherited).
ELEMENT_DEFAULTS = {
    "rect": {"x": "0", "y": "0"},
    "circle": {"cx": "0", "cy": "0"},
    "ellipse": {"cx": "0", "cy": "0"},
    "line": {"x1": "0", "y1": "0", "x2": "0", "y2": "0"},
    "use": {"x": "0", "y": "0"},
    "linearGradient": {"spreadMethod": "pad"},
    "radialGradient": {"spreadMethod": "pad"},
}
_LENGTH_RE = re.compile(r"^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?:px|pt|pc|cm|mm|in|em|ex|%)\s*$")
_PLAIN_NUMBER_RE = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(px)?\s*$")


@dataclass
class Node:
    """One SVG element: a tag, its attributes in document order, its children."""

    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)

    def iter(self):
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


def number(value: str | None) -> float | None:
    """The value of a plain number attribute ('12', '12px'), else None."""
    if value is None:
        return None
    m = _PLAIN_NUMBER_RE.match(value)
    if not m:
        return None
    v = float(m.group(1))
    return v if math.isfinite(v) else None


def _fraction(value: str) -> float | None:
    """'0.5' or '50%' -> 0.5; anything else -> None."""
    v = value.strip()
    if v.endswith("%"):
        n = number(v[:-1])
        return None if n is None else n / 100
    return number(v)


def escape_attr(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def format_attr(tag: str, name: str, value: str, precision: int) -> str | None:
    """The shortest form of one attribute value, or None when it has no effect."""
    if name == "d":
        segs = parse_path(value)
        return format_path(segs, precision) if segs else None
    if name == "points":
        return format_numbers(value, precision, pairs=True)
    if name == "viewBox":
        vals = parse_numbers(value)
        if len(vals) != 4 or vals[2] <= 0 or vals[3] <= 0:
            return None  # renderers fail on a malformed viewBox: leaving it out is harmless
        return format_numbers(value, max(precision, 0), spaced=True)
    if name in TRANSFORM_ATTRS:
        return format_transform(value, precision) or None
    if name == "stroke-dasharray":
        if value.strip() == "none":
            return "none"
        vals = parse_numbers(value)
        # cairo refuses negative dashes; an all-zero pattern is an error in SVG too.
        if not vals or min(vals) < 0 or sum(vals) <= 0:
            return None
        return format_numbers(value, max(precision, 1), spaced=True)
    if name in UNIT_ATTRS or name == "offset":
        v = _fraction(value)
        if v is None:
            return None  # the renderer would fail to parse it
        return fmt(min(1.0, max(0.0, v)), 3 if name == "offset" else 2)
    if name == "stroke-miterlimit":
        v = number(value)
        return fmt(v, 2) if v is not None and v >= 1 else None
    if name == "orient":
        v = value.strip()
        return v if v in ("auto", "auto-start-reverse") or number(v) is not None else None
    if name in COORD_ATTRS:
        v = number(value)
        if v is not None and v <= 0 and name in ("markerWidth", "markerHeight"):
            return None  # a zero-size marker makes a singular matrix: cairo raises
        if v is not None:
            return fmt(v, precision)
        m = _LENGTH_RE.match(value)
        return m.group(0).strip() if m else None
    if name in COLOR_ATTRS:
        return shortest_color(value)
    return value.strip()


def serialize(root: Node, precision: int, *, drop_defaults: bool = True) -> str:
    """Write the tree as compact SVG text (no whitespace between elements)."""
    out: list[str] = []
    # Content reached through <use> inherits from the <use>, not from its own ancestors.
    used = {n.attrs["href"][1:] for n in root.iter() if n.attrs.get("href", "").startswith("#")}

    def emit(node: Node, inherited: frozenset[str], in_defs: bool) -> None:
        in_defs = in_defs or node.attrs.get("id") in used
        attrs = []
        set_here = set()
        defaults = ELEMENT_DEFAULTS.get(node.tag, {})
        for name, value in node.attrs.items():
            v = format_attr(node.tag, name, value, precision)
            if v is None or v == "":
                if name == "d":
                    return  # a path with no segments draws nothing
                continue
            if drop_defaults:
                if defaults.get(name) == v:
                    continue
                if name == "opacity" and v == "1":
                    continue
                # Content under <defs> or used by <use> inherits from where it is used.
                if INHERITED_DEFAULTS.get(name) == v and name not in inherited and not in_defs:
                    continue
            set_here.add(name)
            attrs.append(f'{name}="{escape_attr(v)}"')
        if node.tag in ("g", "defs") and not node.children:
            return
        if node.tag == "g" and not attrs:  # a bare group changes nothing: keep its children only
            for child in node.children:
                emit(child, inherited, in_defs)
            return
        head = "<" + node.tag + ("" if not attrs else " " + " ".join(attrs))
        if not node.children:
            out.append(head + "/>")
            return
        out.append(head + ">")
        child_inherited = inherited | set_here if set_here else inherited
        for child in node.children:
            emit(child, child_inherited, in_defs or node.tag == "defs")
        out.append(f"</{node.tag}>")

    emit(root, frozenset(), False)
    return "".join(out)


def bbox_area(node: Node) -> float:
    """A rough drawn area of an element in user units (transforms ignored), for pruning."""
    a = node.attrs
    t = node.tag

    def n(k: str, default: float = 0.0) -> float:
        v = number(a.get(k))
        return default if v is None else v

    if t == "rect":
        return abs(n("width") * n("height"))
    if t == "circle":
        return math.pi * n("r") ** 2
    if t == "ellipse":
        return math.pi * abs(n("rx") * n("ry"))
    if t == "line":
        return math.hypot(n("x2") - n("x1"), n("y2") - n("y1")) * max(n("stroke-width", 1), 1)
    if t in ("polygon", "polyline"):
        vals = parse_numbers(a.get("points", ""))
        pts = list(zip(vals[0::2], vals[1::2]))
    elif t == "path":
        pts = path_points(parse_path(a.get("d", "")))
    else:
        return sum(bbox_area(c) for c in node.children)
    if not pts:
        return 0.0
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return (max(xs) - min(xs)) * (max(ys) - min(ys))
