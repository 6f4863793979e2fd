"""Shared pieces of the benchmark scripts: the deterministic SVG set, timing stats, memory sampling.

Not a benchmark itself; imported by bench_core.py and bench_official.py (run from any directory:
the scripts put the repository root on sys.path and PYTHONPATH so the render workers find the
package even without an install).
"""

from __future__ import annotations

import os
import platform
import shlex
import sys
import threading
import time
from importlib import metadata
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
# Render workers are started with `python -c`; make the package importable for them too.
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)

CANVAS = 384

# ---------------------------------------------------------------------------------------------
# Machine and command
# ---------------------------------------------------------------------------------------------


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict:
    import cairosvg
    import cv2
    import PIL

    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    return {
        "cpu_count": os.cpu_count(),
        "cpu_affinity": affinity,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "cairosvg": getattr(cairosvg, "__version__", None) or _version("CairoSVG"),
        "Pillow": PIL.__version__,
        "opencv": cv2.__version__,
        "resvg_py": _version("resvg_py") or _version("resvg-py"),
        "lxml": _version("lxml"),
        "psutil": _version("psutil"),
    }


def load_info() -> dict:
    """Load of the machine (other jobs skew timings on a 2-core box)."""
    import psutil

    la = os.getloadavg() if hasattr(os, "getloadavg") else (None, None, None)
    return {"loadavg_1m": rnd(la[0], 2), "loadavg_5m": rnd(la[1], 2), "cpu_percent_1s": psutil.cpu_percent(interval=1.0)}


def wait_idle(max_seconds: float, threshold: float = 0.15, window: float = 5.0) -> dict:
    """Wait (at most max_seconds) until other processes use under `threshold` of the CPUs for
    `window` seconds in a row; return what was seen. A shared 2-core box skews timings badly."""
    import psutil

    t0 = time.perf_counter()
    share = None
    while True:
        psutil.cpu_percent(interval=None)
        time.sleep(window)
        share = psutil.cpu_percent(interval=None) / 100.0
        if share < threshold or time.perf_counter() - t0 >= max_seconds:
            break
    return {"waited_s": round(time.perf_counter() - t0, 1), "busy_share_before_start": round(share, 3),
            "idle_reached": share < threshold}


def command_line() -> str:
    """The command as typed, relative to the repository root when possible."""
    argv = list(sys.argv)
    try:
        argv[0] = str(Path(argv[0]).resolve().relative_to(REPO))
    except ValueError:
        pass
    return shlex.join(["python", *argv])


# ---------------------------------------------------------------------------------------------
# Stats
# ---------------------------------------------------------------------------------------------


def latency_stats(seconds) -> dict:
    a = np.asarray(list(seconds), dtype=float) * 1000.0
    if a.size == 0:
        return {"n": 0}
    return {
        "n": int(a.size),
        "p50_ms": round(float(np.percentile(a, 50)), 3),
        "p95_ms": round(float(np.percentile(a, 95)), 3),
        "max_ms": round(float(a.max()), 3),
    }


def rnd(x, nd: int = 4):
    return None if x is None else round(float(x), nd)


def pixel_diff(a: np.ndarray, b: np.ndarray, threshold: int = 16) -> tuple[float, float]:
    """(mean |a-b| over all pixels and channels in 0..255, share of pixels whose largest channel
    difference exceeds `threshold`)."""
    d = np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16))
    return float(d.mean()), float((d.max(axis=2) > threshold).mean())


