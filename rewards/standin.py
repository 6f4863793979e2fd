"""STAND-IN for the VQA faithfulness score: what can be checked in the image without a VQA model.

No VQA model runs on CPU-only machines, yet the offline training run needs a signal that pays for
drawing what the description says. This stand-in looks only at the *defended render* (never at the
SVG text, so words written into comments or ids earn nothing):

- colours the description names (a lexicon with dark/light/pale/bright modifiers), each counted
  present when enough pixels fall near it in CIELAB;
- simple shapes it names (circle, square, rectangle, triangle, star, line/stripe), found by contour
  analysis of the colour regions;
- for records with ground-truth questions, the colour and shape questions the image can answer;
- a graded drawing-quality term (not blank, not one flat colour, several regions), which
  multiplies the rest, so a blank canvas never scores well.

It is a stand-in, named as such everywhere (`standin_*` keys); it is not a VQA or CLIP score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import cv2
import numpy as np

# Base colours as sRGB; prototypes at other lightness levels are derived in CIELAB.
COLORS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 40),
    "crimson": (200, 20, 60),
    "scarlet": (240, 40, 20),
    "maroon": (128, 0, 0),
    "burgundy": (128, 0, 32),
    "ruby": (190, 15, 60),
    "orange": (250, 140, 20),
    "amber": (255, 190, 0),
    "coral": (255, 127, 80),
    "peach": (255, 200, 160),
    "salmon": (250, 128, 114),
    "yellow": (250, 220, 40),
    "gold": (230, 180, 30),
    "golden": (230, 180, 30),
    "ochre": (204, 119, 34),
    "green": (40, 160, 60),
    "emerald": (20, 160, 100),
    "lime": (150, 220, 40),
    "olive": (128, 128, 0),
    "mint": (160, 230, 190),
    "teal": (0, 128, 128),
    "turquoise": (64, 224, 208),
    "cyan": (0, 200, 220),
    "aqua": (0, 210, 230),
    "blue": (35, 105, 215),
    "azure": (0, 127, 255),
    "sapphire": (15, 82, 186),
    "navy": (0, 0, 128),
    "indigo": (75, 0, 130),
    "purple": (128, 40, 160),
    "violet": (140, 70, 200),
    "lavender": (180, 160, 230),
    "plum": (142, 69, 133),
    "magenta": (230, 0, 200),
    "pink": (250, 150, 190),
    "rose": (230, 90, 130),
    "brown": (130, 80, 40),
    "tan": (210, 180, 140),
    "beige": (230, 215, 180),
    "khaki": (195, 176, 145),
    "cream": (250, 240, 210),
    "ivory": (250, 248, 230),
    "silver": (192, 192, 192),
    "charcoal": (54, 69, 79),
}
ACHROMATIC = {"black": (0.0, 22.0), "white": (88.0, 100.0), "gray": (25.0, 86.0), "grey": (25.0, 86.0)}
DARK = {"dark", "deep", "dusky", "shadowy"}
LIGHT = {"light", "pale", "pastel", "soft", "faded"}
BRIGHT = {"bright", "vivid", "vibrant", "neon", "brilliant"}
SHAPES = {
    "circle": "circle",
    "circles": "circle",
    "circular": "circle",
    "dot": "circle",
    "dots": "circle",
    "ring": "circle",
    "rings": "circle",
    "sun": "circle",
    "moon": "circle",
    "oval": "circle",
    "ovals": "circle",
    "square": "square",
    "squares": "square",
    "rectangle": "rectangle",
    "rectangles": "rectangle",
    "rectangular": "rectangle",
    "grid": "rectangle",
    "triangle": "triangle",
    "triangles": "triangle",
    "triangular": "triangle",
    "pyramid": "triangle",
    "star": "star",
    "stars": "star",
    "line": "line",
    "lines": "line",
    "stripe": "line",
    "stripes": "line",
    "striped": "line",
}
# A named colour scores 0 below 1 % of the image (edge pixels, JPEG noise) and 1 from 5 %.
COVERAGE_FLOOR, COVERAGE_FULL = 0.01, 0.05
# The named colours and neutral (black/white/gray) areas should explain the picture: no credit
# below 30 % of its flat pixels, full credit from 75 %.
PRECISION_FLOOR, PRECISION_FULL = 0.3, 0.75
COLOR_DELTA_E = 22.0
SIDE = 64  # the analysis works on a small copy of the image: colours and shapes survive


def to_lab(rgb) -> np.ndarray:
    """RGB colours (any shape ending in 3, 0-255) as CIELAB rows (OpenCV's float Lab: L 0-100)."""
    arr = np.asarray(rgb, np.float32).reshape(-1, 1, 3) / 255.0
    return cv2.cvtColor(arr, cv2.COLOR_RGB2Lab).reshape(-1, 3)


@dataclass(frozen=True)
class ColorTerm:
    name: str  # e.g. "dark blue"
    prototypes: np.ndarray  # k x 3 CIELAB
    achromatic: tuple[float, float] | None = None  # lightness range for black/white/gray
    base: tuple[float, float, float] | None = None  # the colour word's own Lab value
    lightness: tuple[float, float] = (0.0, 100.0)  # the hue family's lightness range


def parse_colors(description: str) -> list[ColorTerm]:
    """The colours a description names, with their modifiers."""
    words = re.findall(r"[a-z]+", description.lower())
    out, seen = [], set()
    for i, w in enumerate(words):
        mod = words[i - 1] if i else ""
        if w in ACHROMATIC:
            key = w.replace("grey", "gray")
            if key not in seen:
                seen.add(key)
                out.append(ColorTerm(key, np.zeros((0, 3), np.float32), ACHROMATIC[w]))
            continue
        if w not in COLORS:
            continue
        base = to_lab(COLORS[w])[0]
        # A colour word names a family: prototypes across lightness and chroma, narrowed by
        # the modifier (dark: darker ones, light/pale: lighter and softer, bright: saturated).
        if mod in DARK:
            grid = [(dl, c) for dl in (-35, -25, -15) for c in (0.6, 0.9)]
        elif mod in LIGHT:
            grid = [(dl, c) for dl in (10, 20, 30) for c in (0.3, 0.55)]
        elif mod in BRIGHT:
            grid = [(dl, c) for dl in (-5, 5) for c in (1.0, 1.3)]
        else:
            grid = [(dl, c) for dl in (-25, -12, 0, 12) for c in (0.65, 1.0, 1.3)]
        protos = np.array([[np.clip(base[0] + dl, 5, 97), base[1] * c, base[2] * c] for dl, c in grid], np.float32)
        name = f"{mod} {w}" if mod in DARK | LIGHT | BRIGHT else w
        L0 = float(base[0])
        span = (5.0, L0 - 5) if mod in DARK else (L0 + 5, 99.0) if mod in LIGHT else (L0 - 30, L0 + 45)
        if name not in seen:
            seen.add(name)
            out.append(ColorTerm(name, protos, None, tuple(float(v) for v in base), span))
    return out


def parse_shapes(description: str) -> list[str]:
    """The simple shapes a description names (canonical names, no repeats)."""
    found = []
    for w in re.findall(r"[a-z]+", description.lower()):
        s = SHAPES.get(w)
        if s and s not in found:
            found.append(s)
    return found


def _matches(lab: np.ndarray, term: ColorTerm) -> np.ndarray:
    """Per pixel (rows of a N x 3 Lab array; NaN rows never match): does it show this colour?

    Near a prototype in CIELAB, or of the same hue family: hue within 28 degrees, lightness from 30
    below to 45 above the base colour's, at least a third of its chroma (a light sky is blue).
    """
    if term.achromatic is not None:
        lo, hi = term.achromatic
        chroma = np.hypot(lab[:, 1], lab[:, 2])
        return (lab[:, 0] >= lo) & (lab[:, 0] <= hi) & (chroma < 14)
    d = np.linalg.norm(lab[:, None, :] - term.prototypes[None, :, :], axis=2).min(axis=1)
    near = d < COLOR_DELTA_E
    if term.base is None:
        return near
    L0, a0, b0 = term.base
    c0 = float(np.hypot(a0, b0))
    if c0 < 25:  # browns, beiges, greys-with-a-tint: hue alone would not separate them
        return near
    hue = np.degrees(np.arctan2(lab[:, 2], lab[:, 1]) - np.arctan2(b0, a0))
    hue = (hue + 180) % 360 - 180
    lo, hi = term.lightness
    family = (np.abs(hue) < 28) & (np.hypot(lab[:, 1], lab[:, 2]) > c0 / 3) & (lab[:, 0] >= lo) & (lab[:, 0] <= hi)
    return near | family


def color_coverage(lab: np.ndarray, term: ColorTerm) -> float:
    """Share of pixels (rows of a N x 3 Lab array; NaN rows never match) that match a colour term."""
    return float(_matches(lab, term).mean())


def coverage_score(coverage: float) -> float:
    """0 below COVERAGE_FLOOR, 1 from COVERAGE_FULL, linear between."""
    return float(np.clip((coverage - COVERAGE_FLOOR) / (COVERAGE_FULL - COVERAGE_FLOOR), 0.0, 1.0))


def _regions(image: np.ndarray, k: int = 8):
    """k-means colour regions of a small copy: (labels H x W, centres k x 3 RGB, shares k)."""
    small = cv2.resize(image, (SIDE, SIDE), interpolation=cv2.INTER_AREA)
    data = small.reshape(-1, 3).astype(np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 1.0)
    cv2.setRNGSeed(0)
    _, labels, centres = cv2.kmeans(data, k, None, criteria, 1, cv2.KMEANS_PP_CENTERS)
    labels = labels.reshape(SIDE, SIDE)
    shares = np.bincount(labels.ravel(), minlength=k) / labels.size
    return small, labels, centres, shares


def detect_shapes(labels: np.ndarray, shares: np.ndarray) -> set[str]:
    """Shapes found among the colour regions by contour analysis."""
    found: set[str] = set()
    min_area = 0.004 * labels.size
    for k in range(len(shares)):
        if shares[k] < 0.004 or shares[k] > 0.9:
            continue
        mask = (labels == k).astype(np.uint8)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for c in contours:
            area = cv2.contourArea(c)
            if area < min_area:
                continue
            bx, by, bw, bh = cv2.boundingRect(c)
            if bw > 0.9 * labels.shape[1] and bh > 0.9 * labels.shape[0]:
                continue  # a background, not a shape
            perimeter = cv2.arcLength(c, True)
            (_, _), (w, h), _ = cv2.minAreaRect(c)
            if min(w, h) > 0 and max(w, h) / min(w, h) > 5:
                found.add("line")
                continue
            circularity = 4 * np.pi * area / (perimeter * perimeter + 1e-9)
            n = len(cv2.approxPolyDP(c, 0.04 * perimeter, True))
            hull = cv2.contourArea(cv2.convexHull(c)) + 1e-9
            if circularity > 0.8 and n > 5:
                found.add("circle")
            elif n == 3:
                found.add("triangle")
            elif n == 4 and area / (w * h + 1e-9) > 0.85:
                found.add("square" if 0.8 < w / (h + 1e-9) < 1.25 else "rectangle")
                found.add("rectangle")
            elif n >= 8 and area / hull < 0.75:
                found.add("star")
    return found


def drawing_quality(small: np.ndarray, shares: np.ndarray) -> float:
    """0 for a blank or single-colour canvas, rising to 1 with three or more real regions."""
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)
    spread = float(small.reshape(-1, 3).astype(np.float32).std(axis=0).max())
    if spread < 4.0:
        return 0.0
    regions = int((shares >= 0.01).sum())
    q = {1: 0.1, 2: 0.8}.get(regions, 1.0)
    if shares.max() > 0.97:
        q *= 0.3
    edges = float((cv2.Canny(gray.astype(np.uint8), 40, 120) > 0).mean())
    if edges > 0.35:  # noise, not a drawing
        q *= 0.5
    return q


