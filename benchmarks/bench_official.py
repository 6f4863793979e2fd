"""python benchmarks/bench_official.py --official PATH/competition_metrics.py --out benchmarks/results/official.json [--n 60] [--wait-idle 300]

Compares our render + defenses with the official metric's own code on the same SVGs in one run.

The official file imports torch, clip, kagglehub, ... at the top, so it is never imported: its
source is parsed with `ast`, and only the `svg_to_png` function and the `ImageProcessor` class are
taken (by node name) and executed in a namespace holding io, np, cv2, cairosvg, Image,
ImageFilter and a dummy `plt`. Nothing of it is copied into this repository; pass its path.
(One public copy: competition_metrics.py in github.com/clarkkev/svg-diffusion.)

Official path, per SVG, exactly as its `score()` does:
    image_processor = ImageProcessor(image=svg_to_png(svg), seed=seed).apply()
    defended = image_processor.image.copy()
    image_processor.reset().apply_random_crop_resize().apply_jpeg_compression(quality=90)
    ocr = image_processor.image
Ours: `RenderPool(workers=2).render_many(svgs, defend=True, seeds=...)` (timed after warm-up, no
cache) and single-process `render_image` + `defend`. Seeds come from `description_seeds` (the
metric's draw: one per id, sorted ids, RandomState(0)). The SVG set is every valid SVG of the
benchmark set (svg_agent.svgset.build_set) plus the sanitized form of every entry, de-duplicated.
"""

from __future__ import annotations

import argparse
import ast
import gc
import hashlib
import io
import json
import sys
import time
from pathlib import Path

import cairosvg
import cv2
import numpy as np
from harness import MemorySampler, Report, latency_stats, load_info, rnd, timed, wait_idle
from PIL import Image, ImageFilter

from svg_agent.constraints import validate
from svg_agent.defenses import defend, description_seeds
from svg_agent.render import RenderPool, render_image
from svg_agent.sanitize import sanitize
from svg_agent.svgset import build_set

WANTED = ("svg_to_png", "ImageProcessor")


class _NoPlot:
    """Stands in for matplotlib.pyplot (only `visualize_comparison` uses it)."""

    def __getattr__(self, name):
        raise RuntimeError("matplotlib is not available in this benchmark")


