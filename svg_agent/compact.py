"""Shortest-text forms of SVG values: numbers, path data, point lists, transforms, colours.

Every function here is pure and total: malformed input yields the well-formed prefix (as SVG
renderers do for path data) or None, never an exception.
"""

from __future__ import annotations

import math
import re

NUMBER_RE = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_PATH_TOKEN_RE = re.compile(r"([MmZzLlHhVvCcSsQqTtAa])|([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|([\s,]+)|(.)")
_ARITY = {"M": 2, "L": 2, "H": 1, "V": 1, "C": 6, "S": 4, "Q": 4, "T": 2, "A": 7, "Z": 0}
# Coordinates beyond this are clamped: cairo's 24.8 fixed point ends near 8.4 million.
COORD_LIMIT = 1_000_000.0


def fmt(x: float, precision: int) -> str:
    """Format a number in its shortest SVG form at `precision` decimals ('0.50' -> '.5')."""
    if not math.isfinite(x):
        x = 0.0
    x = max(-COORD_LIMIT, min(COORD_LIMIT, x))
    s = f"{round(x, precision):.{max(precision, 0)}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s.startswith("0.") and len(s) > 2:
        s = s[1:]
    elif s.startswith("-0.") and len(s) > 3:
        s = "-" + s[2:]
    if s in ("-0", "", "-"):
        s = "0"
    return s


def join_numbers(parts: list[str]) -> str:
    """Join formatted numbers with the fewest separators ('1 -2' -> '1-2', '.5 .5' -> '.5.5')."""
    out: list[str] = []
    prev = ""
    for p in parts:
        if out and not (p.startswith("-") or (p.startswith(".") and "." in prev)):
            out.append(" ")
        out.append(p)
        prev = p
    return "".join(out)


def parse_numbers(text: str) -> list[float]:
    """All numbers in a list such as `points` or `viewBox`."""
    vals = []
    for m in NUMBER_RE.finditer(text or ""):
        try:
            v = float(m.group())
        except ValueError:
            continue
        if math.isfinite(v):
            vals.append(v)
    return vals


def parse_path(d: str) -> list[tuple[str, list[float]]]:
    """Parse path data into absolute segments (M, L, C, S, Q, T, A, Z), stopping at the first error.

    H/V become L and relative becomes absolute; S and T keep their implicit control points.
    """
    tokens = []
    for m in _PATH_TOKEN_RE.finditer(d or ""):
        if m.group(1):
            tokens.append(m.group(1))
        elif m.group(2):
            tokens.append(m.group(2))
        elif m.group(4):
            break  # junk: the renderer stops here too
    segs: list[tuple[str, list[float]]] = []
    i, n = 0, len(tokens)
    cx = cy = sx = sy = 0.0
    last_ctrl: tuple[str, float, float] | None = None
    cmd = None
    while i < n:
        tok = tokens[i]
        if tok[0].isalpha():
            if not segs and tok not in "Mm":
                break  # path data must open with a move-to, or nothing is drawn
            cmd = tok
            i += 1
            if cmd in "Zz":
                if segs:
                    segs.append(("Z", []))
                cx, cy = sx, sy
                last_ctrl = None
                continue
        elif cmd is None or cmd in "Zz":
            break
        up = cmd.upper()
        k = _ARITY[up]
        args: list[float] = []
        j = i
        while len(args) < k and j < n and not tokens[j][0].isalpha():
            tok = tokens[j]
            if up == "A" and len(args) in (3, 4):
                # Arc flags may be written without separators: '011' is 0, 1, 1...
                if tok[0] in "01" and tok not in ("0", "1"):
                    args.append(float(tok[0]))
                    rest = tok[1:]
                    tokens[j] = rest
                    continue
                if tok not in ("0", "1"):
                    return segs
            try:
                args.append(float(tok))
            except ValueError:
                return segs
            j += 1
        if len(args) < k:
            return segs
        i = j
        if not all(math.isfinite(a) for a in args):
            return segs
        rel = cmd.islower()
        ox, oy = (cx, cy) if rel else (0.0, 0.0)
        if up == "M":
            cx, cy = args[0] + ox, args[1] + oy
            sx, sy = cx, cy
            segs.append(("M", [cx, cy]))
            cmd = "l" if rel else "L"  # further pairs are implicit line-tos
            last_ctrl = None
        elif up in "LHV":
            if up == "H":
                x, y = args[0] + ox, cy
            elif up == "V":
                x, y = cx, args[0] + (cy if rel else 0.0)
            else:
                x, y = args[0] + ox, args[1] + oy
            segs.append(("L", [x, y]))
            cx, cy = x, y
            last_ctrl = None
        elif up == "C":
            p = [args[0] + ox, args[1] + oy, args[2] + ox, args[3] + oy, args[4] + ox, args[5] + oy]
            segs.append(("C", p))
            last_ctrl = ("C", p[2], p[3])
            cx, cy = p[4], p[5]
        elif up == "S":
            # Kept as S: cairosvg sizes gradients by the points as written, so spelling out the
            # reflected control point would move a gradient.
            p = [args[0] + ox, args[1] + oy, args[2] + ox, args[3] + oy]
            segs.append(("S", p))
            last_ctrl = ("C", p[0], p[1])
            cx, cy = p[2], p[3]
        elif up == "Q":
            p = [args[0] + ox, args[1] + oy, args[2] + ox, args[3] + oy]
            segs.append(("Q", p))
            last_ctrl = ("Q", p[0], p[1])
            cx, cy = p[2], p[3]
        elif up == "T":
            x1, y1 = (2 * cx - last_ctrl[1], 2 * cy - last_ctrl[2]) if last_ctrl and last_ctrl[0] == "Q" else (cx, cy)
            p = [args[0] + ox, args[1] + oy]
            segs.append(("T", p))
            last_ctrl = ("Q", x1, y1)
            cx, cy = p[0], p[1]
        elif up == "A":
            p = [
                abs(args[0]),
                abs(args[1]),
                args[2],
                1.0 if args[3] else 0.0,
                1.0 if args[4] else 0.0,
                args[5] + ox,
                args[6] + oy,
            ]
            segs.append(("A", p))
            cx, cy = p[5], p[6]
            last_ctrl = None
    return segs


