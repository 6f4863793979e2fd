import shutil

import numpy as np
import pytest

from rewards.ocr import RapidOcrBackend, TesseractBackend, make_ocr_backend, ocr_term
from svg_agent.app.demo import example_files
from svg_agent.constraints import validate
from svg_agent.defenses import defend
from svg_agent.errors import ConfigError
from svg_agent.render import render_image
from svg_agent.sanitize import sanitize
from svg_agent.svgset import hidden_text_svg, random_scene, text_svg

pytest.importorskip("rapidocr_onnxruntime")


@pytest.fixture(scope="module")
def rapid():
    return RapidOcrBackend()


def defended(svg, seed=42):
    return defend(render_image(svg), seed)


def test_reads_text_drawn_with_paths(rapid):
    d = defended(text_svg())
    result = ocr_term(rapid, d.ocr_image, d.image)
    assert "HELLO" in result.text_light.replace(" ", "")
    assert result.penalty == result.competition_penalty < 0.4
    assert not result.hidden_text


def test_text_free_drawings_are_not_charged(rapid):
    drawings = [sanitize(raw).svg for _, raw in example_files()] + [random_scene(s, 25) for s in range(4)]
    for svg in drawings:
        d = defended(svg)
        result = ocr_term(rapid, d.ocr_image, d.image)
        assert result.penalty == 1.0 and not result.hidden_text


@pytest.mark.parametrize("seed", [0, 2, 42, 1234, 2**30])
def test_hidden_text_is_caught_where_the_competition_missed_it(rapid, seed):
    svg = hidden_text_svg()
    assert validate(svg).valid
    d = defended(svg, seed)
    result = ocr_term(rapid, d.ocr_image, d.image)
    assert result.competition_penalty == 1.0  # the light image hides the word from the metric's OCR
    assert result.text_heavy.replace(" ", "").startswith("HEL")  # the VQA model would read it
    assert result.hidden_text and result.penalty < 0.05


def test_backend_names_and_errors():
    assert make_ocr_backend("rapidocr").name == "rapidocr"
    with pytest.raises(ConfigError, match="choose one of"):
        make_ocr_backend("easyocr")


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr is not installed")
def test_tesseract_backend_reads_text_and_ignores_drawings():
    t = TesseractBackend()
    d = defended(text_svg())
    assert "HELLO" in t.read(d.ocr_image)
    blank = np.full((384, 384, 3), 255, np.uint8)
    assert t.read(blank) == ""
