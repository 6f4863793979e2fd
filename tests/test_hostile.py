"""Hostile SVG: each input gets a verdict or a clean error in bounded time, with no I/O."""

import socket
import time

import numpy as np
import pytest
from PIL import Image

from svg_agent.constraints import validate
from svg_agent.sanitize import sanitize
from svg_agent.svgset import (
    BILLION_LAUGHS,
    EXTERNAL_DTD,
    EXTERNAL_HREF,
    HUGE_SIZE,
    HUGE_VIEWBOX,
    LONG_DASHES,
    NS,
    XXE,
    deep_nesting,
    many_elements,
    use_bomb,
)

HOSTILE = {
    "billion_laughs": BILLION_LAUGHS,
    "xxe": XXE,
    "external_dtd": EXTERNAL_DTD,
    "external_href": EXTERNAL_HREF,
    "huge_size": HUGE_SIZE,
    "huge_viewbox": HUGE_VIEWBOX,
    "use_bomb": use_bomb(7, 10),
    "deep_nesting": deep_nesting(1200),
    "many_elements": many_elements(100_000),
    "long_dashes": LONG_DASHES,
    "nul_bytes": f'<svg {NS}>\x00<rect width="9" height="9"/>\x00</svg>',
    "non_utf8": f'<svg {NS}><rect width="9" height="9" fill="#f00"/></svg>'.encode() + b"\xff\xfe\xc3",
    "upper_data_uri": f'<svg {NS}><rect width="9" height="9" fill="url(DATA:image/svg+xml,AAAA)"/></svg>',
    "cdata_comments_pi": f'<?xml version="1.0"?><?xml-stylesheet href="http://x/a.css"?><svg {NS}><!-- <script> --><g><![CDATA[<script>alert(1)</script>]]></g><rect width="9" height="9"/></svg>',
    "script": f'<svg {NS} onload="alert(1)"><script>alert(1)</script><rect width="9" height="9"/></svg>',
}
EXPECT_VALID = {"huge_size", "huge_viewbox", "use_bomb", "long_dashes", "cdata_comments_pi", "deep_nesting"}


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_validate_and_sanitize_give_verdicts_quickly_without_io(name, no_network):
    svg = HOSTILE[name]
    t0 = time.perf_counter()
    verdict = validate(svg)
    assert verdict.valid == (name in EXPECT_VALID), verdict.summary
    result = sanitize(svg)
    assert validate(result.svg).valid
    assert "root:" not in result.svg and "localhost" not in result.svg
    assert time.perf_counter() - t0 < 30  # a hang guard, not a speed target


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_render_of_raw_and_sanitized_is_bounded(name, pool):
    raw = HOSTILE[name]
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    r = pool.render(text)
    assert r.ok or r.error  # a result either way, never a hang or an exception
    clean = pool.render(sanitize(raw).svg)
    assert clean.ok, clean.error


def test_sanitize_defuses_the_use_bomb_and_keeps_the_drawing():
    result = sanitize(use_bomb(7, 10))
    assert "exploding" in " ".join(result.notes)
    assert result.drawn_elements >= 2


def test_many_elements_are_pruned_to_budget():
    result = sanitize(many_elements(100_000))
    assert result.bytes <= 10_000 and not result.fallback and result.drawn_elements > 50


def test_renderer_does_not_read_local_files(pool, tmp_path):
    png = tmp_path / "red.png"
    Image.new("RGB", (64, 64), (255, 0, 0)).save(png)
    svg = f'<svg {NS} xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 64 64"><rect width="64" height="64" fill="#fff"/><image width="64" height="64" xlink:href="file://{png}"/><use href="file://{tmp_path}/other.svg#x"/></svg>'
    r = pool.render(svg)
    assert r.ok, r.error
    assert np.asarray(r.image)[:, :, 1].min() > 200  # white, not the red file's pixels
