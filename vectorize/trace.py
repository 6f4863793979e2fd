"""Image -> SVG under a byte budget: k-means colours, stacked contours, the best candidate kept.

    svg-agent vectorize IMAGE -o OUT.svg [--max-bytes 10000] [--colors K]

1. Quantise: the image is resized to the scorer's square (WORK_SIDE x WORK_SIDE, stretched as
   the scorer stretches it) and its colours clustered by k-means (scikit-learn) in CIELAB. Each
   colour is filled with the per-channel *median* of its pixels: anti-aliased edge pixels and
   stray highlights do not pull it off the colour a person sees (a near-black background stays
   near black, which SSIM's luminance term weighs heavily).
2. Trace: stacked shapes. Colours are drawn back to front by area, the largest as a background
   rectangle; each later colour's shape covers its own pixels, the regions that only later
   colours fill (no holes needed there) and a one-cell fringe into its later neighbours (holes by
   the even-odd rule), so layers overlap at their edges instead of leaving a seam, and no
   layer reaches far under another.
   Contours come from OpenCV on the work grid or on a grid `upscale` times finer (closer to the
   pixel edges, dearer in bytes), are simplified by Douglas-Peucker with tolerance `epsilon`,
   and specks under `min_area` are dropped. Coordinates are integers on that grid, offset by half
   a cell (`viewBox="-.5 -.5 ..."`), so a contour through pixel centres lands on the pixels it
   traces; path data is relative with h/v segments and no redundant letters or spaces.
3. Fit the budget: for each candidate (colours x grid), the smallest tolerance whose SVG fits
   `max_bytes` (a search on the byte count, which is computed exactly without building the text).
4. Keep the best: each fitted candidate is rasterised with OpenCV (anti-aliased, even-odd) and
   compared with the source by colour SSIM (both at half size, which ranks candidates as the
   full size does, mostly, at a quarter of the cost; the best RERANK are compared again at full
   size); the colour counts are searched coarse to fine.
   The winner's SVG is built once and validated; the output always fits and validates.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from svg_agent.compact import shortest_color
from svg_agent.constraints import MAX_SVG_BYTES, validate
from svg_agent.errors import InputError

WORK_SIDE = 384  # the scorer's canvas: one work-grid cell per rendered pixel
COLOR_STEPS = (2, 3, 4, 6, 8, 12, 16, 24, 32)  # colour counts the search may try
FIRST_COLORS = (6, 16)  # coarse pass; then the neighbours of the best
EPS_RANGE = (0.35, 24.0)  # Douglas-Peucker tolerance, in work-grid cells
RERANK = 2  # candidates compared again at full size
EDGE_WEIGHT = 0.2  # k-means weight of a pixel on an edge, against 1 inside a flat area
INTERIOR_SPREAD = 24  # a pixel is inside a flat area when its 3 x 3 neighbourhood spans at most this per channel


@dataclass(frozen=True)
class TraceSettings:
    colors: int
    epsilon: float  # Douglas-Peucker tolerance in work-grid cells
    min_area: float  # shapes smaller than this (work-grid cells) are dropped
    upscale: int = 1  # contours on a grid this many times finer than the work grid


@dataclass
class VectorizeResult:
    """The SVG and how it was made."""

    svg: str
    bytes: int
    settings: TraceSettings
    paths: int
    tried: int  # candidates fitted to the budget and compared
    score: float | None = None  # colour SSIM of the candidate's raster against the source (selection proxy)


def _as_rgb(image) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise InputError(f"expected an H x W x 3 image, got shape {arr.shape}")
    if arr.shape[2] == 4:  # composite transparency on white, as a viewer would show it
        alpha = arr[:, :, 3:4].astype(np.float32) / 255.0
        arr = (arr[:, :, :3] * alpha + 255 * (1 - alpha)).round()
    if arr.dtype != np.uint8:
        arr = np.clip(arr * (255 if arr.max() <= 1.0 else 1), 0, 255)
    return np.ascontiguousarray(arr.astype(np.uint8))


def work_image(image, side: int = WORK_SIDE) -> np.ndarray:
    """The image as the scorer sees it: RGB, stretched to side x side."""
    rgb = _as_rgb(image)
    interp = cv2.INTER_AREA if max(rgb.shape[:2]) >= side else cv2.INTER_CUBIC
    return cv2.resize(rgb, (side, side), interpolation=interp)


class WorkImage:
    """A work image and what every quantisation of it shares (CIELAB pixels, the k-means sample)."""

    def __init__(self, image):
        self.rgb = work_image(image)
        self.flat = self.rgb.reshape(-1, 3)
        self.lab = cv2.cvtColor(self.rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab).reshape(-1, 3)
        f = self.flat[:: max(1, len(self.flat) // 50000)].astype(np.int32)
        self.distinct = len(np.unique((f[:, 0] << 16) | (f[:, 1] << 8) | f[:, 2]))
        # Fit mostly on the pixels inside flat areas: edge pixels blend two colours, and
        # clusters of blends would draw slivers along every edge. Edge pixels keep a small
        # weight, so small details that are all edge (stars, specks, thin lines) still get a
        # colour. All pixels are then labelled by the nearest centre.
        ksz = np.ones((3, 3), np.uint8)
        spread = (cv2.dilate(self.rgb, ksz) - cv2.erode(self.rgb, ksz)).max(axis=2).ravel()
        calm = spread <= max(INTERIOR_SPREAD, np.percentile(spread, 30))
        self.sample = np.arange(0, len(spread), max(1, len(spread) // 8000))
        self.weight = np.where(calm[self.sample], 1.0, EDGE_WEIGHT)


def quantize(work: WorkImage | np.ndarray, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """k-means colours (CIELAB) of a work image (a WorkImage, or any image, made one).

    Returns:
        (labels h x w uint8, palette k' x 3 uint8 RGB): k' <= k, the per-channel median of each
        cluster's pixels; empty clusters are dropped.
    """
    from sklearn.cluster import KMeans

    if not isinstance(work, WorkImage):
        work = WorkImage(work)
    k = max(1, min(k, work.distinct))
    km = KMeans(n_clusters=k, n_init=1, random_state=seed, max_iter=50).fit(
        work.lab[work.sample], sample_weight=work.weight
    )
    labels = km.predict(work.lab)
    used = np.unique(labels)
    remap = np.zeros(k, np.int64)
    remap[used] = np.arange(len(used))
    labels = remap[labels]
    # Medians over every third pixel: the same colours, a third of the sorting.
    sub, fsub = labels[::3], work.flat[::3]
    palette = np.array(
        [
            np.median(fsub[sub == j], axis=0) if (sub == j).any() else np.median(work.flat[labels == j], axis=0)
            for j in range(len(used))
        ]
    )
    return labels.reshape(work.rgb.shape[:2]).astype(np.uint8), palette.round().astype(np.uint8)


def _hex(rgb) -> str:
    return shortest_color("#%02x%02x%02x" % tuple(int(v) for v in rgb))


# ---------------------------------------------------------------------------------------------
# Layers, path text and its exact length
# ---------------------------------------------------------------------------------------------


def stack_order(labels: np.ndarray, n_colors: int) -> list[int]:
    """Colours back to front: by area, largest first."""
    counts = np.bincount(labels.ravel(), minlength=n_colors)
    return [int(k) for k in np.argsort(-counts, kind="stable") if counts[k] > 0]


def shape_masks(labels: np.ndarray, order: list[int]) -> list[np.ndarray]:
    """For each colour after the first (in stacking order), where its shape paints: its own
    pixels, every region of other pixels that only later colours fill (they paint over it, and
    the shape needs no hole there), and a one-cell fringe into later colours' pixels (their
    shapes, traced through boundary pixel centres, stop half a cell short of the edge; the
    fringe fills that half cell)."""
    rank = np.zeros(max(order) + 1, np.uint8)
    rank[order] = np.arange(len(order))
    ranked = rank[labels]
    ksz = np.ones((3, 3), np.uint8)
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    h, w = ranked.shape
    masks = []
    for i in range(1, len(order)):
        mask = (ranked == i).astype(np.uint8)
        ys, xs = np.nonzero(ranked > i)
        if len(ys):
            # A region that only later colours fill is a 4-connected piece of the later pixels
            # with no earlier pixel beside it; all of it, and the fringe, lies in the later
            # pixels' box (one cell of margin), which is small for most colours.
            y0, y1, x0, x1 = max(0, ys.min() - 1), min(h, ys.max() + 2), max(0, xs.min() - 1), min(w, xs.max() + 2)
            box = ranked[y0:y1, x0:x1]
            later = (box > i).astype(np.uint8)
            n, comp = cv2.connectedComponents(later, connectivity=4)
            touches = np.zeros(n, bool)
            touches[comp[(cv2.dilate((box < i).astype(np.uint8), cross) > 0) & (later > 0)]] = True
            fill = (later > 0) & ~touches[comp]
            fringe = (later > 0) & (cv2.dilate((box == i).astype(np.uint8), ksz) > 0)
            mask[y0:y1, x0:x1] |= (fill | fringe).astype(np.uint8)
        masks.append(mask)
    return masks


class Layers:
    """The stacked contours of one quantisation on one grid (computed once, simplified many times)."""

    def __init__(
        self,
        labels: np.ndarray,
        palette: np.ndarray,
        upscale: int = 1,
        masks: tuple[list[int], list[np.ndarray]] | None = None,
    ):
        self.palette = palette
        self.upscale = upscale
        h, w = labels.shape
        self.side = (w * upscale, h * upscale)
        self.order = masks[0] if masks else stack_order(labels, len(palette))
        masks_ = masks[1] if masks else shape_masks(labels, self.order)
        self.layers: list[tuple[int, list[np.ndarray], np.ndarray]] = []  # (colour, contours, areas)
        for k, mask in zip(self.order[1:], masks_):
            if upscale > 1:
                mask = cv2.resize(mask, self.side, interpolation=cv2.INTER_NEAREST)
            contours, _ = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
            areas = np.array([abs(cv2.contourArea(c)) for c in contours]) / (upscale * upscale)
            big = np.argsort(-areas, kind="stable")  # largest first: a size cut is a prefix
            self.layers.append((k, [contours[j] for j in big], areas[big]))

    def simplify(self, epsilon: float, min_area: float) -> list[tuple[int, list[np.ndarray]]]:
        out = []
        tol = epsilon * self.upscale
        for k, contours, areas in self.layers:
            polys = []
            for c in contours[: int(np.searchsorted(-areas, -min_area, side="right"))]:
                p = cv2.approxPolyDP(c, tol, True).reshape(-1, 2)
                if len(p) >= 3:
                    polys.append(p)
            if polys:
                out.append((k, polys))
        return out


def _segments(p: np.ndarray):
    """(command codes, dx, dy) of a closed polygon's edges after its first point (the last edge is `z`)."""
    d = np.diff(p, axis=0)
    d = d[(d[:, 0] != 0) | (d[:, 1] != 0)]
    cmd = np.where(d[:, 1] == 0, 0, np.where(d[:, 0] == 0, 1, 2))  # h, v, l
    return cmd, d[:, 0], d[:, 1]