class MemorySampler:
    """Samples the RSS of this process and of its child processes in a background thread.

    Usage: `with MemorySampler(children=True) as m: ...`; then m.peak_self_mb, m.peak_children_mb
    (largest sum over children at one instant), m.peak_child_mb (largest single child),
    m.max_children (most children seen at once).
    """

    def __init__(self, children: bool = False, interval: float = 0.02):
        import psutil

        self._proc = psutil.Process()
        self.children = children
        self.interval = interval
        self.peak_self = 0
        self.peak_children = 0
        self.peak_child = 0
        self.max_children = 0
        self.start_self = self._proc.memory_info().rss
        self._cpu0 = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        import psutil

        self.peak_self = max(self.peak_self, self._proc.memory_info().rss)
        if not self.children:
            return
        total = 0
        kids = self._proc.children(recursive=True)
        for c in kids:
            try:
                rss = c.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            total += rss
            self.peak_child = max(self.peak_child, rss)
        self.peak_children = max(self.peak_children, total)
        self.max_children = max(self.max_children, len(kids))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def _cpu(self) -> tuple[float, float, float]:
        """(wall, system-wide busy CPU seconds, CPU seconds of this process and its children)."""
        import psutil

        t = psutil.cpu_times()
        busy = sum(t) - t.idle - getattr(t, "iowait", 0.0) - getattr(t, "guest", 0.0) - getattr(t, "guest_nice", 0.0)
        c = self._proc.cpu_times()
        own = c.user + c.system + c.children_user + c.children_system
        for k in self._proc.children(recursive=True):
            try:
                kc = k.cpu_times()
                own += kc.user + kc.system
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        return time.perf_counter(), busy, own

    def __enter__(self) -> MemorySampler:
        self._sample()
        self._cpu0 = self._cpu()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        w1, b1, o1 = self._cpu()
        w0, b0, o0 = self._cpu0
        ncpu = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        # CPU used by processes other than this benchmark, as a share of the machine during the phase
        self.other_cpu_share = max(0.0, ((b1 - b0) - (o1 - o0)) / max(1e-9, (w1 - w0) * ncpu))

    def to_dict(self) -> dict:
        mb = 1024 * 1024
        out = {"rss_self_start_mb": round(self.start_self / mb, 1), "peak_rss_self_mb": round(self.peak_self / mb, 1)}
        if hasattr(self, "other_cpu_share"):
            out["other_processes_cpu_share"] = round(self.other_cpu_share, 3)
        if self.children:
            out.update(
                peak_rss_workers_total_mb=round(self.peak_children / mb, 1),
                peak_rss_worker_max_mb=round(self.peak_child / mb, 1),
                workers_seen=self.max_children,
            )
        return out


def timed(fn, items, desc: str, progress: bool = True):
    """Call fn on each item; return (outputs, per-call seconds, wall seconds)."""
    from tqdm import tqdm

    outs, secs = [], []
    t0 = time.perf_counter()
    for it in tqdm(items, desc=desc, unit="svg", leave=False, disable=not progress, mininterval=0.5):
        t = time.perf_counter()
        outs.append(fn(it))
        secs.append(time.perf_counter() - t)
    return outs, secs, time.perf_counter() - t0


# ---------------------------------------------------------------------------------------------
# The SVG set
# ---------------------------------------------------------------------------------------------

NS = 'xmlns="http://www.w3.org/2000/svg"'
# Category -> weight in the set. "Valid" drawings first, then raw model outputs.
CATEGORIES = {
    "flat": 3,  # a few flat shapes; some with no viewBox (the scorer inserts one)
    "scene": 2,  # many elements, just under 10 kB
    "gradient": 2,  # linear and radial gradients
    "curves": 2,  # paths with C/S/Q/T/A commands
    "strokes": 2,  # stroked shapes, dash arrays, caps/joins, nested transforms
    "verbose": 2,  # valid but verbose: pretty-printed, long decimals, #ffffff, default attributes
    "raw_fenced": 2,  # markdown fence with prose around it
    "raw_truncated": 2,  # output cut off mid-document
    "raw_style": 2,  # style="..." attributes, a <style> block with class rules
    "raw_text": 1,  # <text> elements (not allowed by the scorer)
    "oversized": 2,  # 20-40 kB, 3-decimal coordinates
}
COMPACTION_CATEGORIES = ("verbose", "oversized")


def _col(rng) -> str:
    r, g, b = (int(v) for v in rng.integers(0, 256, 3))
    return f"#{r:02x}{g:02x}{b:02x}"