def path_points(segs: list[tuple[str, list[float]]]) -> list[tuple[float, float]]:
    """End and control points of parsed segments (for bounding boxes)."""
    pts = []
    for c, a in segs:
        if c == "A":
            pts.append((a[5], a[6]))
        else:
            pts.extend(zip(a[0::2], a[1::2]))
    return pts


def format_path(segs: list[tuple[str, list[float]]], precision: int) -> str:
    """Write absolute segments in the shortest mix of absolute and relative commands."""
    out: list[str] = []
    prev_letter = last_num = ""
    cx = cy = sx = sy = 0.0

    def r(v: float) -> float:
        return float(fmt(v, precision))

    for c, a in segs:
        if c == "Z":
            if prev_letter != "z":
                out.append("z")
                prev_letter, last_num = "z", ""
            cx, cy = sx, sy
            continue
        if c == "A":
            ex, ey = r(a[5]), r(a[6])
            head = [fmt(a[0], precision), fmt(a[1], precision), fmt(a[2], 1), str(int(a[3])), str(int(a[4]))]
            cand_abs = ("A", head + [fmt(ex, precision), fmt(ey, precision)])
            cand_rel = ("a", head + [fmt(ex - cx, precision), fmt(ey - cy, precision)])
        else:
            absv = [r(v) for v in a]
            relv = [v - (cx if k % 2 == 0 else cy) for k, v in enumerate(absv)]
            ex, ey = absv[-2], absv[-1]
            if c == "L" and ey == cy and ex != cx:
                cand_abs, cand_rel = ("H", [fmt(ex, precision)]), ("h", [fmt(ex - cx, precision)])
            elif c == "L" and ex == cx:
                cand_abs, cand_rel = ("V", [fmt(ey, precision)]), ("v", [fmt(ey - cy, precision)])
            else:
                cand_abs = (c, [fmt(v, precision) for v in absv])
                cand_rel = (c.lower(), [fmt(v, precision) for v in relv])
        best = None
        for letter, nums in (cand_rel, cand_abs):
            body = join_numbers(nums)
            if letter == prev_letter:
                # Same command again: its letter may be left out.
                joined = body.startswith("-") or (body.startswith(".") and "." in last_num)
                text = body if joined else " " + body
            else:
                text = letter + body
            if best is None or len(text) < len(best[1]):
                best = (letter, text, nums[-1])
        out.append(best[1])
        last_num = best[2]
        # Relative coordinates are differences of rounded absolutes, so no error accumulates.
        cx, cy = ex, ey
        prev_letter = best[0]
        if c == "M":
            sx, sy = cx, cy
            prev_letter = ""  # a repeated M would mean line-to: always write the next letter
    return "".join(out).strip()