def _ndigits(v: np.ndarray) -> np.ndarray:
    a = np.abs(v)
    return 1 + (a >= 10) + (a >= 100) + (a >= 1000) + (v < 0)


def path_length(polys: list[np.ndarray]) -> int:
    """len(path_data(polys)), computed for all polygons at once without building the text."""
    if not polys:
        return 0
    pts = np.concatenate(polys).astype(np.int64)
    sizes = np.array([len(p) for p in polys])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    heads = pts[starts]
    total = int((_ndigits(heads[:, 0]) + _ndigits(heads[:, 1])).sum()) + 3 * len(polys)  # M x y ... z
    d = np.diff(pts, axis=0)
    within = np.ones(len(d), bool)
    within[starts[1:] - 1] = False  # the step from one polygon's last point to the next one's first
    keep = within & ((d[:, 0] != 0) | (d[:, 1] != 0))
    poly_of = np.repeat(np.arange(len(polys)), sizes)[:-1]
    d, poly_of = d[keep], poly_of[keep]
    if not len(d):
        return total
    dx, dy = d[:, 0], d[:, 1]
    cmd = np.where(dy == 0, 0, np.where(dx == 0, 1, 2))
    first = np.where(cmd == 1, dy, dx)
    letter = np.ones(len(cmd), bool)
    letter[1:] = (cmd[1:] != cmd[:-1]) | (poly_of[1:] != poly_of[:-1])
    body = _ndigits(first) + np.where(cmd == 2, _ndigits(dy) + (dy >= 0), 0)
    sep = ~letter & (first >= 0)
    return total + int(body.sum() + letter.sum() + sep.sum())