def _n(rng, lo, hi, decimals: int = 0) -> str:
    v = float(rng.uniform(lo, hi))
    return f"{v:.{decimals}f}" if decimals else str(int(round(v)))


def _shape(rng, d: int = 0, fill: str | None = None, extra: str = "") -> str:
    fill = fill or _col(rng)
    k = int(rng.integers(0, 5))
    if k == 0:
        return (f'<rect x="{_n(rng, 0, 330, d)}" y="{_n(rng, 0, 330, d)}" width="{_n(rng, 8, 120, d)}" '
                f'height="{_n(rng, 8, 120, d)}" fill="{fill}"{extra}/>')
    if k == 1:
        return f'<circle cx="{_n(rng, 0, 384, d)}" cy="{_n(rng, 0, 384, d)}" r="{_n(rng, 4, 70, d)}" fill="{fill}"{extra}/>'
    if k == 2:
        return (f'<ellipse cx="{_n(rng, 0, 384, d)}" cy="{_n(rng, 0, 384, d)}" rx="{_n(rng, 4, 90, d)}" '
                f'ry="{_n(rng, 4, 60, d)}" fill="{fill}"{extra}/>')
    if k == 3:
        pts = " ".join(f"{_n(rng, 0, 384, d)},{_n(rng, 0, 384, d)}" for _ in range(int(rng.integers(3, 7))))
        return f'<polygon points="{pts}" fill="{fill}"{extra}/>'
    return f'<path d="{_curve_d(rng, d)}" fill="{fill}"{extra}/>'


def _curve_d(rng, d: int = 0) -> str:
    def p():
        return f"{_n(rng, 0, 384, d)} {_n(rng, 0, 384, d)}"

    parts = [f"M{p()}"]
    for _ in range(int(rng.integers(2, 6))):
        k = int(rng.integers(0, 5))
        if k == 0:
            parts.append(f"C{p()} {p()} {p()}")
        elif k == 1:
            parts.append(f"Q{p()} {p()}")
        elif k == 2:
            parts.append(f"S{p()} {p()}")
        elif k == 3:
            parts.append(f"A{_n(rng, 10, 120, d)} {_n(rng, 10, 120, d)} {_n(rng, 0, 90)} "
                         f"{int(rng.integers(0, 2))} {int(rng.integers(0, 2))} {p()}")
        else:
            parts.append(f"L{p()}")
    parts.append("Z")
    return " ".join(parts)


def _bg(rng) -> str:
    return f'<rect width="384" height="384" fill="{_col(rng)}"/>'


def _doc(body: str, root: str = 'viewBox="0 0 384 384"') -> str:
    return f"<svg {NS} {root}>{body}</svg>"


def gen_flat(rng) -> str:
    body = _bg(rng) + "".join(_shape(rng) for _ in range(int(rng.integers(3, 9))))
    k = int(rng.integers(0, 4))
    root = ['viewBox="0 0 384 384"', 'width="384" height="384"', "", 'width="256" height="256"'][k]
    return _doc(body, root)


def gen_scene(rng, target: int = 9800, d: int = 1) -> str:
    parts = [_bg(rng)]
    size = len(_doc("".join(parts)))
    while True:
        s = _shape(rng, d, extra=f' opacity="{rng.uniform(0.4, 1):.2f}"' if rng.random() < 0.3 else "")
        if size + len(s) > target:
            break
        parts.append(s)
        size += len(s)
    return _doc("".join(parts))