def format_numbers(text: str, precision: int, *, pairs: bool = False, spaced: bool = False) -> str | None:
    """Reformat a number list (`points`, `viewBox`, `stroke-dasharray`).

    `spaced` separates every number by a space: cairosvg splits viewBox and dash lists on
    whitespace only, so '0-5' would not parse there.
    """
    vals = parse_numbers(text)
    if pairs:
        vals = vals[: len(vals) // 2 * 2]
    if not vals:
        return None
    nums = [fmt(v, precision) for v in vals]
    return " ".join(nums) if spaced else join_numbers(nums)


_TRANSFORM_RE = re.compile(r"(matrix|translate|scale|rotate|skewX|skewY)\s*\(([^)]*)\)", re.I)


def format_transform(text: str, precision: int) -> str | None:
    """Reformat a transform list; scale-like values keep at least 3 decimals."""
    parts = []
    for m in _TRANSFORM_RE.finditer(text or ""):
        name, vals = m.group(1), parse_numbers(m.group(2))
        if not vals:
            continue
        lname = name.lower()
        if lname == "matrix":
            vals = (vals + [0.0] * 6)[:6]
            nums = [fmt(v, max(precision, 3)) for v in vals[:4]] + [fmt(v, precision) for v in vals[4:]]
        elif lname == "scale":
            nums = [fmt(v, max(precision, 3)) for v in vals[:2]]
        elif lname == "translate":
            nums = [fmt(v, precision) for v in vals[:2]]
        elif lname == "rotate":
            nums = [fmt(vals[0], max(precision, 1))] + [fmt(v, precision) for v in vals[1:3]]
        else:
            nums = [fmt(vals[0], max(precision, 1))]
        if lname == "translate" and all(float(v) == 0 for v in nums):
            continue
        parts.append(f"{name}({join_numbers(nums)})")
    return "".join(parts) if parts else ""


_HEX_RE = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_RGB_RE = re.compile(r"^rgb\(\s*([^,\s]+)[\s,]+([^,\s]+)[\s,]+([^,\s)]+)\s*\)$", re.I)
# Named colours shorter than their hex form; the renderer knows them all.
_SHORT_NAMES = {
    "#f00": "red",
    "#d2b48c": "tan",
    "#000080": "navy",
    "#808000": "olive",
    "#800000": "maroon",
    "#008080": "teal",
    "#808080": "gray",
    "#008000": "green",
    "#800080": "purple",
    "#ffc0cb": "pink",
    "#dda0dd": "plum",
    "#ffa500": "orange",
    "#a52a2a": "brown",
    "#fa8072": "salmon",
    "#fffafa": "snow",
    "#ff7f50": "coral",
    "#f5deb3": "wheat",
    "#ffd700": "gold",
    "#4b0082": "indigo",
    "#da70d6": "orchid",
    "#c0c0c0": "silver",
    "#ee82ee": "violet",
    "#cd853f": "peru",
    "#f0e68c": "khaki",
    "#f5f5dc": "beige",
    "#a0522d": "sienna",
    "#f0ffff": "azure",
    "#faf0e6": "linen",
    "#fffff0": "ivory",
}


def shortest_color(value: str) -> str:
    """'#ffffff' -> '#fff', 'rgb(255,0,0)' -> 'red'; anything else is returned unchanged."""
    v = value.strip()
    m = _RGB_RE.match(v)
    if m:
        chans = []
        for g in m.groups():
            try:
                x = float(g[:-1]) * 2.55 if g.endswith("%") else float(g)
            except ValueError:
                return v
            chans.append(int(max(0, min(255, round(x)))))
        v = "#%02x%02x%02x" % tuple(chans)
    if not _HEX_RE.match(v):
        return v
    v = v.lower()
    if len(v) == 7 and v[1] == v[2] and v[3] == v[4] and v[5] == v[6]:
        v = "#" + v[1] + v[3] + v[5]
    return _SHORT_NAMES.get(v, v)