def path_data(polys: list[np.ndarray]) -> str:
    """Absolute M for each polygon, then relative h/v/l edges with no redundant letters, then z."""
    out = []
    for p in polys:
        out.append(f"M{int(p[0, 0])} {int(p[0, 1])}")
        cmd, dx, dy = _segments(p)
        prev = -1
        for c, x, y in zip(cmd.tolist(), dx.tolist(), dy.tolist()):
            if c == 0:
                body = str(x)
            elif c == 1:
                body = str(y)
            else:
                body = f"{x} {y}" if y >= 0 else f"{x}{y}"
            if c != prev:
                out.append("hvl"[c] + body)
                prev = c
            else:
                out.append(body if body[0] == "-" else " " + body)
        out.append("z")
    return "".join(out)


def _head(side: tuple[int, int], background: str) -> str:
    w, h = side
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="-.5 -.5 {w} {h}" width="384" height="384" '
        f'fill-rule="evenodd"><rect x="-1" y="-1" width="{w + 2}" height="{h + 2}" fill="{background}"/>'
    )


def svg_length(layers: Layers, shapes) -> int:
    n = len(_head(layers.side, _hex(layers.palette[layers.order[0]]))) + len("</svg>")
    n += sum(len('<path fill="" d=""/>') + len(_hex(layers.palette[k])) for k, _ in shapes)
    # Each polygon's text stands alone (it starts with M), so one pass counts every path.
    return n + path_length([p for _, polys in shapes for p in polys])


