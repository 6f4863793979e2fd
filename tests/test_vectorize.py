"""The vectorizer's quantise/trace/fit steps on real photographs and drawings."""

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

skimage = pytest.importorskip("skimage")
pytest.importorskip("sklearn")
from skimage import data  # noqa: E402
from skimage.metrics import structural_similarity  # noqa: E402

from svg_agent.constraints import validate  # noqa: E402
from svg_agent.errors import InputError  # noqa: E402
from svg_agent.render import render_image  # noqa: E402
from vectorize.trace import vectorize_image  # noqa: E402

SAMPLES = ["astronaut", "coffee", "chelsea", "rocket", "camera", "coins"]


def gray_ssim(source: np.ndarray, svg: str, side: int = 64) -> float:
    """SSIM of the gray images at 64 x 64: the structure a viewer sees, not the photo's texture
    (at full size a flat canvas out-scores any posterised trace on texture alone)."""
    rgb = np.stack([source] * 3, -1) if source.ndim == 2 else source
    src = cv2.resize(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), (side, side), interpolation=cv2.INTER_AREA)
    out = cv2.resize(
        cv2.cvtColor(np.asarray(render_image(svg)), cv2.COLOR_RGB2GRAY), (side, side), interpolation=cv2.INTER_AREA
    )
    return structural_similarity(src, out, data_range=255)


@pytest.mark.parametrize("name", SAMPLES)
def test_real_images_fit_the_budget_and_keep_their_structure(name):
    image = getattr(data, name)()
    result = vectorize_image(image)
    assert validate(result.svg).valid and result.bytes <= 10_000
    # Floors: at least 0.4, and 0.15 above a flat canvas of the image's mean colour. Measured
    # here at 64 px: traces 0.81-0.93 on these six samples, the flat canvas 0.06-0.59, the
    # smallest margin about 0.22 (rocket, whose sky is mostly flat already).
    mean = np.asarray(image if image.ndim == 3 else np.stack([image] * 3, -1)).reshape(-1, 3).mean(0).astype(int)
    flat = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 384 384"><rect width="384" height="384" fill="#{mean[0]:02x}{mean[1]:02x}{mean[2]:02x}"/></svg>'
    traced, baseline = gray_ssim(image, result.svg), gray_ssim(image, flat)
    assert traced > baseline + 0.15 and traced > 0.4, (traced, baseline)


def test_smaller_budgets_give_coarser_valid_svgs():
    image = data.chelsea()
    sizes = []
    for budget in (10_000, 4_000, 1_500, 600):
        r = vectorize_image(image, max_bytes=budget)
        assert validate(r.svg, max_bytes=budget).valid and r.bytes <= budget
        sizes.append(r.bytes)
    assert sizes == sorted(sizes, reverse=True)


def test_fixed_colours_and_bad_input():
    r = vectorize_image(data.coffee(), colors=4)
    assert r.settings.colors == 4 and len(set(__import__("re").findall(r'fill="([^"]+)"', r.svg))) <= 4
    with pytest.raises(InputError):
        vectorize_image(np.zeros((5, 5, 7), np.uint8))
    with pytest.raises(InputError):
        vectorize_image(data.coffee(), max_bytes=50)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    h=st.integers(1, 300),
    w=st.integers(1, 300),
    kind=st.sampled_from(["noise", "flat", "blocks", "gray", "rgba"]),
    seed=st.integers(0, 999),
)
def test_any_image_gives_a_valid_svg_under_budget(h, w, kind, seed):
    rng = np.random.RandomState(seed)
    if kind == "noise":
        img = rng.randint(0, 256, (h, w, 3), dtype=np.uint8)
    elif kind == "flat":
        img = np.full((h, w, 3), rng.randint(0, 256, 3), np.uint8)
    elif kind == "blocks":
        img = np.kron(rng.randint(0, 256, (max(1, h // 20 + 1), max(1, w // 20 + 1), 3)), np.ones((20, 20, 1))).astype(
            np.uint8
        )[:h, :w]
    elif kind == "gray":
        img = rng.randint(0, 256, (h, w), dtype=np.uint8)
    else:
        img = rng.randint(0, 256, (h, w, 4), dtype=np.uint8)
    r = vectorize_image(img, max_bytes=3_000)
    assert validate(r.svg, max_bytes=3_000).valid and r.bytes <= 3_000


@settings(max_examples=60, deadline=None)
@given(
    polys=st.lists(
        st.lists(st.tuples(st.integers(0, 800), st.integers(0, 800)), min_size=1, max_size=30), min_size=1, max_size=6
    )
)
def test_path_length_is_the_length_of_the_path_text(polys):
    from vectorize.trace import path_data, path_length

    arrays = [np.array(p, np.int32) for p in polys]
    text = path_data(arrays)
    assert path_length(arrays) == len(text)
    # The text draws the polygons it was given: parse it back to absolute points.
    from svg_agent.compact import parse_path, path_points

    got = [tuple(map(int, pt)) for pt in path_points(parse_path(text))]
    want = []
    for p in polys:
        want.append(p[0])
        want.extend(q for q, prev in zip(p[1:], p[:-1]) if q != prev)
    assert got == want


def _render_flat(name: str, side: int = 512) -> np.ndarray:
    import io
    from pathlib import Path

    import cairosvg
    from PIL import Image

    path = Path(__file__).resolve().parent.parent / "svg_agent" / "examples" / "handmade" / name
    png = cairosvg.svg2png(url=str(path), output_width=side, output_height=side)
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_selection_raster_draws_what_cairosvg_draws():
    """The search ranks candidates by OpenCV rasters: they must match the SVG's own render
    (the half-cell offset, the even-odd holes, the stacking order), or the ranking is noise."""
    from vectorize.trace import Layers, WorkImage, fit_budget, quantize, raster, ssim_color

    for image, up in ((data.astronaut(), 1), (_render_flat("lighthouse_ocean.svg"), 2)):
        work = WorkImage(image)
        layers = Layers(*quantize(work, 8), upscale=up)
        _, shapes = fit_budget(layers, 10_000)
        from vectorize.trace import build_svg

        render = np.asarray(render_image(build_svg(layers, shapes)))
        own = ssim_color(raster(layers, shapes), render)
        assert own > 0.97, own
        # ... and a raster shifted by one pixel is clearly worse than the real one.
        shifted = np.roll(raster(layers, shapes), 1, axis=1)
        assert ssim_color(shifted, render) < own - 0.02


@pytest.mark.parametrize("name", ["lighthouse_ocean.svg", "green_coat_brass_buttons.svg", "cabin_forest_night.svg"])
def test_flat_illustrations_are_traced_closely_at_full_size(name):
    """Hand-made flat drawings rendered to pixels come back close at 384 px in colour. Floor 0.93:
    measured 0.95-0.98 on these three; the vectorizer before the stacked-fringe tracing scored
    0.90-0.93 at 192 cells."""
    image = _render_flat(name)
    result = vectorize_image(image)
    assert validate(result.svg).valid and result.bytes <= 10_000
    src = cv2.resize(image, (384, 384), interpolation=cv2.INTER_AREA)
    score = structural_similarity(np.asarray(render_image(result.svg)), src, channel_axis=2, data_range=255)
    assert score >= 0.93, score