def load_official(path: Path) -> tuple[dict, dict]:
    """Exec only `svg_to_png` and `ImageProcessor` from the official file; return (namespace, info)."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    nodes = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name in WANTED}
    missing = [w for w in WANTED if w not in nodes]
    if missing:
        raise SystemExit(f"{path}: no top-level {', '.join(missing)}")
    ns = {
        "__name__": "official_metric",
        "io": io,
        "np": np,
        "cv2": cv2,
        "cairosvg": cairosvg,
        "Image": Image,
        "ImageFilter": ImageFilter,
        "plt": _NoPlot(),
    }
    info = {"path_name": path.name, "sha256": hashlib.sha256(source.encode()).hexdigest(), "extracted": {}}
    for name in WANTED:
        node = nodes[name]
        seg = ast.get_source_segment(source, node)
        if node.decorator_list:  # keep decorators (none today) with the definition
            first = min(d.lineno for d in node.decorator_list)
            seg = "\n".join(source.splitlines()[first - 1 : node.end_lineno])
        exec(compile(seg, f"{path}:{name}", "exec"), ns)
        info["extracted"][name] = f"lines {node.lineno}-{node.end_lineno}"
    return ns, info


def official_one(ns, svg: str, seed: int):
    """The official render, defended image and OCR image of one SVG, as its score() makes them."""
    render = ns["svg_to_png"](svg)
    processor = ns["ImageProcessor"](image=render, seed=seed).apply()
    defended = processor.image.copy()
    processor.reset().apply_random_crop_resize().apply_jpeg_compression(quality=90)
    return np.asarray(render), np.asarray(defended), np.asarray(processor.image)


def compare(name: str, ours, official, ids) -> dict:
    """ours / official: lists of (render, defended, ocr) arrays (render may be None)."""
    out = {}
    bad = []
    for k, label in enumerate(("render", "defended", "ocr")):
        same, max_diff, shape_mismatch = 0, 0, 0
        for i, (a, b) in enumerate(zip(ours, official)):
            x, y = a[k], b[k]
            if x is None:
                continue
            if x.shape != y.shape:
                shape_mismatch += 1
                bad.append((ids[i], label, "shape"))
                continue
            d = int(np.abs(x.astype(np.int16) - y.astype(np.int16)).max())
            same += d == 0
            max_diff = max(max_diff, d)
            if d:
                bad.append((ids[i], label, d))
        n = sum(a[k] is not None for a in ours)
        if n:
            out[label] = {"identical": same, "of": n, "max_abs_diff": max_diff}
            if shape_mismatch:
                out[label]["shape_mismatch"] = shape_mismatch
    out["all_identical"] = all(v["identical"] == v["of"] for v in out.values())
    if bad:
        out["first_differences"] = [list(b) for b in bad[:20]]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--official", required=True, type=Path, help="path to the official competition_metrics.py")
    ap.add_argument("--out", default="benchmarks/results/official.json")
    ap.add_argument("--n", type=int, default=60, help="size of the generated set before adding sanitized forms")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--wait-idle",
        type=float,
        default=0.0,
        metavar="S",
        help="first wait up to S seconds for other processes to leave the CPUs idle",
    )
    args = ap.parse_args()
    idle = wait_idle(args.wait_idle) if args.wait_idle > 0 else None
    t_start = time.perf_counter()

    ns, official_info = load_official(args.official)

    # ---- the SVG set: valid raw SVGs and every sanitized form ---------------------------------
    svgs, cats, seen = [], [], set()
    for cat, raw in build_set(args.n, args.seed):
        for label, text in ((cat, raw), (cat + ":sanitized", sanitize(raw).svg)):
            if text not in seen and validate(text).valid:
                seen.add(text)
                svgs.append(text)
                cats.append(label)
    ids = [f"svg{i:04d}" for i in range(len(svgs))]
    seed_of = description_seeds(ids, random_seed=0)
    seeds = [seed_of[i] for i in ids]

    report = Report("render + defenses vs the official metric code", started=t_start)
    report.update(
        {
            "python_executable": sys.executable,
            "load_at_start": load_info(),
            "wait_idle": idle,
            "official": official_info,
            "params": {
                "n_generated": args.n,
                "seed": args.seed,
                "workers": args.workers,
                "size": 384,
                "seeds": "svg_agent.defenses.description_seeds(ids, random_seed=0)",
            },
            "set": {
                "n": len(svgs),
                "no_viewBox": sum("viewBox" not in s for s in svgs),
                "raw_valid": sum(not c.endswith(":sanitized") for c in cats),
                "sanitized": sum(c.endswith(":sanitized") for c in cats),
                "mean_bytes": int(np.mean([len(s.encode()) for s in svgs])),
            },
        }
    )

    # warm-up of every path (imports, FFT, JPEG, fonts)
    warm = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9"><rect width="5" height="5" fill="red"/></svg>'
    official_one(ns, warm, 1)
    defend(render_image(warm), 1)

    # ---- ours, 2 worker processes ---------------------------------------------------------------
    gc.collect()
    with RenderPool(workers=args.workers, cache_items=0) as pool:
        pool.render_many(
            [warm.replace('"5"', f'"{k + 1}"') for k in range(2 * args.workers)],
            defend=True,
            seeds=list(range(2 * args.workers)),
        )
        with MemorySampler(children=True) as mem:
            t = time.perf_counter()
            res = pool.render_many(svgs, defend=True, seeds=seeds, progress=True)
            wall_pool = time.perf_counter() - t
    ours_pool = [(r.image, r.defended, r.ocr_image) for r in res]
    errors = [(ids[i], r.error) for i, r in enumerate(res) if not r.ok]
    report["ours_pool"] = {
        "workers": args.workers,
        "n": len(svgs),
        "svgs_per_s": rnd(len(svgs) / wall_pool, 2),
        "wall_s": rnd(wall_pool, 3),
        **latency_stats(r.seconds for r in res),
        **mem.to_dict(),
    }
    if errors:
        report["ours_pool"]["errors"] = errors[:10]
    del res

    # ---- ours, single process -------------------------------------------------------------------
    def ours_one(i):
        img = render_image(svgs[i])
        d = defend(img, seeds[i])
        return np.asarray(img), d.image, d.ocr_image

    gc.collect()
    with MemorySampler() as mem:
        ours_single, secs, wall = timed(ours_one, range(len(svgs)), "ours 1 process")
    report["ours_single_process"] = {
        "n": len(svgs),
        "svgs_per_s": rnd(len(svgs) / wall, 2),
        "wall_s": rnd(wall, 3),
        "cv2_threads": cv2.getNumThreads(),
        **latency_stats(secs),
        **mem.to_dict(),
    }

    # ---- official, single process ---------------------------------------------------------------
    gc.collect()
    with MemorySampler() as mem:
        official, secs, wall = timed(lambda i: official_one(ns, svgs[i], seeds[i]), range(len(svgs)), "official")
    report["official_single_process"] = {
        "n": len(svgs),
        "svgs_per_s": rnd(len(svgs) / wall, 2),
        "wall_s": rnd(wall, 3),
        **latency_stats(secs),
        **mem.to_dict(),
    }

    # ---- identity and speed-ups -----------------------------------------------------------------
    for i, r in enumerate(ours_pool):
        if r[0] is None:  # a failed render: compare nothing, count as different
            ours_pool[i] = (np.zeros((0,), np.uint8),) * 3
    report["identity"] = {
        "ours_pool_vs_official": compare("pool", ours_pool, official, ids),
        "ours_single_vs_official": compare("single", ours_single, official, ids),
    }
    off = report["official_single_process"]["svgs_per_s"]
    report["speedup_vs_official"] = {
        "target_pool": 4.0,
        f"ours_pool_{args.workers}w": rnd(report["ours_pool"]["svgs_per_s"] / off, 2),
        "ours_single_process": rnd(report["ours_single_process"]["svgs_per_s"] / off, 2),
    }
    report["load_at_end"] = load_info()

    out = report.write(args.out)
    print(json.dumps({k: report[k] for k in ("set", "identity", "speedup_vs_official", "total_seconds")}, indent=1))
    for k in ("official_single_process", "ours_single_process", "ours_pool"):
        v = report[k]
        print(
            f"{k:26s} {v['svgs_per_s']:8.2f} svg/s  p50 {v['p50_ms']:7.1f} ms  p95 {v['p95_ms']:7.1f} ms"
            f"  other-cpu {v.get('other_processes_cpu_share')}"
        )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