def gen_gradient(rng) -> str:
    defs = []
    n = int(rng.integers(1, 4))
    for i in range(n):
        stops = "".join(f'<stop offset="{o:.2f}" stop-color="{_col(rng)}"/>'
                        for o in np.sort(rng.uniform(0, 1, int(rng.integers(2, 5)))))
        if rng.random() < 0.5:
            defs.append(f'<linearGradient id="g{i}" x1="0" y1="0" x2="{rng.uniform(0, 1):.2f}" y2="1">{stops}</linearGradient>')
        else:
            defs.append(f'<radialGradient id="g{i}" cx=".5" cy=".5" r="{rng.uniform(.3, .8):.2f}">{stops}</radialGradient>')
    body = f"<defs>{''.join(defs)}</defs>" + '<rect width="384" height="384" fill="url(#g0)"/>'
    body += "".join(_shape(rng, fill=f"url(#g{int(rng.integers(0, n))})" if rng.random() < 0.6 else None)
                    for _ in range(int(rng.integers(3, 8))))
    return _doc(body)


def gen_curves(rng) -> str:
    body = _bg(rng)
    for _ in range(int(rng.integers(4, 12))):
        stroke = f' stroke="{_col(rng)}" stroke-width="{_n(rng, 1, 6)}"' if rng.random() < 0.5 else ""
        body += f'<path d="{_curve_d(rng, int(rng.integers(0, 2)))}" fill="{_col(rng)}"{stroke}/>'
    return _doc(body)


def gen_strokes(rng) -> str:
    items = []
    for _ in range(int(rng.integers(6, 15))):
        k = int(rng.integers(0, 4))
        st = (f'stroke="{_col(rng)}" stroke-width="{_n(rng, 1, 12)}" '
              f'stroke-linecap="{rng.choice(["butt", "round", "square"])}" '
              f'stroke-linejoin="{rng.choice(["miter", "round", "bevel"])}"')
        if rng.random() < 0.4:
            st += f' stroke-dasharray="{_n(rng, 2, 20)} {_n(rng, 2, 10)}"'
        tf = f' transform="rotate({_n(rng, -90, 90)} {_n(rng, 0, 384)} {_n(rng, 0, 384)})"' if rng.random() < 0.5 else ""
        if k == 0:
            items.append(f'<line x1="{_n(rng, 0, 384)}" y1="{_n(rng, 0, 384)}" x2="{_n(rng, 0, 384)}" y2="{_n(rng, 0, 384)}" {st}{tf}/>')
        elif k == 1:
            pts = " ".join(f"{_n(rng, 0, 384)},{_n(rng, 0, 384)}" for _ in range(int(rng.integers(3, 8))))
            items.append(f'<polyline points="{pts}" fill="none" {st}{tf}/>')
        elif k == 2:
            items.append(f'<rect x="{_n(rng, 0, 300)}" y="{_n(rng, 0, 300)}" width="{_n(rng, 20, 150)}" height="{_n(rng, 20, 150)}" '
                         f'rx="{_n(rng, 0, 20)}" fill="none" {st}{tf}/>')
        else:
            items.append(f'<circle cx="{_n(rng, 0, 384)}" cy="{_n(rng, 0, 384)}" r="{_n(rng, 10, 90)}" fill="{_col(rng)}" {st}{tf}/>')
    g = (f'<g transform="translate({_n(rng, -30, 30)} {_n(rng, -30, 30)}) rotate({_n(rng, -20, 20)} 192 192) '
         f'scale({rng.uniform(0.8, 1.1):.2f})">{"".join(items)}</g>')
    return _doc(_bg(rng) + g)


def gen_verbose(rng) -> str:
    """Valid but wasteful: XML declaration, indentation, 6 decimals, long colours, defaults."""
    ind = "  "
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<svg {NS} width="384" height="384" viewBox="0.000000 0.000000 384.000000 384.000000">']
    if rng.random() < 0.5:
        lines.append(f'{ind}<rect x="0" y="0" width="100%" height="100%" fill="#ffffff" fill-opacity="1" stroke="none"/>')
    else:
        lines.append(f'{ind}<rect x="0.000000" y="0.000000" width="384.000000" height="384.000000" fill="#FFFFFF" '
                     f'stroke="none" stroke-width="1"/>')
    lines.append(f'{ind}<g id="layer1" fill-opacity="1" stroke-opacity="1">')
    size = sum(len(x) + 1 for x in lines) + 40
    while True:
        col = rng.choice(["#ffffff", "#000000", "#ff0000", "#00ff00", "#0000ff", "#ffff00", _col(rng)])
        ln = ind * 2 + _shape(rng, 6, fill=str(col),
                              extra=' fill-opacity="1.000000" stroke="none" stroke-width="1.000000" fill-rule="nonzero"')
        if size + len(ln) + 1 > 9900:
            break
        lines.append(ln)
        size += len(ln) + 1
    lines += [f"{ind}</g>", "</svg>", ""]
    return "\n".join(lines)


