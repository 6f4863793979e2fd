import numpy as np
import pytest
from reference_scorer import scorer_defend, scorer_render

from svg_agent.render import RenderPool, render_image, render_resvg
from svg_agent.svgset import HUGE_SIZE, NS, random_scene, use_bomb


def test_render_matches_the_scorer_recipe():
    for s in range(3):
        svg = random_scene(s, 15)
        assert np.array_equal(np.asarray(render_image(svg)), np.asarray(scorer_render(svg)))
    no_viewbox = f'<svg {NS} width="100" height="50"><rect width="100" height="50" fill="red"/></svg>'
    img = render_image(no_viewbox)
    assert img.size == (384, 384) and np.array_equal(np.asarray(img), np.asarray(scorer_render(no_viewbox)))


def test_transparent_renders_black_like_the_scorer():
    img = np.asarray(render_image(f'<svg {NS} viewBox="0 0 10 10"><rect width="5" height="10" fill="#fff"/></svg>'))
    assert tuple(img[192, 10]) == (255, 255, 255) and tuple(img[192, 370]) == (0, 0, 0)


def test_pool_renders_and_defends_like_the_reference(pool):
    svgs = [random_scene(s, 12) for s in range(4)]
    results = pool.render_many(svgs, defend=True, seeds=[5, 6, 7, 8])
    for svg, seed, r in zip(svgs, [5, 6, 7, 8], results):
        assert r.ok, r.error
        ref = scorer_render(svg)
        main, ocr = scorer_defend(ref, seed)
        assert np.array_equal(r.image, np.asarray(ref))
        assert np.array_equal(r.defended, main) and np.array_equal(r.ocr_image, ocr)


def test_cache_and_duplicates_render_once(pool):
    svg = random_scene(42, 5)
    first, dup = pool.render_many([svg, svg])
    assert first.ok and dup.ok and np.array_equal(first.image, dup.image)
    again = pool.render(svg)
    assert again.cached and np.array_equal(again.image, first.image)
    other_seed = pool.render(svg, defend=True, seed=1)
    assert not other_seed.cached


def test_timeout_is_an_error_result_and_the_pool_recovers():
    with RenderPool(workers=1, timeout=1.0) as pool:
        r = pool.render(use_bomb(8, 10))
        assert not r.ok and "timed out" in r.error
        ok = pool.render(random_scene(1, 3))
        assert ok.ok


def test_memory_cap_is_an_error_result(pool):
    r = pool.render(HUGE_SIZE)
    assert not r.ok and ("memory" in r.error or "render failed" in r.error)


def test_crash_of_a_worker_is_an_error_result():
    with RenderPool(workers=1, timeout=5.0) as pool:
        assert pool.render(random_scene(0, 2)).ok
        worker = pool._idle.get()
        worker.proc.kill()
        worker.proc.wait()
        pool._idle.put(worker)
        r = pool.render(random_scene(9, 2))
        assert not r.ok and "crashed" in r.error
        assert pool.render(random_scene(9, 2)).ok


def test_malformed_svg_is_an_error_not_an_exception(pool):
    r = pool.render("<svg><rect")
    assert not r.ok and r.error.startswith("render failed")


def test_resvg_is_close_to_cairosvg_on_simple_drawings():
    pytest.importorskip("resvg_py")
    svg = random_scene(3, 10)
    d = np.abs(np.asarray(render_resvg(svg), float) - np.asarray(render_image(svg), float))
    assert d.mean() < 3.0


def test_cached_arrays_cannot_be_changed_by_a_caller(pool):
    svg = random_scene(77, 3)
    first = pool.render(svg)
    with pytest.raises(ValueError):
        first.image[:] = 0
    assert pool.render(svg).image.max() > 0


def test_timeouts_are_not_cached():
    with RenderPool(workers=1, timeout=1.0) as pool:
        bomb = use_bomb(8, 10)
        assert not pool.render(bomb).ok
        again = pool.render(bomb)
        assert not again.ok and not again.cached  # tried again, not served from the cache


def test_close_stops_workers_that_were_busy():
    import threading

    pool = RenderPool(workers=2, timeout=3.0)
    t = threading.Thread(target=pool.render_many, args=([use_bomb(8, 10), use_bomb(8, 9)],))
    t.start()
    import time

    time.sleep(1.0)  # both workers are busy with a bomb now
    started = list(pool.processes)
    assert len(started) == 2 and all(p.poll() is None for p in started)
    pool.close()
    t.join(timeout=30)
    assert not t.is_alive()
    assert all(p.poll() is not None for p in pool.processes + started)  # no worker outlives close()


def test_other_sizes_keep_the_scorers_inserted_viewbox():
    svg = f'<svg {NS} width="100" height="100"><rect x="200" y="200" width="184" height="184" fill="red"/></svg>'
    big, small = render_image(svg), render_image(svg, size=96)
    # The red square sits at 200..384 of the inserted 384 viewBox, at any output size.
    assert np.abs(np.asarray(small, float) - np.asarray(big.resize((96, 96)), float)).mean() < 2
    assert tuple(np.asarray(small)[80, 80]) == (255, 0, 0) and tuple(np.asarray(small)[30, 30]) == (0, 0, 0)
