"""A plain, slow transcription of the scorer's recipe as `shared/docs/kaggle-metric.md` states it.

Tests compare the project's fast implementations against these: PIL's own median filter, the
shifted complex FFT, a validator that stops at the first violation.
"""

from __future__ import annotations

import io

import cairosvg
import cv2
import numpy as np
from defusedxml import ElementTree as etree
from PIL import Image, ImageFilter

from svg_agent.constraints import SCORER_ELEMENTS


def scorer_accepts(svg: str, allowed=SCORER_ELEMENTS) -> bool:
    try:
        if len(svg.encode("utf-8")) > 10000:
            return False
        tree = etree.fromstring(svg.encode("utf-8"), forbid_dtd=True, forbid_entities=True, forbid_external=True)
        for el in tree.iter():
            tag = el.tag.split("}")[-1]
            if tag not in allowed:
                return False
            for attr, value in el.attrib.items():
                name = attr.split("}")[-1]
                if name not in allowed[tag] and name not in allowed["common"]:
                    return False
                if "data:" in value.lower() or ";base64" in value:
                    return False
                if name == "href" and not value.startswith("#"):
                    return False
        return True
    except Exception:
        return False


def scorer_render(svg: str) -> Image.Image:
    if "viewBox" not in svg:
        svg = svg.replace("<svg", '<svg viewBox="0 0 384 384"')
    png = cairosvg.svg2png(bytestring=svg.encode("utf-8"))
    return Image.open(io.BytesIO(png)).convert("RGB").resize((384, 384))


def _crop(img, rng, pct):
    w, h = img.size
    cw, ch = int(w * pct), int(h * pct)
    box = (rng.randint(0, cw + 1), rng.randint(0, ch + 1), w - rng.randint(0, cw + 1), h - rng.randint(0, ch + 1))
    return img.crop(box).resize((w, h), Image.BILINEAR)


def _jpeg(img, q):
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=q)
    buf.seek(0)
    return Image.open(buf)


def _fft(img):
    a = np.array(img, dtype=np.float32)
    out = np.zeros_like(a)
    rows, cols = a.shape[:2]
    cr, cc = rows // 2, cols // 2
    r = int(min(cr, cc) * 0.5)
    x, y = np.ogrid[:rows, :cols]
    mask = np.zeros((rows, cols), np.float32)
    mask[(x - cr) ** 2 + (y - cc) ** 2 <= r * r] = 1
    for c in range(3):
        shifted = np.fft.fftshift(np.fft.fft2(a[:, :, c]))
        out[:, :, c] = np.real(np.fft.ifft2(np.fft.ifftshift(shifted * mask)))
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


def scorer_defend(image: Image.Image, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    img = _jpeg(_crop(image, rng, 0.03), 95)
    img = img.filter(ImageFilter.MedianFilter(size=9))
    img = _fft(img)
    img = Image.fromarray(cv2.bilateralFilter(np.asarray(img), 5, 75, 75))
    main = np.asarray(_jpeg(img, 92).convert("RGB"))
    ocr = np.asarray(_jpeg(_crop(image, rng, 0.05), 90).convert("RGB"))
    return main, ocr