def gen_raw_fenced(rng) -> str:
    inner = gen_flat(rng) if rng.random() < 0.5 else gen_curves(rng)
    pre = rng.choice(["Here is an SVG illustration of the scene:", "Sure! Below is the SVG code.",
                      "```\nI will draw it with simple shapes.\n```\nResult:"])
    post = rng.choice(["This uses basic shapes to keep it under 10 kB.", "Let me know if you want changes!", ""])
    return f"{pre}\n\n```svg\n{inner}\n```\n\n{post}\n"


def gen_raw_truncated(rng) -> str:
    full = gen_scene(rng, target=int(rng.integers(4000, 9800)), d=int(rng.integers(0, 2)))
    cut = int(len(full) * rng.uniform(0.5, 0.97))
    return full[:cut]


def gen_raw_style(rng) -> str:
    rules = "".join(f".c{i}{{fill:{_col(rng)};stroke:{_col(rng)};stroke-width:{_n(rng, 1, 5)}}}" for i in range(3))
    body = f"<style>{rules} circle{{opacity:0.9}}</style>" + f'<rect width="384" height="384" style="fill:{_col(rng)}"/>'
    for _ in range(int(rng.integers(4, 12))):
        s = _shape(rng)
        if rng.random() < 0.5:
            s = s.replace(' fill="', f' class="c{int(rng.integers(0, 3))}" data-fill="', 1)
        else:
            s = s.replace(' fill="', f' style="stroke:{_col(rng)}; stroke-width:{_n(rng, 1, 6)}px; opacity:.85; fill:', 1)
        body += s
    return _doc(body)


def gen_raw_text(rng) -> str:
    body = _bg(rng) + "".join(_shape(rng) for _ in range(int(rng.integers(2, 6))))
    for _ in range(int(rng.integers(1, 4))):
        word = rng.choice(["Hello", "SUNSET", "Lighthouse", "cafe", "42"])
        body += (f'<text x="{_n(rng, 10, 250)}" y="{_n(rng, 40, 370)}" font-family="sans-serif" '
                 f'font-size="{_n(rng, 18, 48)}" fill="{_col(rng)}">{word}</text>')
    return _doc(body)


def gen_oversized(rng) -> str:
    return gen_scene(rng, target=int(rng.integers(20_000, 40_000)), d=3)


GENERATORS = {
    "flat": gen_flat, "scene": gen_scene, "gradient": gen_gradient, "curves": gen_curves,
    "strokes": gen_strokes, "verbose": gen_verbose, "raw_fenced": gen_raw_fenced,
    "raw_truncated": gen_raw_truncated, "raw_style": gen_raw_style, "raw_text": gen_raw_text,
    "oversized": gen_oversized,
}


def build_set(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """`n` (category, raw text) pairs, deterministic in (n, seed), categories in weight proportion
    (every category at least once)."""
    total = sum(CATEGORIES.values())
    counts = {c: max(1, int(round(n * w / total))) for c, w in CATEGORIES.items()}
    while sum(counts.values()) > n and max(counts.values()) > 1:
        counts[max(counts, key=counts.get)] -= 1
    while sum(counts.values()) < n:
        counts[min(counts, key=lambda c: counts[c] / CATEGORIES[c])] += 1
    out = []
    for ci, (cat, k) in enumerate(counts.items()):
        for i in range(k):
            rng = np.random.default_rng([seed, ci, i])
            out.append((cat, GENERATORS[cat](rng)))
    return out
