"""The OCR text penalty, with offline backends and a check for text hidden from the OCR image.

The competition reads text with PaliGemma on the *lightly* defended render and charges
`min(1, exp(4 - chars))`; the aesthetic and VQA models see the *heavily* defended one. The winning
trick drew text that only appears after the heavy defenses: invisible to the OCR, readable by the
VQA model. This reward reads both images and charges for the larger count, so hiding text from
one of them gains nothing; text that only the heavy defenses reveal is flagged as `hidden_text`
and charged with no free characters.

Backends: `rapidocr` (PP-OCR ONNX models shipped in the PyPI wheel; runs offline), `tesseract`
(Debian's tesseract-ocr through pytesseract), and `paligemma` (the competition's model, rewards/vqa.py). Pick one with `make_ocr_backend(name)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from svg_agent.errors import ConfigError

from .formula import ocr_penalty

FREE_CHARS = 4
HIDDEN_MIN_CHARS = 3  # letters or digits read only after the heavy defenses


class OcrBackend(Protocol):
    name: str

    def read(self, image: np.ndarray) -> str:
        """All text found in an H x W x 3 uint8 image, as one string ('' for none)."""


class RapidOcrBackend:
    """PP-OCRv4 through RapidOCR (onnxruntime), loaded on first use.

    Detection runs first; recognition only where it found text boxes, so text-free drawings
    (most of them) cost one detector pass.

    Args:
        min_score: recognitions below this confidence are ignored.
        engine: a RapidOCR engine to use (other detector settings, a wrapper that records calls);
            default: the project's settings, loaded on first use.
    """

    name = "rapidocr"

    def __init__(self, min_score: float = 0.5, engine=None):
        self.min_score = min_score
        self._engine = engine

    @property
    def engine(self):
        """The RapidOCR engine (loaded now if it was not); assignable."""
        return self.load()

    @engine.setter
    def engine(self, value) -> None:
        self._engine = value

    def load(self):
        """Load the engine now (the first read would); returns it."""
        if self._engine is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError as exc:
                raise ConfigError(
                    "the rapidocr OCR backend needs rapidocr-onnxruntime: pip install 'svg-agent[rewards]'"
                ) from exc
            # By default the detector upscales the short side to 736 px: 2.7x the time on a 384 px
            # render for no gain (14 px text is still read). With type "max", rapidocr 1.4 keeps
            # any image under 960 px at its own size.
            self._engine = RapidOCR(det_limit_side_len=480, det_limit_type="max")
        return self._engine

    def read(self, image: np.ndarray) -> str:
        engine = self.load()
        result, _ = engine(np.ascontiguousarray(image), use_cls=False)
        if not result:
            return ""
        texts = [text for _box, text, score in result if float(score) >= self.min_score]
        return " ".join(t.strip() for t in texts if t.strip())


class TesseractBackend:
    """Tesseract 5 through pytesseract (Debian package tesseract-ocr)."""

    name = "tesseract"

    def __init__(self, config: str = "--psm 11"):
        self.config = config

    def read(self, image: np.ndarray) -> str:
        try:
            import pytesseract
        except ImportError as exc:
            raise ConfigError("the tesseract OCR backend needs pytesseract: pip install pytesseract") from exc
        try:
            text = pytesseract.image_to_string(image, config=self.config)
        except pytesseract.TesseractNotFoundError as exc:
            raise ConfigError("tesseract is not installed: apt-get install tesseract-ocr") from exc
        # Tesseract reads noise as stray punctuation; keep runs of letters and digits only.
        return " ".join(re.findall(r"[A-Za-z0-9]{2,}", text))


def _paligemma(**kwargs):
    from .vqa import PaliGemmaScorer

    return PaliGemmaScorer(**kwargs)


BACKENDS = {"rapidocr": RapidOcrBackend, "tesseract": TesseractBackend, "paligemma": _paligemma}


def make_ocr_backend(name: str, **kwargs) -> OcrBackend:
    """Build an OCR backend by name: rapidocr, tesseract, or paligemma (kwargs: model_id, ...)."""
    try:
        return BACKENDS[name](**kwargs)
    except KeyError:
        raise ConfigError(f"unknown OCR backend {name!r}; choose one of {', '.join(sorted(BACKENDS))}") from None


def count_chars(text: str) -> int:
    """Characters as the metric counts them: the length of the decoded text."""
    return len(text)


@dataclass(frozen=True)
class OcrResult:
    """What the OCR term saw and charged."""

    text_light: str  # read from the lightly defended render (what the competition's OCR sees)
    text_heavy: str  # read from the heavily defended render (what the VQA model sees)
    penalty: float  # min(1, exp(4 - max(chars))), or exp(-letters) for hidden text: the reward's factor
    competition_penalty: float  # the competition's own factor, from the light image only
    hidden_text: bool  # text the heavy defenses reveal that the light image hides


def ocr_term(
    backend: OcrBackend, light_image: np.ndarray, heavy_image: np.ndarray, free_chars: int = FREE_CHARS
) -> OcrResult:
    """Read both defended images and charge for the text in either.

    Args:
        backend: an OcrBackend.
        light_image: the render after the light OCR chain (crop 5 %, JPEG 90).
        heavy_image: the render after the full defenses.
        free_chars: characters allowed without penalty (4 in the competition).

    Returns:
        OcrResult; `penalty` is what the reward multiplies by.
    """
    light = backend.read(light_image)
    heavy = backend.read(heavy_image)
    n_light, n_heavy = count_chars(light), count_chars(heavy)
    penalty = ocr_penalty(max(n_light, n_heavy), free_chars)
    # Letters the heavy defenses reveal but the light image hides were put there on purpose:
    # they get no free characters. Stray punctuation misread in a drawing does not count.
    a_light, a_heavy = _alnum(light), _alnum(heavy)
    hidden = a_heavy >= HIDDEN_MIN_CHARS and a_heavy > a_light + 1
    if hidden:
        penalty = min(penalty, ocr_penalty(a_heavy, free_chars=0))
    return OcrResult(light, heavy, penalty, ocr_penalty(n_light, free_chars), hidden)


def _alnum(text: str) -> int:
    return sum(ch.isalnum() for ch in text)
