"""The scorer's image defenses, in its order, with its parameters and random-number semantics.

    svg-agent render FILE -o OUT.png --defend --seed N

The metric seeds one `numpy.random.RandomState` per description; the main chain draws the four
crop offsets from it, and the light OCR chain (crop 5 %, JPEG 90 on the undefended render)
continues the same stream. With the same seed these functions give the scorer's pixels exactly:
the size-9 median runs in OpenCV (the same rank filter as PIL's, with the same edge
replication, about 13x faster) and the FFT skips the two shifts by shifting the mask instead,
which leaves every float untouched.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image

INT32_MAX = np.iinfo(np.int32).max


@dataclass(frozen=True)
class DefenseResult:
    """The image the aesthetic and VQA models see, and the one the OCR model sees."""

    image: np.ndarray  # H x W x 3 uint8, after the full chain
    ocr_image: np.ndarray  # H x W x 3 uint8, after the light chain


def description_seeds(ids, random_seed: int = 0) -> dict[str, int]:
    """Per-description seeds as the metric draws them: one draw per id, in sorted id order.

    Args:
        ids: every description id of the evaluation set (the draw depends on all of them).
        random_seed: the metric's global seed (0 in the competition).

    Returns:
        {id: seed}
    """
    rng = np.random.RandomState(random_seed)
    return {i: int(rng.randint(0, INT32_MAX)) for i in sorted(set(ids))}


def random_crop_resize(image: Image.Image, rng: np.random.RandomState, crop_percent: float) -> Image.Image:
    """Crop each side by a random number of pixels, then resize back (bilinear)."""
    width, height = image.size
    cw, ch = int(width * crop_percent), int(height * crop_percent)
    left = rng.randint(0, cw + 1)
    top = rng.randint(0, ch + 1)
    right = width - rng.randint(0, cw + 1)
    bottom = height - rng.randint(0, ch + 1)
    return image.crop((left, top, right, bottom)).resize((width, height), Image.BILINEAR)


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    """Save as JPEG with PIL and load it back."""
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    out = Image.open(buffer)
    out.load()
    return out


def median(array: np.ndarray, size: int = 9) -> np.ndarray:
    """Median filter, pixel-identical to PIL's `ImageFilter.MedianFilter(size)`."""
    return cv2.medianBlur(np.ascontiguousarray(array), size)


@lru_cache(maxsize=8)
def _lowpass_mask(rows: int, cols: int, cutoff: float) -> np.ndarray:
    crow, ccol = rows // 2, cols // 2
    r = int(min(crow, ccol) * cutoff)
    x, y = np.ogrid[:rows, :cols]
    mask = np.zeros((rows, cols), np.float32)
    mask[(x - crow) ** 2 + (y - ccol) ** 2 <= r * r] = 1
    # Masking the unshifted spectrum with the shifted-back mask is the same product, element by
    # element, as masking the shifted spectrum and shifting back.
    return np.fft.ifftshift(mask)


def fft_low_pass(array: np.ndarray, cutoff: float = 0.5) -> np.ndarray:
    """Keep a centred disc of the spectrum per channel; float32 in, truncating uint8 out."""
    img = np.asarray(array, dtype=np.float32)
    mask = _lowpass_mask(img.shape[0], img.shape[1], cutoff)
    result = np.empty_like(img)
    for c in range(img.shape[2]):
        spectrum = np.fft.fft2(np.ascontiguousarray(img[:, :, c]))
        spectrum *= mask
        result[:, :, c] = np.real(np.fft.ifft2(spectrum))
    return np.clip(result, 0, 255).astype(np.uint8)


def bilateral(array: np.ndarray, d: int = 5, sigma_color: float = 75, sigma_space: float = 75) -> np.ndarray:
    return cv2.bilateralFilter(np.ascontiguousarray(array), d, sigma_color, sigma_space)


def defend_main(image: Image.Image, rng: np.random.RandomState) -> np.ndarray:
    """The full chain: crop 3 %, JPEG 95, median 9, FFT low-pass 0.5, bilateral 5/75/75, JPEG 92."""
    img = jpeg(random_crop_resize(image, rng, 0.03), 95)
    arr = median(np.asarray(img), 9)
    arr = fft_low_pass(arr, 0.5)
    arr = bilateral(arr, 5, 75, 75)
    return np.asarray(jpeg(Image.fromarray(arr), 92))


def defend_ocr(image: Image.Image, rng: np.random.RandomState) -> np.ndarray:
    """The light chain the OCR check sees: crop 5 %, JPEG 90."""
    return np.asarray(jpeg(random_crop_resize(image, rng, 0.05), 90))


def defend(image: Image.Image | np.ndarray, seed: int) -> DefenseResult:
    """Apply both chains to a render with the scorer's seeding.

    Args:
        image: the 384 x 384 RGB render.
        seed: the description's seed (see `description_seeds`).

    Returns:
        DefenseResult with the defended image and the OCR image.
    """
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    rng = np.random.RandomState(seed)
    main = defend_main(image, rng)
    return DefenseResult(main, defend_ocr(image, rng))
