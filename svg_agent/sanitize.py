"""Turn raw model output into the best valid SVG under the byte budget.

    svg-agent sanitize FILE [-o OUT] [--max-bytes N]

Steps: find the SVG documents in the text; parse each with a recovering, non-resolving XML parser
(truncated markup is closed, entities and DTDs are never expanded); keep only allowlisted elements
and attributes (`style` declarations and simple `<style>` rules become presentation attributes);
drop references that point nowhere and `<use>` chains that would explode when rendered; give the
root a viewBox, a 384 px size and an opaque background; then compact numbers, paths and colours,
pruning the smallest shapes only if the text still does not fit. Whatever comes out validates.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from lxml import etree

from .compact import parse_numbers
from .constraints import MAX_SVG_BYTES, allowlist, validate
from .css import apply_styles, parse_stylesheet
from .extract import extract_candidates
from .svgtree import DRAWABLE, Node, bbox_area, number, serialize

CANVAS = 384
FALLBACK_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 384 384">'
    '<rect width="384" height="384" fill="#e9edf2"/>'
    '<circle cx="192" cy="192" r="96" fill="#8fa9c7"/></svg>'
)
# Containers whose children a browser still renders; everything else not allowed is dropped whole.
_UNWRAP = frozenset({"a", "switch"})
_URL_RE = re.compile(r"url\(\s*['\"]?#([^'\")\s]+)['\"]?\s*\)\s*(.*)", re.S)
_URL_ATTRS = ("fill", "stroke", "filter", "clip-path", "mask", "marker-start", "marker-mid", "marker-end")
_DOCTYPE_RE = re.compile(r"<!DOCTYPE(?:[^\[>]|\[[^\]]*\])*>|<!ENTITY[^>]*>", re.I)
MAX_DEPTH = 48
MAX_RENDER_NODES = 20_000


@dataclass(frozen=True)
class SanitizeResult:
    """The sanitized SVG and what it took to get there."""

    svg: str
    bytes: int
    raw_valid: bool  # the text as given (surrounding whitespace aside) passed the constraints
    extracted_valid: bool  # the first SVG found in it passed them unchanged (prose/fences aside)
    fallback: bool  # nothing usable was found: `svg` is the stock fallback drawing
    candidates: int
    drawn_elements: int
    precision: int | None
    notes: tuple[str, ...] = field(default_factory=tuple)


def sanitize(raw: str | bytes, *, max_bytes: int = MAX_SVG_BYTES, gateway: bool = False) -> SanitizeResult:
    """Return the best valid SVG found in `raw`.

    Args:
        raw: model output or a file's contents; any text or bytes.
        max_bytes: the byte budget of the result (the competition's is 10,000).
        gateway: allow the gateway's larger element list instead of the scorer's.

    Returns:
        A SanitizeResult whose `svg` always passes `validate(svg, max_bytes=max_bytes)`.
    """
    if max_bytes < len(FALLBACK_SVG.encode()):
        raise ValueError(f"max_bytes must be at least {len(FALLBACK_SVG.encode())}")
    from .selection import raw_validity

    candidates = extract_candidates(raw)
    extracted_valid = bool(candidates) and validate(candidates[0], max_bytes=max_bytes, gateway=gateway).valid
    raw_valid = raw_validity(raw, max_bytes=max_bytes, gateway=gateway)
    best = None
    for text in candidates:
        notes: list[str] = []
        tree = _parse(text, notes, allowlist(gateway))
        if tree is None:
            continue
        drawn = sum(1 for n in tree.iter() if n.tag in DRAWABLE)
        if drawn == 0:
            continue
        if best is None or drawn > best[1]:
            best = (tree, drawn, notes)
    if best is None:
        note = "no SVG found" if not candidates else "no drawable content survived sanitizing"
        return SanitizeResult(
            FALLBACK_SVG, len(FALLBACK_SVG), raw_valid, extracted_valid, True, len(candidates), 0, None, (note,)
        )
    tree, _, notes = best
    svg, precision, pruned = fit_budget(tree, max_bytes)
    if pruned:
        notes.append(f"pruned {pruned} smallest shapes to fit {max_bytes} bytes")
    result = validate(svg, max_bytes=max_bytes, gateway=gateway)
    if not result.valid:  # defensive: never hand out an invalid SVG
        notes.append("sanitized text failed validation: " + result.summary)
        return SanitizeResult(
            FALLBACK_SVG, len(FALLBACK_SVG), raw_valid, extracted_valid, True, len(candidates), 0, None, _dedupe(notes)
        )
    drawn = sum(1 for n in tree.iter() if n.tag in DRAWABLE)
    return SanitizeResult(
        svg, result.bytes, raw_valid, extracted_valid, False, len(candidates), drawn, precision, _dedupe(notes)
    )


def _dedupe(notes: list[str]) -> tuple[str, ...]:
    counts: dict[str, int] = {}
    for n in notes:
        counts[n] = counts.get(n, 0) + 1
    return tuple(n if c == 1 else f"{n} (x{c})" for n, c in counts.items())


def _parse(text: str, notes: list[str], allowed: dict) -> Node | None:
    parser = etree.XMLParser(
        recover=True,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    text = _DOCTYPE_RE.sub("", text)
    if not re.search(r"</svg\s*>\s*$", text, re.I):
        text = text[: text.rfind(">") + 1]  # cut-off output: drop the half-written tag
    try:
        root = etree.fromstring(text.encode("utf-8"), parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root is None or _local(root.tag) != "svg":
        return None
    rules = []
    for el in root.iter():
        if isinstance(el.tag, str) and _local(el.tag) == "style":
            rules.extend(parse_stylesheet("".join(el.itertext())))
    tree = _convert(root, allowed, rules, notes, depth=0)
    if tree is None:
        return None
    _fix_references(tree, notes)
    if not any(n.tag in DRAWABLE for n in tree.iter()):
        return None
    _normalize_root(tree, "viewBox" not in text)
    return tree


def _local(name) -> str:
    return name.split("}")[-1].split(":")[-1]


def _convert(el, allowed: dict, rules, notes: list[str], depth: int) -> Node | None:
    """Copy an lxml element into a Node, keeping only what the allowlist permits."""
    tag = _local(el.tag)
    if depth > MAX_DEPTH:
        notes.append(f"dropped groups nested deeper than {MAX_DEPTH}")
        return None
    unwrap = tag in _UNWRAP
    if (tag not in allowed or tag == "common") and not unwrap:
        if tag != "style":
            notes.append(f"dropped <{tag}>")
        return None
    if unwrap:
        tag = "g"
    raw_attrs = {}
    for k, v in el.attrib.items():
        name = _local(k)
        if name in ("xmlns",) or k.startswith("{http://www.w3.org/2000/xmlns"):
            continue
        raw_attrs[name] = v
    attrs = apply_styles(tag, raw_attrs, rules)
    own, common = allowed[tag], allowed["common"]
    node = Node(tag)
    for name, value in attrs.items():
        if name not in own and name not in common:
            continue
        if "data:" in value.lower() or ";base64" in value:
            notes.append(f"dropped embedded data in {name}")
            continue
        if name == "href" and not value.startswith("#"):
            notes.append("dropped external href")
            continue
        node.attrs[name] = value
    if tag in DRAWABLE and node.attrs.get("display", "").strip() == "none":
        return None  # not drawn; containers stay, since gradients inside them are still usable
    for child in el:
        if not isinstance(child.tag, str):
            continue  # entity references, comments, processing instructions
        sub = _convert(child, allowed, rules, notes, depth + 1)
        if sub is not None:
            node.children.append(sub)
    if not _draws(node):
        return None
    return node


def _draws(node: Node) -> bool:
    """False for shapes that cannot paint anything (zero or missing size, no geometry).

    Lengths with units or percentages are taken to draw: only plain non-positive numbers don't.
    """
    a, t = node.attrs, node.tag

    def positive(name: str) -> bool:
        if name not in a:
            return False
        v = number(a[name])
        return v is None or v > 0

    if t == "rect":
        return positive("width") and positive("height")
    if t == "circle":
        return positive("r")
    if t == "ellipse":
        return positive("rx") and positive("ry")
    if t == "path":
        return bool(a.get("d", "").strip())
    if t in ("polygon", "polyline"):
        return len(parse_numbers(a.get("points", ""))) >= 4
    if t == "use":
        return "href" in a
    return True


def _fix_references(root: Node, notes: list[str]) -> None:
    """Drop references to ids that do not exist, and `<use>` chains that explode when rendered."""
    ids = {n.attrs["id"]: n for n in root.iter() if "id" in n.attrs}
    for node in root.iter():
        for name in _URL_ATTRS:
            value = node.attrs.get(name)
            if value is None or "url(" not in value:
                continue
            m = _URL_RE.match(value.strip())
            if m and m.group(1) in ids:
                continue
            fallback = m.group(2).strip() if m else ""
            if name in ("fill", "stroke"):
                # A paint server that does not exist paints nothing (cairosvg and browsers agree).
                node.attrs[name] = fallback or "none"
            else:
                del node.attrs[name]
        href = node.attrs.get("href")
        if href is not None and href[1:] not in ids:
            del node.attrs["href"]
    _prune(root, lambda n: n.tag == "use" and "href" not in n.attrs)
    _break_reference_cycles(root, ids, notes)
    # Count the nodes a renderer would visit, following <use> into its target.
    while True:
        cost: dict[int, float] = {}
        visiting: set[int] = set()

        def visit(n: Node) -> float:
            key = id(n)
            if key in cost:
                return cost[key]
            if key in visiting:
                return float("inf")  # a reference cycle
            visiting.add(key)
            total = 1.0 + sum(visit(c) for c in n.children)
            if n.tag == "use":
                total += visit(ids[n.attrs["href"][1:]])
            visiting.discard(key)
            cost[key] = total
            return total

        uses = [n for n in root.iter() if n.tag == "use"]
        if not uses:
            return
        try:
            total = visit(root)
        except RecursionError:  # a chain of uses thousands deep: no drawing needs that
            notes.append("dropped a <use> chain nested too deeply")
            _prune(root, lambda n: n.tag == "use")
            return
        if total <= MAX_RENDER_NODES:
            return
        worst = max(uses, key=lambda n: cost.get(id(n), 0.0))
        notes.append("dropped an exploding <use> chain")
        _prune(root, lambda n, w=worst: n is w)
        ids = {n.attrs["id"]: n for n in root.iter() if "id" in n.attrs}
        _prune(root, lambda n: n.tag == "use" and n.attrs.get("href", "#")[1:] not in ids)


def _references(node: Node) -> list[tuple[str, str]]:
    """(attribute, id) of each reference the node itself makes: url(#id) paints, clips, masks, filters
    and markers, and href."""
    out = []
    for name in _URL_ATTRS:
        m = _URL_RE.match((node.attrs.get(name) or "").strip())
        if m:
            out.append((name, m.group(1)))
    href = node.attrs.get("href")
    if href is not None:
        out.append(("href", href[1:]))
    return out


def _break_reference_cycles(root: Node, ids: dict[str, Node], notes: list[str]) -> None:
    """Drop each url() reference that leads back into the element holding it (a pattern filled with
    itself, two patterns filling each other): renderers recurse on those until they fail. A
    `<use>` cycle is left to the render count below, which drops the `<use>`."""
    inside: dict[str, set[str]] = {}  # id -> ids referenced anywhere in that element's subtree

    def refs_in(n: Node) -> set[str]:
        return {target for c in n.iter() for _, target in _references(c)}

    for key, n in ids.items():
        inside[key] = refs_in(n)

    def reachable(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            k = todo.pop()
            if k in seen or k not in ids:
                continue
            seen.add(k)
            todo.extend(inside.get(k, ()))
        return seen

    dropped = 0

    def walk(n: Node, holders: tuple[str, ...]) -> None:
        nonlocal dropped
        here = holders + ((n.attrs["id"],) if "id" in n.attrs else ())
        for name, target in _references(n):
            if name == "href" or target not in ids:
                continue
            if set(here) & reachable(target):
                n.attrs[name] = "none" if name in ("fill", "stroke") else ""
                if not n.attrs[name]:
                    del n.attrs[name]
                dropped += 1
                for key in here:  # the subtrees changed
                    inside[key] = refs_in(ids[key])
        for c in n.children:
            walk(c, here)

    walk(root, ())
    if dropped:
        notes.append(f"dropped {dropped} reference(s) that lead back into their own element")


def _prune(root: Node, drop) -> int:
    count = 0
    for node in root.iter():
        keep = [c for c in node.children if not drop(c)]
        count += len(node.children) - len(keep)
        node.children = keep
    return count


def _normalize_root(root: Node, scorer_inserts_viewbox: bool) -> None:
    """Give the root a viewBox, the scorer's 384 px size and an opaque background.

    The new viewBox is the region the scorer would show: its own inserted `0 0 384 384` when the
    text has no viewBox at all, fitted into the root's width x height as preserveAspectRatio
    says, then stretched to a square as the scorer's resize does.
    """
    a = root.attrs
    vb = parse_numbers(a.get("viewBox", ""))
    w, h = number(a.get("width")), number(a.get("height"))
    w = w if w and w > 0 else None
    h = h if h and h > 0 else None
    if len(vb) != 4 or vb[2] <= 0 or vb[3] <= 0:
        if scorer_inserts_viewbox or not (w and h):
            vb = [0.0, 0.0, float(CANVAS), float(CANVAS)]
        else:  # another element's viewBox stops the insertion: user units are pixels
            vb = [0.0, 0.0, w, h]
    x, y, vw, vh = _visible_region(vb, w or vb[2], h or vb[3], a.get("preserveAspectRatio", ""))
    root.attrs = {"xmlns": "http://www.w3.org/2000/svg"}
    root.attrs["viewBox"] = " ".join(f"{v:.6g}" for v in (x, y, vw, vh))
    if [x, y, vw, vh] != [0, 0, CANVAS, CANVAS]:
        root.attrs["width"] = str(CANVAS)
        root.attrs["height"] = str(CANVAS)
        if abs(vw / vh - 1) > 1e-6:
            root.attrs["preserveAspectRatio"] = "none"  # the scorer stretches to a square
    for k, v in a.items():  # presentation attributes the whole drawing inherits
        if k not in ("viewBox", "width", "height", "preserveAspectRatio", "xmlns"):
            root.attrs[k] = v
    if not _has_background(root, x, y, vw, vh):
        bg = {"x": f"{x:.6g}", "y": f"{y:.6g}", "width": f"{vw:.6g}", "height": f"{vh:.6g}", "fill": "#fff"}
        root.children.insert(0, Node("rect", bg))


def _visible_region(vb: list[float], width: float, height: float, par: str) -> list[float]:
    """The user-space rectangle a width x height viewport shows of viewBox `vb`."""
    x, y, vw, vh = vb
    words = par.split()
    align = words[0] if words else "xMidYMid"
    if align == "none":
        return [x, y, vw, vh]
    scale = (max if "slice" in words else min)(width / vw, height / vh)
    rw, rh = width / scale, height / scale
    fx = 0.0 if "xMin" in align else 1.0 if "xMax" in align else 0.5
    fy = 0.0 if "YMin" in align else 1.0 if "YMax" in align else 0.5
    return [x + (vw - rw) * fx, y + (vh - rh) * fy, rw, rh]


def _has_background(root: Node, x: float, y: float, w: float, h: float) -> bool:
    first = next((c for c in root.children if c.tag not in ("defs",)), None)
    if first is None or first.tag != "rect":
        return False
    a = first.attrs
    rx, ry = number(a.get("x", "0")), number(a.get("y", "0"))
    rw, rh = number(a.get("width")), number(a.get("height"))
    if a.get("width", "").strip() == "100%" and a.get("height", "").strip() == "100%":
        rx, ry, rw, rh = x, y, w, h
    if None in (rx, ry, rw, rh) or "transform" in a:
        return False
    fill = a.get("fill", "#000").strip().lower()
    opaque = all(number(a.get(k, "1")) in (None, 1.0) for k in ("opacity", "fill-opacity"))
    return (
        rx <= x and ry <= y and rx + rw >= x + w and ry + rh >= y + h and fill not in ("none", "transparent") and opaque
    )


def _min_precision(root: Node) -> int:
    """Fewest decimals for which one rounding step is at most one rendered pixel."""
    vb = parse_numbers(root.attrs.get("viewBox", ""))
    span = max(vb[2], vb[3]) if len(vb) == 4 else CANVAS
    return max(0, min(4, math.ceil(math.log10(CANVAS / span) - 1e-9)))


def fit_budget(root: Node, max_bytes: int) -> tuple[str, int, int]:
    """Serialise at the highest precision that fits; prune the smallest shapes if none does.

    Returns:
        (svg text, decimals used, number of shapes pruned)
    """
    low = _min_precision(root)
    svg = ""
    for precision in (low + 2, low + 1, low):
        svg = serialize(root, precision)
        size = len(svg.encode())
        if size <= max_bytes:
            return svg, precision, 0
        if size > 1.6 * max_bytes and precision > low:
            # Fewer decimals save well under 40 %: go straight to the coarsest.
            precision = low
            svg = serialize(root, precision)
            if len(svg.encode()) <= max_bytes:
                return svg, precision, 0
            break
    precision = low
    background = root.children[0] if root.children else None
    leaves = [n for n in root.iter() if n.tag in DRAWABLE and n is not background]
    leaves.sort(key=bbox_area)
    # The attributes' source text: at least what removing the leaf saves once compacted.
    sizes = [len(n.tag) + 4 + sum(len(k) + len(v) + 4 for k, v in n.attrs.items()) for n in leaves]
    excess = len(svg.encode()) - max_bytes
    saved, lo = 0, 0
    for k, size in enumerate(sizes):
        # Each leaf's own text overstates what removing it saves, so fewer than this never fit.
        if saved + size >= excess:
            lo = k
            break
        saved += size
    else:
        lo = len(leaves)

    def without(k: int) -> tuple[Node, str]:
        gone = {id(n) for n in leaves[:k]}
        tree = _copy_without(root, gone)
        ids = {n.attrs["id"] for n in tree.iter() if "id" in n.attrs}
        _prune(tree, lambda n: n.tag == "use" and n.attrs.get("href", "#")[1:] not in ids)
        return tree, serialize(tree, precision)

    hi = len(leaves)
    best = without(hi)
    while lo < hi:  # the fewest smallest shapes whose removal makes the text fit
        mid = (lo + hi) // 2
        cand = without(mid)
        if len(cand[1].encode()) <= max_bytes:
            hi, best = mid, cand
        else:
            lo = mid + 1
    tree, svg = best
    root.children = tree.children
    return svg, precision, hi


def _copy_without(node: Node, gone: set[int]) -> Node:
    return Node(node.tag, node.attrs, [_copy_without(c, gone) for c in node.children if id(c) not in gone])