def build_svg(layers: Layers, shapes) -> str:
    parts = [_head(layers.side, _hex(layers.palette[layers.order[0]]))]
    for k, polys in shapes:
        parts.append(f'<path fill="{_hex(layers.palette[k])}" d="{path_data(polys)}"/>')
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# Rasterising a candidate and comparing it with the source (the selection proxy)
# ---------------------------------------------------------------------------------------------

_SHIFT = 4  # fractional bits of cv2.fillPoly coordinates


def raster(layers: Layers, shapes, side: int = WORK_SIDE, supersample: int = 4) -> np.ndarray:
    """The candidate drawn by OpenCV as the SVG draws it: even-odd, back to front, filled at
    `supersample` times the size and averaged down (OpenCV's own anti-aliasing and its
    one-size fills both disagree with cairo's exact coverage along every edge; 4 x 4 samples a
    pixel agree with cairosvg's render at 0.98 colour SSIM on a photo's trace)."""
    big = side * supersample
    img = np.empty((big, big, 3), np.uint8)
    img[:] = layers.palette[layers.order[0]]
    # SVG coordinate c lands at canvas position (c + 0.5) * big / grid (the half-cell viewBox
    # offset); OpenCV puts pixel centres on integers, half a pixel before the canvas' own centres.
    scale = big / layers.side[0]
    one = 1 << _SHIFT
    for k, polys in shapes:
        pts = [np.round(((p.astype(np.float64) + 0.5) * scale - 0.5) * one).astype(np.int32) for p in polys]
        cv2.fillPoly(img, pts, tuple(int(v) for v in layers.palette[k]), lineType=cv2.LINE_8, shift=_SHIFT)
    return cv2.resize(img, (side, side), interpolation=cv2.INTER_AREA) if supersample > 1 else img