@dataclass
class StandinResult:
    """The stand-in's score and its parts (all named standin_*)."""

    standin_faithfulness: float | None
    standin_quality: float
    standin_colors: dict[str, float] = field(default_factory=dict)  # named colour -> coverage
    standin_shapes: dict[str, bool] = field(default_factory=dict)
    standin_questions: list[float] = field(default_factory=list)
    standin_color_precision: float | None = None  # share of flat pixels the named colours explain

    def components(self) -> dict[str, float]:
        out = {"standin_quality": self.standin_quality}
        if self.standin_faithfulness is not None:
            out["standin_faithfulness"] = self.standin_faithfulness
        if self.standin_colors:
            recall = float(np.mean([coverage_score(c) for c in self.standin_colors.values()]))
            precision = 1.0 if self.standin_color_precision is None else self.standin_color_precision
            out["standin_color"] = recall * float(
                np.clip((precision - PRECISION_FLOOR) / (PRECISION_FULL - PRECISION_FLOOR), 0.0, 1.0)
            )
        if self.standin_shapes:
            out["standin_shape"] = float(np.mean(list(self.standin_shapes.values())))
        if self.standin_questions:
            out["standin_questions"] = float(np.mean(self.standin_questions))
        return out


def _answer_question(
    question: str, choices: list[str], answer: str, lab, labels, shares, shapes: set[str]
) -> float | None:
    """P(answer) for colour/shape questions the image can answer; None for the rest."""
    q = question.lower()
    if answer not in choices:
        return None
    choice_colors = [parse_colors(c) for c in choices]
    if all(len(c) == 1 for c in choice_colors):
        # "What colour is the X?" asks about an object: leave out a dominant background region
        # unless the question is about the background itself.
        pixels = lab
        dominant = int(np.argmax(shares))
        if shares[dominant] > 0.35 and not re.search(r"background|sky|backdrop|ground|water|sea", q):
            pixels = lab[labels.ravel() != dominant]
        cov = np.array([color_coverage(pixels, c[0]) for c in choice_colors]) + 1e-3
        return float(cov[choices.index(answer)] / cov.sum())
    choice_shapes = [parse_shapes(c) for c in choices]
    if all(len(s) == 1 for s in choice_shapes):
        hit = np.array([1.0 if s[0] in shapes else 0.05 for s in choice_shapes])
        return float(hit[choices.index(answer)] / hit.sum())
    if sorted(c.lower() for c in choices) == ["no", "yes"]:
        colors, named = parse_colors(q), parse_shapes(q)
        if not colors and not named:
            return None
        p = 1.0
        for c in colors:
            p *= coverage_score(color_coverage(lab, c))
        for s in named:
            p *= 1.0 if s in shapes else 0.1
        return p if answer.lower() == "yes" else 1.0 - p
    return None


