"""Render SVG as the scorer does, untrusted SVG in sandboxed worker processes.

    svg-agent render FILE -o OUT.png [--size 384] [--defend] [--seed N]

`render_image` is the scorer's own recipe (insert a 384 viewBox when the text has none, cairosvg
at the SVG's own size, RGB, resize to 384 x 384) and runs in the calling process: use it only on
trusted SVG. `RenderPool` runs the same recipe in worker processes with a hard timeout and an
address-space cap; a hang or crash becomes an error result and the worker is replaced. Results
are cached by content hash, so several rewards reading one completion render it once.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import os
import queue
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .errors import RenderError

CANVAS = 384


def render_png(svg: str, size: int = CANVAS) -> bytes:
    """cairosvg's PNG for `svg`, with the scorer's viewBox insertion.

    cairosvg's default safe mode parses with entities and external references forbidden and
    fetches nothing from the network or the file system (only inline data: URLs).
    """
    import cairosvg

    if "viewBox" not in svg:  # the scorer always inserts 384, whatever size it resizes to
        svg = svg.replace("<svg", f'<svg viewBox="0 0 {CANVAS} {CANVAS}"')
    return cairosvg.svg2png(bytestring=svg.encode("utf-8"))


def render_image(svg: str, size: int = CANVAS) -> Image.Image:
    """Render like the scorer: RGB (transparent becomes black), resized to size x size (bicubic).

    Runs in this process with no time limit: for trusted SVG only. Use RenderPool otherwise.
    """
    png = render_png(svg, size)
    return Image.open(io.BytesIO(png)).convert("RGB").resize((size, size))


def render_resvg(svg: str, size: int = CANVAS) -> Image.Image:
    """The same recipe through resvg (PyPI resvg-py), for comparison with cairosvg."""
    import resvg_py

    if "viewBox" not in svg:
        svg = svg.replace("<svg", f'<svg viewBox="0 0 {CANVAS} {CANVAS}"')
    png = resvg_py.svg_to_bytes(svg_string=svg, skip_system_fonts=True)
    return Image.open(io.BytesIO(bytes(png))).convert("RGB").resize((size, size))


@dataclass
class RenderResult:
    """One render: the image, and with `defend` the defended and OCR images.

    The arrays are read-only, since the cache hands the same ones to every caller.
    """

    ok: bool
    image: np.ndarray | None = None  # size x size x 3 uint8
    defended: np.ndarray | None = None
    ocr_image: np.ndarray | None = None
    error: str | None = None
    seconds: float = 0.0
    cached: bool = False

    def pil(self, which: str = "image") -> Image.Image:
        array = getattr(self, which)
        if array is None:
            raise RenderError(self.error or f"no {which} in this result")
        return Image.fromarray(array)


def _work(svg: str, size: int, defend: bool, seed: int | None) -> dict:
    image = render_image(svg, size)
    out = {"image": np.asarray(image)}
    if defend:
        from .defenses import defend as run_defenses

        d = run_defenses(image, 0 if seed is None else seed)
        out["defended"], out["ocr_image"] = d.image, d.ocr_image
    return out


def _worker_main(read_fd: int, write_fd: int, memory_mb: int) -> None:
    """Worker loop: receive (svg, size, defend, seed), send arrays or an error string."""
    from multiprocessing.connection import Connection

    try:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass
    import cairosvg  # noqa: F401  (imported before the first job, so its clock does not pay for it)
    import cv2

    cv2.setNumThreads(1)
    conn_in, conn_out = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    conn_out.send(("ready", None))  # the parent starts a render's clock only after this
    while True:
        try:
            job = conn_in.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            reply = ("ok", _work(*job))
        except MemoryError:
            reply = ("error", f"render exceeded the {memory_mb} MB memory cap")
        except RecursionError:
            reply = ("error", "render failed: structure nested too deeply")
        except Exception as exc:  # any renderer failure is the SVG's fault: report it
            reply = ("error", f"render failed: {type(exc).__name__}: {str(exc)[:200]}")
        conn_out.send(reply)


class _Worker:
    """A render process started with `python -m`, so callers need no `__main__` guard."""

    def __init__(self, memory_mb: int):
        from multiprocessing.connection import Connection

        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        cmd = [
            sys.executable,
            "-c",
            "import sys; from svg_agent.render import _worker_main; "
            f"_worker_main({to_child_r}, {from_child_w}, {int(memory_mb)})",
        ]
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        self.proc = subprocess.Popen(cmd, pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL, env=env)
        os.close(to_child_r)
        os.close(from_child_w)
        self.send = Connection(to_child_w, readable=False)
        self.recv = Connection(from_child_r, writable=False)
        self.ready = False

    STARTUP_TIMEOUT = 60.0  # a cold start (imports on a loaded machine) is not the SVG's time

    def run(self, job, timeout: float):
        if not self.ready:
            if not self.recv.poll(self.STARTUP_TIMEOUT):
                raise OSError("render worker did not start")
            status, _ = self.recv.recv()
            if status != "ready":
                raise OSError(f"render worker sent {status!r} before starting")
            self.ready = True
        self.send.send(job)
        if not self.recv.poll(timeout):
            raise TimeoutError
        return self.recv.recv()

    def stop(self) -> None:
        try:
            self.send.send(None)
        except OSError:
            pass
        self.kill()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self.send.close()
        self.recv.close()


class RenderPool:
    """Sandboxed, cached, parallel rendering of untrusted SVG.

    Args:
        workers: worker processes (default: all CPU cores).
        timeout: seconds one render may take before its worker is killed.
        memory_mb: address-space cap of each worker.
        cache_items: renders kept in the content-hash cache.
    """

    def __init__(
        self, workers: int | None = None, timeout: float = 10.0, memory_mb: int = 2048, cache_items: int = 1024
    ):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.cache_items = cache_items
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._started = 0
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, RenderResult] = OrderedDict()
        self._closed = False
        self.processes: list[subprocess.Popen] = []  # every worker process started, for shutdown
        self.renders_run = 0  # renders actually run by a worker (cache hits and duplicates excluded)

    @property
    def cached(self) -> int:
        """Renders held in the content-hash cache now."""
        return len(self._cache)

    def _acquire(self) -> _Worker:
        with self._lock:
            if self._idle.empty() and self._started < self.workers:
                self._started += 1
                return self._spawn()
        return self._idle.get()

    def _spawn(self) -> _Worker:
        worker = _Worker(self.memory_mb)
        self.processes = [p for p in self.processes if p.poll() is None] + [worker.proc]
        return worker

    @staticmethod
    def key(svg: str, size: int, defend: bool, seed: int | None) -> str:
        h = hashlib.sha256(svg.encode("utf-8", "surrogatepass"))
        h.update(f"|{size}|{int(defend)}|{seed}".encode())
        return h.hexdigest()

    def _run_one(self, svg: str, size: int, defend: bool, seed: int | None) -> RenderResult:
        if self._closed:
            raise RenderError("the render pool is closed")
        t0 = time.perf_counter()
        worker = self._acquire()
        with self._lock:
            self.renders_run += 1
        try:
            status, payload = worker.run((svg, size, defend, seed), self.timeout)
        except TimeoutError:
            worker.kill()
            worker = self._spawn()
            return RenderResult(
                False, error=f"render timed out after {self.timeout:g} s", seconds=time.perf_counter() - t0
            )
        except (EOFError, OSError, BrokenPipeError):
            worker.kill()
            code = worker.proc.returncode
            worker = self._spawn()
            return RenderResult(False, error=f"renderer crashed (exit code {code})", seconds=time.perf_counter() - t0)
        except BaseException:
            # Its reply may still be in the pipe: never hand this worker to the next caller.
            worker.kill()
            worker = self._spawn()
            raise
        finally:
            if self._closed:
                worker.stop()  # close() ran while this render was in flight
            else:
                self._idle.put(worker)
        seconds = time.perf_counter() - t0
        if status != "ok":
            return RenderResult(False, error=payload, seconds=seconds)
        for array in payload.values():
            array.flags.writeable = False  # shared with the cache: copy before changing
        return RenderResult(True, payload["image"], payload.get("defended"), payload.get("ocr_image"), seconds=seconds)

    def render_many(
        self, svgs, *, size: int = CANVAS, defend: bool = False, seeds=None, progress: bool = False
    ) -> list[RenderResult]:
        """Render many SVGs in parallel; duplicates and cached SVGs are rendered once.

        Args:
            svgs: SVG texts.
            size: output side in pixels.
            defend: also apply the scorer's defenses (needs one seed per SVG, default 0).
            seeds: per-SVG seeds for the defenses.
            progress: show a progress bar.

        Returns:
            One RenderResult per input, in order.
        """
        svgs = list(svgs)
        seeds = list(seeds) if seeds is not None else [None] * len(svgs)
        if len(seeds) != len(svgs):
            raise ValueError("seeds must have one entry per SVG")
        keys = [self.key(s, size, defend, d) for s, d in zip(svgs, seeds)]
        results: dict[str, RenderResult] = {}
        todo: dict[str, int] = {}
        with self._lock:
            for i, k in enumerate(keys):
                if k in self._cache:
                    self._cache.move_to_end(k)
                    hit = self._cache[k]
                    results[k] = RenderResult(hit.ok, hit.image, hit.defended, hit.ocr_image, hit.error, 0.0, True)
                elif k not in todo:
                    todo[k] = i
        if todo:
            bar = None
            if progress:
                from tqdm import tqdm

                bar = tqdm(total=len(todo), desc="render", unit="svg")
            with ThreadPoolExecutor(max_workers=min(self.workers, len(todo))) as ex:
                futures = {k: ex.submit(self._run_one, svgs[i], size, defend, seeds[i]) for k, i in todo.items()}
                for k, fut in futures.items():
                    results[k] = fut.result()
                    if bar:
                        bar.update(1)
            if bar:
                bar.close()
            with self._lock:
                for k in todo:
                    error = results[k].error or ""
                    # A crash or a timeout may be the machine's fault (load, a cold worker): retry it.
                    if results[k].ok or not ("crashed" in error or "timed out" in error):
                        self._cache[k] = results[k]
                while len(self._cache) > self.cache_items:
                    self._cache.popitem(last=False)
        return [results[k] for k in keys]

    def render(self, svg: str, *, size: int = CANVAS, defend: bool = False, seed: int | None = None) -> RenderResult:
        """Render one SVG in the sandbox (see render_many)."""
        return self.render_many([svg], size=size, defend=defend, seeds=[seed])[0]

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                w = self._idle.get_nowait()
            except queue.Empty:
                break
            w.stop()
        for proc in self.processes:  # any worker still running a render when close() came
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)

    def __enter__(self) -> RenderPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_default_pool: RenderPool | None = None


def default_pool() -> RenderPool:
    """A process-wide pool, started on first use and closed at exit."""
    global _default_pool
    if _default_pool is None or _default_pool._closed:
        _default_pool = RenderPool()
        atexit.register(_default_pool.close)
    return _default_pool


def render_safe(svg: str, **kwargs) -> RenderResult:
    """Render one untrusted SVG in the default sandbox pool."""
    return default_pool().render(svg, **kwargs)
