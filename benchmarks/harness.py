"""The benchmark harness: what every script under benchmarks/ shares.

    from harness import Report, machine_info, timed, MemorySampler
    report = Report("vectorizer vs vtracer", n=10)     # command, date, machine filled in
    report["photos"] = {...}
    report.write("benchmarks/results/vectorize.json", echo=("photos",))

A script is a thin scenario: it builds its inputs (the SVG set comes from `svg_agent.svgset`),
times them with `timed` / `latency_stats` / `MemorySampler`, and writes one `Report`. Importing
this module changes nothing (no sys.path or environment edits): run the scripts with the package
installed (README's install), as `python benchmarks/<script>.py`.
"""

from __future__ import annotations

import datetime
import json
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
    return {
        "loadavg_1m": rnd(la[0], 2),
        "loadavg_5m": rnd(la[1], 2),
        "cpu_percent_1s": psutil.cpu_percent(interval=1.0),
    }


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
    return {
        "waited_s": round(time.perf_counter() - t0, 1),
        "busy_share_before_start": round(share, 3),
        "idle_reached": share < threshold,
    }


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

    Usage: `with MemorySampler(children=True) as m: ...`; then, in bytes, m.peak_self, m.peak_children
    (largest sum over children at one instant), m.peak_child (largest single child),
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
# The report
# ---------------------------------------------------------------------------------------------


class Report(dict):
    """A benchmark's JSON: what ran (benchmark, command, date, machine) first, then the script's
    sections, then `total_seconds` (from this object's creation to `write`)."""

    def __init__(self, benchmark: str, machine: dict | None = None, started: float | None = None, **fields):
        super().__init__(
            benchmark=benchmark,
            command=command_line(),
            date=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            machine=machine if machine is not None else machine_info(),
            **fields,
        )
        self._t0 = time.perf_counter() if started is None else started  # a perf_counter() reading

    def write(self, path: str | Path, echo: tuple[str, ...] = (), dumps=None) -> Path:
        """Write the JSON (`dumps(report)` if given, else indented JSON) and print the `echo` keys."""
        self["total_seconds"] = rnd(time.perf_counter() - self._t0, 1)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = dumps(dict(self)) if dumps else json.dumps(dict(self), indent=1, ensure_ascii=False)
        path.write_text(text.rstrip("\n") + "\n")
        if echo:
            print(json.dumps({k: self[k] for k in (*echo, "total_seconds") if k in self}, indent=1, ensure_ascii=False))
        return path