def _half(img: np.ndarray) -> np.ndarray:
    return cv2.resize(img, (img.shape[1] // 2, img.shape[0] // 2), interpolation=cv2.INTER_AREA)


def ssim_color(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM over RGB with a 7 x 7 uniform window (skimage's defaults), in float32 with OpenCV."""
    x, y = a.astype(np.float32), b.astype(np.float32)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    blur = lambda z: cv2.blur(z, (7, 7), borderType=cv2.BORDER_REFLECT)  # noqa: E731
    mx, my = blur(x), blur(y)
    n = 49 / 48
    vx, vy, cxy = (blur(x * x) - mx * mx) * n, (blur(y * y) - my * my) * n, (blur(x * y) - mx * my) * n
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(s[3:-3, 3:-3].mean())


# ---------------------------------------------------------------------------------------------
# The budget search
# ---------------------------------------------------------------------------------------------


def _min_area(epsilon: float) -> float:
    return max(1.0, 2.0 * epsilon)


def fit_budget(layers: Layers, max_bytes: int, iters: int = 6, close: float = 0.98):
    """(epsilon, shapes) for about the smallest tolerance in EPS_RANGE whose SVG fits, or None.

    The byte count falls roughly as a power of the tolerance, so the search interpolates in
    log-log between the tightest tolerance known too long and the loosest known to fit, and
    stops once a fitting SVG uses `close` of the budget.
    """

    def size(eps):
        shapes = layers.simplify(eps, _min_area(eps))
        return svg_length(layers, shapes), shapes

    lo, hi = EPS_RANGE
    n_lo, shapes = size(lo)
    if n_lo <= max_bytes:
        return lo, shapes
    n_hi, shapes = size(hi)
    if n_hi > max_bytes:
        return None
    best = (hi, shapes)
    for _ in range(iters):
        if n_hi >= close * max_bytes:
            break
        t = (
            (np.log(max_bytes * (1 + close) / 2) - np.log(n_lo)) / (np.log(n_hi) - np.log(n_lo))
            if n_hi != n_lo
            else 0.5
        )
        t = min(0.9, max(0.1, float(t)))  # keep clear of the ends, as bisection would
        mid = float(np.exp(np.log(lo) + t * (np.log(hi) - np.log(lo))))
        n, shapes = size(mid)
        if n <= max_bytes:
            best, hi, n_hi = (mid, shapes), mid, n
        else:
            lo, n_lo = mid, n
    return best


def vectorize_image(
    image, max_bytes: int = MAX_SVG_BYTES, colors: int | None = None, seed: int = 0, upscales: tuple[int, ...] = (1, 2)
) -> VectorizeResult:
    """The best traced SVG of `image` that fits `max_bytes`.

    Args:
        image: H x W x 3 (or 4, or 2-D gray) array or PIL image.
        max_bytes: the byte budget (10,000 in the competition).
        colors: fix the number of colours instead of searching it.
        seed: k-means seed.
        upscales: contour grids to try for the best colour count (1: the work grid; 2: half cells).

    Returns:
        VectorizeResult whose `svg` always validates and fits the budget.
    """
    if max_bytes < 200:
        raise InputError("max_bytes must be at least 200")
    work = WorkImage(image)
    small_half = _half(work.rgb)
    quant: dict[int, tuple] = {}  # colours -> (labels, palette, (order, masks))
    results: dict[tuple[int, int], tuple] = {}

    def candidate(k: int, up: int):
        if (k, up) in results:
            return results[(k, up)]
        if k not in quant:
            labels, palette = quantize(work, k, seed)
            order = stack_order(labels, len(palette))
            quant[k] = (labels, palette, (order, shape_masks(labels, order)))
        layers = Layers(quant[k][0], quant[k][1], upscale=up, masks=quant[k][2])
        fitted = fit_budget(layers, max_bytes)
        if fitted is None:
            results[(k, up)] = None
            return None
        eps, shapes = fitted
        score = ssim_color(raster(layers, shapes, WORK_SIDE // 2), small_half)
        results[(k, up)] = (score, k, up, eps, layers, shapes)
        return results[(k, up)]

    def best():
        done = [r for r in results.values() if r is not None]
        return max(done, key=lambda r: r[0]) if done else None

    if colors is not None:
        for up in upscales:
            candidate(colors, up)
    else:
        for k in FIRST_COLORS:
            candidate(k, upscales[0])
        for _ in range(3):  # walk to the better neighbour while it improves
            b = best()
            if b is None:
                break
            i = COLOR_STEPS.index(b[1]) if b[1] in COLOR_STEPS else 0
            for j in (i - 1, i + 1):
                if 0 <= j < len(COLOR_STEPS):
                    candidate(COLOR_STEPS[j], upscales[0])
            if best() is b:
                break
        b = best()
        if b is not None:
            for up in upscales[1:]:
                candidate(b[1], up)
    # The few best by the half-size proxy, ranked again at full size.
    done = sorted((r for r in results.values() if r is not None), key=lambda r: -r[0])[:RERANK]
    for j, r in enumerate(done):
        done[j] = (ssim_color(raster(r[4], r[5]), work.rgb),) + r[1:]
    b = max(done, key=lambda r: r[0]) if done else None
    tried = len(results)
    if b is not None:
        score, k, up, eps, layers, shapes = b
        svg = build_svg(layers, shapes)
        if len(svg.encode()) <= max_bytes and validate(svg, max_bytes=max_bytes).valid:
            return VectorizeResult(
                svg,
                len(svg.encode()),
                TraceSettings(k, round(eps, 3), round(_min_area(eps), 3), up),
                sum(1 for _ in shapes),
                tried,
                round(score, 4),
            )
    # Even the coarsest trace is too long: keep only the largest shapes that fit.
    from svg_agent.sanitize import sanitize

    k = colors or 2
    labels, palette = quant[k][:2] if k in quant else quantize(work, k, seed)
    layers = Layers(labels, palette)
    eps = EPS_RANGE[1]
    s = sanitize(build_svg(layers, layers.simplify(eps, _min_area(eps))), max_bytes=max_bytes)
    return VectorizeResult(s.svg, s.bytes, TraceSettings(k, eps, _min_area(eps)), s.drawn_elements, tried + 1)
