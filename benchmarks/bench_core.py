"""python benchmarks/bench_core.py --out benchmarks/results/core.json [--n 120] [--repeats 2] [--seed 0] [--wait-idle 300]

Benchmarks the SVG core on a deterministic, varied SVG set built here (see svg_agent.svgset.build_set):
validate and sanitize on the raw texts; then, on the sanitized SVGs (what the pipeline renders),
in-process cairosvg `render_image` (with and without `defend`), `RenderPool` with 1 and 2
workers (with and without `defend=True`), resvg; the sandbox cost as pool / in-process
throughput; cairosvg vs resvg pixel differences; and compaction (bytes and render change that
sanitize causes on verbose and oversized SVGs, plus per category).

Throughput is SVGs per second over one timed pass, best of --repeats passes (passes interleave the
methods so background noise hits them alike); latencies are per-SVG (for pools, RenderResult.seconds:
queueing, transfer and work). Pools are timed after a warm-up (worker start-up is reported apart)
with cache_items=0 on distinct SVGs, so the content cache never serves a timed render. Memory is the
peak RSS sampled every 20 ms: this process, and for pools the workers (sum and largest).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections import defaultdict

import numpy as np
from harness import (
    MemorySampler,
    Report,
    latency_stats,
    load_info,
    pixel_diff,
    rnd,
    timed,
    wait_idle,
)
from tqdm import tqdm

from svg_agent.constraints import validate
from svg_agent.defenses import defend
from svg_agent.render import RenderPool, render_image, render_resvg
from svg_agent.sanitize import sanitize
from svg_agent.svgset import CATEGORIES, COMPACTION_CATEGORIES, build_set

WARMUP = [
    f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="{i + 1}" height="9"/></svg>'
    for i in range(64)
]


def summary(name: str, n: int, wall: float, secs, mem: dict | None = None, errors: int = 0, **extra) -> dict:
    out = {"n": n, "svgs_per_s": rnd(n / wall, 2), "wall_s": rnd(wall, 3), **latency_stats(secs)}
    if errors:
        out["errors"] = errors
    if mem:
        out.update(mem)
    out.update(extra)
    return out


def bench_inprocess(
    svgs, seeds, defend_too: bool, cv2_threads: int | None = None, keep: bool = True
) -> tuple[dict, list]:
    """render_image (+ defend) in this process; cv2_threads=1 matches what a pool worker allows itself."""
    import cv2

    def one(i):
        img = render_image(svgs[i])
        if defend_too:
            d = defend(img, seeds[i])
            return (d.image, d.ocr_image) if keep else None
        return np.asarray(img) if keep else None

    before = cv2.getNumThreads()
    if cv2_threads is not None:
        cv2.setNumThreads(cv2_threads)
    gc.collect()
    try:
        with MemorySampler() as mem:
            outs, secs, wall = timed(one, range(len(svgs)), "cairosvg+defend" if defend_too else "cairosvg")
    finally:
        cv2.setNumThreads(before)
    out = summary("inprocess", len(svgs), wall, secs, mem.to_dict(), cv2_threads=cv2_threads or before)
    if not defend_too:
        out["_secs"] = secs
    return out, outs


def bench_pool(svgs, seeds, workers: int, defend_too: bool) -> tuple[dict, list]:
    gc.collect()
    t0 = time.perf_counter()
    pool = RenderPool(workers=workers, cache_items=0)
    try:
        # Start every worker and load its imports before timing.
        pool.render_many(WARMUP[: 4 * workers], defend=defend_too, seeds=list(range(4 * workers)))
        startup = time.perf_counter() - t0
        with MemorySampler(children=True) as mem:
            t = time.perf_counter()
            res = pool.render_many(svgs, defend=defend_too, seeds=seeds if defend_too else None, progress=True)
            wall = time.perf_counter() - t
        cached = sum(r.cached for r in res)
    finally:
        pool.close()
    s = summary(
        "pool",
        len(svgs),
        wall,
        [r.seconds for r in res],
        mem.to_dict(),
        errors=sum(not r.ok for r in res),
        startup_s=rnd(startup, 3),
    )
    if cached:
        s["cached_results"] = cached  # should be 0: distinct SVGs and cache_items=0
    return s, res


def cache_check() -> dict:
    """How the content cache behaves with cache_items=0 and with the default size."""
    svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9"><circle cx="4" cy="4" r="3"/></svg>'
    out = {}
    for items in (0, 1024):
        with RenderPool(workers=1, cache_items=items) as pool:
            a = pool.render_many([svg, svg])
            b = pool.render_many([svg])
            out[f"cache_items={items}"] = {
                "same_call_duplicates_rendered_once": a[0] is a[1],
                "second_call_cached": b[0].cached,
                "cache_len_after": pool.cached,
            }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="benchmarks/results/core.json")
    ap.add_argument("--n", type=int, default=120, help="SVGs in the set (default 120)")
    ap.add_argument("--repeats", type=int, default=2, help="timed passes per render method (best kept)")
    ap.add_argument("--seed", type=int, default=0)
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

    raw = build_set(args.n, args.seed)
    cats = [c for c, _ in raw]
    texts = [s for _, s in raw]
    report = Report("svg_agent core", started=t_start)
    report.update(
        {
            "python_executable": sys.executable,
            "load_at_start": load_info(),
            "wait_idle": idle,
            "params": {"n": args.n, "repeats": args.repeats, "seed": args.seed, "size": 384},
            "set": {
                c: {"count": cats.count(c), "mean_bytes": int(np.mean([len(t.encode()) for cc, t in raw if cc == c]))}
                for c in CATEGORIES
            },
        }
    )

    # ---- validate and sanitize on the raw texts -----------------------------------------------
    timed(validate, texts[:20], "warm-up", progress=False)
    timed(sanitize, texts[:20], "warm-up", progress=False)
    vals, vsecs, vwall = timed(validate, texts, "validate")
    with MemorySampler() as mem:
        sans, ssecs, swall = timed(sanitize, texts, "sanitize")
    by_cat = defaultdict(list)
    for c, s in zip(cats, ssecs):
        by_cat[c].append(s)
    report["validate"] = summary("validate", len(texts), vwall, vsecs, valid=sum(v.valid for v in vals))
    report["sanitize"] = summary(
        "sanitize",
        len(texts),
        swall,
        ssecs,
        mem.to_dict(),
        all_outputs_valid=all(validate(r.svg).valid for r in sans),
        fallbacks=sum(r.fallback for r in sans),
        mean_ms_by_category={c: rnd(1000 * np.mean(v), 3) for c, v in by_cat.items()},
    )

    # ---- render set: the sanitized SVGs, de-duplicated ---------------------------------------
    seen, svgs, svg_cats = set(), [], []
    for c, r in zip(cats, sans):
        if r.svg not in seen:
            seen.add(r.svg)
            svgs.append(r.svg)
            svg_cats.append(c)
    seeds = [int(s) for s in np.random.RandomState(args.seed).randint(0, np.iinfo(np.int32).max, len(svgs))]
    report["render_set"] = {
        "n": len(svgs),
        "duplicates_dropped": len(texts) - len(svgs),
        "mean_bytes": int(np.mean([len(s.encode()) for s in svgs])),
    }
    report["cache_check"] = cache_check()

    cat_ms = defaultdict(list)
    # warm the in-process path (imports, fonts, FFT plans)
    for s in WARMUP[:4]:
        defend(render_image(s), 0)
    render_resvg(WARMUP[0])

    runs = defaultdict(list)
    pool_identical = {}
    ref_images = ref_defended = None
    for _rep in tqdm(range(args.repeats), desc="repeats", unit="pass"):
        ref_images = ref_defended = None
        gc.collect()
        s, ref_images = bench_inprocess(svgs, seeds, False)
        runs["cairosvg_inprocess"].append(s)
        s, ref_defended = bench_inprocess(svgs, seeds, True)
        runs["cairosvg_inprocess+defend"].append(s)
        s, _ = bench_inprocess(svgs, seeds, True, cv2_threads=1, keep=False)
        runs["cairosvg_inprocess+defend_cv2_1thread"].append(s)
        for w in (1, 2):
            s, res = bench_pool(svgs, seeds, w, False)
            runs[f"pool_{w}w"].append(s)
            pool_identical[f"pool_{w}w_image"] = sum(
                r.ok and np.array_equal(r.image, a) for r, a in zip(res, ref_images)
            )
            del res
            s, res = bench_pool(svgs, seeds, w, True)
            runs[f"pool_{w}w+defend"].append(s)
            pool_identical[f"pool_{w}w+defend_defended_and_ocr"] = sum(
                r.ok and np.array_equal(r.defended, d) and np.array_equal(r.ocr_image, o)
                for r, (d, o) in zip(res, ref_defended)
            )
            del res
        gc.collect()
        with MemorySampler() as mem:
            _, rsecs, rwall = timed(lambda x: (render_resvg(x), None)[1], svgs, "resvg")
        runs["resvg_inprocess"].append(summary("resvg", len(svgs), rwall, rsecs, mem.to_dict()))
        for c, a, b in zip(svg_cats, runs["cairosvg_inprocess"][-1].pop("_secs"), rsecs):
            cat_ms[c].append((a, b))
    ref_defended = None

    best = {k: max(v, key=lambda s: s["svgs_per_s"]) for k, v in runs.items()}
    for k, v in runs.items():
        best[k]["svgs_per_s_all_passes"] = [s["svgs_per_s"] for s in v]
    report["render"] = best
    report["pool_vs_inprocess_pixel_identical"] = {k: f"{v}/{len(svgs)}" for k, v in pool_identical.items()}
    ip, ipd = best["cairosvg_inprocess"]["svgs_per_s"], best["cairosvg_inprocess+defend"]["svgs_per_s"]
    report["sandbox_ratio"] = {
        "target": 0.5,
        "render_1w": rnd(best["pool_1w"]["svgs_per_s"] / ip, 3),
        "render_2w": rnd(best["pool_2w"]["svgs_per_s"] / ip, 3),
        "render+defend_1w": rnd(best["pool_1w+defend"]["svgs_per_s"] / ipd, 3),
        "render+defend_2w": rnd(best["pool_2w+defend"]["svgs_per_s"] / ipd, 3),
        "render+defend_1w_vs_inprocess_cv2_1thread": rnd(
            best["pool_1w+defend"]["svgs_per_s"] / best["cairosvg_inprocess+defend_cv2_1thread"]["svgs_per_s"], 3
        ),
        "note": "pool throughput / in-process cairosvg throughput on the same SVGs (same mode). Workers run "
        "OpenCV with 1 thread; the in-process default uses every core for median/bilateral.",
    }

    # ---- cairosvg vs resvg -------------------------------------------------------------------
    diffs = []
    for i, s in enumerate(tqdm(svgs, desc="resvg diff", unit="svg", leave=False)):
        m, share = pixel_diff(ref_images[i], np.asarray(render_resvg(s)))
        diffs.append((m, share, i))
    mad = np.array([d[0] for d in diffs])
    shr = np.array([d[1] for d in diffs])
    worst = max(diffs)
    per_cat = defaultdict(list)
    for m, share, i in diffs:
        per_cat[svg_cats[i]].append((m, share))
    report["cairosvg_vs_resvg"] = {
        "cairosvg_svgs_per_s": ip,
        "resvg_svgs_per_s": best["resvg_inprocess"]["svgs_per_s"],
        "mean_ms_by_category": {
            c: {
                "cairosvg": rnd(1000 * np.mean([a for a, _ in v]), 2),
                "resvg": rnd(1000 * np.mean([b for _, b in v]), 2),
            }
            for c, v in cat_ms.items()
        },
        "mean_abs_diff": {"mean": rnd(mad.mean()), "p95": rnd(np.percentile(mad, 95)), "max": rnd(mad.max())},
        "share_px_diff_gt16": {
            "mean": rnd(shr.mean(), 5),
            "p95": rnd(np.percentile(shr, 95), 5),
            "max": rnd(shr.max(), 5),
        },
        "identical_svgs": int((mad == 0).sum()),
        "worst": {
            "category": svg_cats[worst[2]],
            "index": worst[2],
            "mean_abs_diff": rnd(worst[0]),
            "share_px_diff_gt16": rnd(worst[1], 5),
            "bytes": len(svgs[worst[2]].encode()),
        },
        "by_category": {
            c: {
                "mean_abs_diff": rnd(np.mean([x[0] for x in v])),
                "max_abs_diff": rnd(max(x[0] for x in v)),
                "max_share_gt16": rnd(max(x[1] for x in v), 5),
            }
            for c, v in per_cat.items()
        },
        "note": "mean |cairosvg - resvg| over all pixels and channels (0..255); share = pixels whose "
        "largest channel difference > 16; resvg skips system fonts",
    }

    # ---- compaction: bytes and render change caused by sanitize --------------------------------
    comp = defaultdict(list)
    render_diff_cats = [c for c in CATEGORIES if c not in ("raw_fenced", "raw_truncated")]
    for i in tqdm(range(len(texts)), desc="compaction", unit="svg", leave=False):
        c = cats[i]
        if c not in render_diff_cats:
            continue
        before, after = len(texts[i].encode()), sans[i].bytes
        a = np.asarray(render_image(texts[i]))
        b = np.asarray(render_image(sans[i].svg))
        m, share = pixel_diff(a, b)
        # the same sanitize with no byte pressure: what compaction alone (no pruning) changes
        m_free, _ = pixel_diff(a, np.asarray(render_image(sanitize(texts[i], max_bytes=10**6).svg)))
        comp[c].append(
            {
                "before": before,
                "after": after,
                "saving": 1 - after / before,
                "diff": m,
                "share": share,
                "diff_unbounded": m_free,
                "pruned": any(n.startswith("pruned") for n in sans[i].notes),
                "precision": sans[i].precision,
                "i": i,
            }
        )

    def comp_summary(rows):
        sv = np.array([r["saving"] for r in rows])
        df = np.array([r["diff"] for r in rows])
        w = max(rows, key=lambda r: r["diff"])
        return {
            "n": len(rows),
            "bytes_before_mean": int(np.mean([r["before"] for r in rows])),
            "bytes_after_mean": int(np.mean([r["after"] for r in rows])),
            "saving_pct_mean": rnd(100 * sv.mean(), 2),
            "saving_pct_worst": rnd(100 * sv.min(), 2),
            "saving_pct_best": rnd(100 * sv.max(), 2),
            "render_mean_abs_diff_mean": rnd(df.mean()),
            "render_mean_abs_diff_worst": rnd(df.max()),
            "render_share_px_gt16_worst": rnd(max(r["share"] for r in rows), 5),
            "render_mean_abs_diff_no_byte_limit_mean": rnd(np.mean([r["diff_unbounded"] for r in rows])),
            "render_mean_abs_diff_no_byte_limit_worst": rnd(max(r["diff_unbounded"] for r in rows)),
            "pruned": sum(r["pruned"] for r in rows),
            "precisions": sorted({r["precision"] for r in rows}),
            "worst_index": w["i"],
        }

    report["compaction"] = {
        "note": "before = raw bytes, after = sanitize() bytes; diff = mean |render(raw) - render(sanitized)| "
        "(in-process cairosvg, 0..255); *_no_byte_limit = the same with sanitize(max_bytes=10**6), i.e. "
        "compaction without pruning. Every generated drawing has an opaque background, so the "
        "background sanitize adds for transparent SVGs does not enter these figures.",
        "verbose+oversized": comp_summary([r for c in COMPACTION_CATEGORIES for r in comp[c]]),
        **{c: comp_summary(comp[c]) for c in COMPACTION_CATEGORIES},
        "other_categories": {
            c: {k: v for k, v in comp_summary(comp[c]).items() if k != "worst_index"}
            for c in render_diff_cats
            if c not in COMPACTION_CATEGORIES
        },
    }
    report["load_at_end"] = load_info()

    out = report.write(args.out)
    print(json.dumps({k: report[k] for k in ("render_set", "sandbox_ratio", "total_seconds")}, indent=1))
    for k, v in report["render"].items():
        print(
            f"{k:38s} {v['svgs_per_s']:8.1f} svg/s  p50 {v['p50_ms']:7.1f} ms  p95 {v['p95_ms']:7.1f} ms"
            f"  other-cpu {v.get('other_processes_cpu_share')}"
        )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