def standin_score(image: np.ndarray, description: str, questions: list[dict] | None = None) -> StandinResult:
    """Score a defended render against a description without any model.

    Args:
        image: the defended render, H x W x 3 uint8.
        description: the text prompt.
        questions: optional ground-truth questions, each {question, choices, answer}.

    Returns:
        StandinResult; `standin_faithfulness` is quality x the mean of the available checks, None
        when the description names nothing the image can be checked for (unknown, not a default).
    """
    small, labels, _centres, shares = _regions(image)
    lab = to_lab(small.reshape(-1, 3))
    # Colours are counted on flat areas only: the blurred halo of black strokes on white is
    # gray for a few pixels, and no one would call that drawing gray.
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)
    grad = np.hypot(cv2.Sobel(gray, cv2.CV_32F, 1, 0), cv2.Sobel(gray, cv2.CV_32F, 0, 1)).ravel()
    lab = np.where((grad < 60)[:, None], lab, np.nan)
    quality = drawing_quality(small, shares)
    terms = parse_colors(description)
    colors = {t.name: color_coverage(lab, t) for t in terms}
    detected = detect_shapes(labels, shares)
    shapes = {s: s in detected for s in parse_shapes(description)}
    answers = []
    for q in questions or []:
        p = _answer_question(q["question"], list(q["choices"]), q["answer"], lab, labels, shares, detected)
        if p is not None:
            answers.append(p)
    result = StandinResult(0.0, quality, colors, shapes, answers)
    if terms:
        # Precision: how much of the picture the named colours (and neutral backgrounds) explain,
        # so that painting every colour at once does not pass for a drawing of any description.
        neutral = [ColorTerm(k, np.zeros((0, 3), np.float32), v) for k, v in ACHROMATIC.items() if k != "grey"]
        explained = np.zeros(len(lab), bool)
        for t in terms + neutral:
            explained |= _matches(lab, t)
        flat = ~np.isnan(lab[:, 0])
        result.standin_color_precision = float(explained[flat].mean()) if flat.any() else 0.0
    parts = [v for k, v in result.components().items() if k not in ("standin_faithfulness", "standin_quality")]
    result.standin_faithfulness = quality * float(np.mean(parts)) if parts else None
    return result
