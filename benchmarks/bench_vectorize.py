"""python benchmarks/bench_vectorize.py --out benchmarks/results/vectorize.json [--repeats 2] [--scenes 3000] [--wait-idle 300] [--grid benchmarks/results/vectorize_side_by_side.png]

Benchmarks image -> SVG tracing under the competition's 10,000-byte budget against vtracer, where
the scorer looks (384 px, colour, after the defenses), and the procedural scene generator.

Images, reported as two sets:
- photos: the scikit-image samples astronaut, coffee, chelsea, rocket (RGB);
- flat: benchmarks/images/flat/*.svg, hand-written flat illustrations held out from every part of
  the project, rendered by cairosvg at 512 x 512 (the raster is the source; the SVG is never seen).
The reference for every score is the source resized to 384 x 384 (INTER_AREA, stretched to a
square as the scorer does).

Methods, per image:
1. ours: `vectorize.trace.vectorize_image(image, max_bytes=10000)`.
2. vtracer (PyPI `vtracer`, convert_raw_image_to_svg on a PNG of the source resized to a SIDE x
   SIDE square; for SIDE != 384 a viewBox="0 0 SIDE SIDE" width/height=384 root maps its grid onto
   the canvas). Its text is never valid as it stands (its root carries version="1.1", which the
   scorer rejects), so each SVG goes through `svg_agent.sanitize.sanitize(svg, max_bytes=10000)`.
   The grid: 8 families (SIDE 384/192 x mode spline/polygon x hierarchical stacked/cutout) x the
   20 rungs of VT_LADDER (color_precision, layer_difference, filter_speckle, length_threshold)
   = 160 settings; a setting counts when its sanitized text fits with no shape pruned.
   `vtracer` = the fitting setting with the best 384 px colour SSIM to the source: an oracle choice
   by the target figure itself, which favours vtracer (ours picks blind of the scorer's metric).

Scores of each SVG's cairosvg render (`svg_agent.render.render_image`, 384 px, in process):
- ssim384: colour SSIM (skimage.metrics.structural_similarity, channel_axis=2, data_range 255, 7 x 7
  window) of the render against the 384 px source;
- ssim_defended: the same between `defend(render, seed).image` and `defend(source, seed).image`
  (the competition's defenses, the image the judge sees), seed = description_seeds(names)[name];
- ssim64_gray: grey SSIM at 64 x 64 (INTER_AREA), the figure earlier versions reported, beside.
Seconds per image for ours: best of --repeats calls, timed in process on one core (the process
pinned to one CPU, BLAS/OpenMP pools limited to one thread).

Targets (the issue), per set: every SVG of ours valid and under 10,000 bytes; mean over images of
ours/vtracer ssim384 >= 1.05; mean ssim_defended ratio >= 1.0; no flat image below 0.95 x; under
1 s per image. --grid writes source | ours | vtracer for every image.

Scenes: `vectorize.scenes.generate_scenes(N, seed=0)` consumed whole: records per second (best of
--repeats), duplicate descriptions and duplicate SVGs, validity (`validate`, must be 100 %),
byte distribution, question sanity (answer among choices).
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import statistics
import time
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
from harness import CANVAS, REPO, MemorySampler, Report, load_info, machine_info, rnd, wait_idle
from skimage.metrics import structural_similarity

from svg_agent.constraints import validate
from svg_agent.defenses import defend, description_seeds
from svg_agent.render import render_image
from svg_agent.sanitize import sanitize
from vectorize.trace import vectorize_image

BUDGET = 10_000
PHOTOS = ["astronaut", "coffee", "chelsea", "rocket"]
FLAT_DIR = REPO / "benchmarks" / "images" / "flat"
FLAT_SIDE = 512
# (color_precision, layer_difference, filter_speckle, length_threshold), detailed -> coarse.
# Rung 0 is vtracer's default (6, 16, 4, 4.0).
VT_LADDER = [
    (6, 16, 4, 4.0),
    (6, 16, 6, 4.0),
    (6, 16, 8, 5.0),
    (5, 24, 8, 5.0),
    (5, 24, 12, 5.0),
    (5, 32, 12, 6.0),
    (5, 32, 16, 6.0),
    (4, 32, 16, 6.0),
    (4, 40, 20, 7.0),
    (4, 48, 24, 8.0),
    (4, 48, 32, 8.0),
    (4, 64, 32, 8.0),
    (3, 64, 32, 10.0),
    (3, 64, 48, 10.0),
    (3, 80, 48, 10.0),
    (3, 96, 64, 10.0),
    (2, 96, 64, 10.0),
    (2, 128, 96, 10.0),
    (2, 128, 160, 10.0),
    (1, 128, 256, 10.0),
]
VT_FAMILIES = [
    (side, mode, hier) for side in (384, 192) for mode in ("spline", "polygon") for hier in ("stacked", "cutout")
]
# Compacting vtracer's text saves well under 60 %: larger raw texts cannot fit.
SKIP_RAW_OVER = int(2.5 * BUDGET)


# ---------------------------------------------------------------------------------------------
# Images and scores
# ---------------------------------------------------------------------------------------------


def load_images() -> dict[str, tuple[str, np.ndarray]]:
    """name -> (set, RGB uint8 source)."""
    import cairosvg
    import skimage.data
    from PIL import Image

    out = {}
    for name in PHOTOS:
        im = np.asarray(getattr(skimage.data, name)())
        out[name] = ("photos", np.ascontiguousarray(im[:, :, :3]).astype(np.uint8))
    for path in sorted(FLAT_DIR.glob("*.svg")):
        png = cairosvg.svg2png(url=str(path), output_width=FLAT_SIDE, output_height=FLAT_SIDE)
        out["flat_" + path.stem] = ("flat", np.asarray(Image.open(io.BytesIO(png)).convert("RGB")))
    return out


def ssim_color(a: np.ndarray, b: np.ndarray) -> float:
    return float(structural_similarity(a, b, channel_axis=2, data_range=255))


def gray64(a: np.ndarray) -> np.ndarray:
    return cv2.resize(cv2.cvtColor(np.asarray(a), cv2.COLOR_RGB2GRAY), (64, 64), interpolation=cv2.INTER_AREA)


class Reference:
    """The source at 384 px and what the scores compare against."""

    def __init__(self, image: np.ndarray, seed: int):
        self.src = cv2.resize(image, (CANVAS, CANVAS), interpolation=cv2.INTER_AREA)
        self.seed = seed
        self.defended = np.asarray(defend(self.src, seed).image)
        self.g64 = gray64(self.src)

    def ssim384(self, svg: str) -> float:
        return ssim_color(np.asarray(render_image(svg)), self.src)

    def score(self, svg: str) -> dict:
        r = np.asarray(render_image(svg))
        return {
            "ssim384": rnd(ssim_color(r, self.src)),
            "ssim_defended": rnd(ssim_color(np.asarray(defend(r, self.seed).image), self.defended)),
            "ssim64_gray": rnd(structural_similarity(gray64(r), self.g64, data_range=255)),
        }


def one_core():
    """Pin this process to one CPU and limit native thread pools to one thread; returns an undo."""
    from threadpoolctl import threadpool_limits

    before = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    if before:
        os.sched_setaffinity(0, {min(before)})
    limits = threadpool_limits(1)
    cv_threads = cv2.getNumThreads()
    cv2.setNumThreads(1)

    def undo():
        limits.restore_original_limits()
        cv2.setNumThreads(cv_threads)
        if before:
            os.sched_setaffinity(0, before)

    return undo


# ---------------------------------------------------------------------------------------------
# vtracer
# ---------------------------------------------------------------------------------------------


def png_square(image: np.ndarray, side: int) -> bytes:
    sm = cv2.resize(image, (side, side), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".png", cv2.cvtColor(sm, cv2.COLOR_RGB2BGR))
    assert ok
    return buf.tobytes()


def vtracer_svg(png: bytes, side: int, mode: str, hier: str, rung) -> str:
    import vtracer

    cp, ld, fs, lt = rung
    svg = vtracer.convert_raw_image_to_svg(
        png,
        img_format="png",
        colormode="color",
        hierarchical=hier,
        mode=mode,
        filter_speckle=fs,
        color_precision=cp,
        layer_difference=ld,
        corner_threshold=60,
        length_threshold=lt,
        splice_threshold=45,
        path_precision=1,
    )
    if side != CANVAS:  # vtracer writes width/height only; map its pixel grid onto the 384 canvas
        svg = svg.replace(
            f'width="{side}" height="{side}"', f'viewBox="0 0 {side} {side}" width="{CANVAS}" height="{CANVAS}"', 1
        )
    return svg


def vtracer_best(image: np.ndarray, ref: Reference) -> dict:
    """Every setting of the grid that fits unpruned, scored; the best by ssim384."""
    pngs = {side: png_square(image, side) for side in (CANVAS, 192)}
    best, fitting, t0 = None, 0, time.perf_counter()
    for side, mode, hier in VT_FAMILIES:
        for i, rung in enumerate(VT_LADDER):
            raw = vtracer_svg(pngs[side], side, mode, hier, rung)
            if len(raw.encode()) > SKIP_RAW_OVER:
                continue
            s = sanitize(raw, max_bytes=BUDGET)
            if s.fallback or any(n.startswith("pruned ") for n in s.notes):
                continue
            fitting += 1
            score = ref.ssim384(s.svg)
            if best is None or score > best["ssim384_search"]:
                best = {
                    "svg": s.svg,
                    "family": [side, mode, hier],
                    "rung": i,
                    "setting": list(rung),
                    "raw_bytes": len(raw.encode()),
                    "ssim384_search": score,
                }
    return {
        **(best or {}),
        "settings_fitting": fitting,
        "settings_tried": len(VT_FAMILIES) * len(VT_LADDER),
        "search_seconds": rnd(time.perf_counter() - t0, 1),
    }


# ---------------------------------------------------------------------------------------------
# Side by side
# ---------------------------------------------------------------------------------------------


def side_by_side(rows: list[tuple[str, np.ndarray, str, str, dict, dict]], path: Path, tile: int = 256) -> None:
    """One row per image: source | ours | vtracer, captioned with ssim384 and bytes."""
    from PIL import Image, ImageDraw

    cap = 28
    sheet = Image.new("RGB", (3 * tile, len(rows) * (tile + cap)), "white")
    draw = ImageDraw.Draw(sheet)
    for r, (name, src, ours, vt, so, sv) in enumerate(rows):
        y = r * (tile + cap)
        tiles = [Image.fromarray(src), render_image(ours), render_image(vt)]
        labels = [
            name,
            f"ours {so['ssim384']:.3f}, {len(ours.encode())} B",
            f"vtracer {sv['ssim384']:.3f}, {len(vt.encode())} B",
        ]
        for c, (im, text) in enumerate(zip(tiles, labels)):
            sheet.paste(im.resize((tile, tile)), (c * tile, y + cap))
            draw.text((c * tile + 4, y + 8), text, fill="black")
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)


# ---------------------------------------------------------------------------------------------
# Scenes
# ---------------------------------------------------------------------------------------------


def bench_scenes(n: int, repeats: int) -> dict:
    from vectorize.scenes import generate_scenes

    list(generate_scenes(50, seed=1))  # warm-up
    best, scenes = float("inf"), []
    with MemorySampler() as mem:
        for _ in range(max(1, repeats)):
            gc.collect()
            t = time.perf_counter()
            scenes = list(generate_scenes(n, seed=0))
            best = min(best, time.perf_counter() - t)
    descs = Counter(s.description for s in scenes)
    svgs = Counter(s.svg for s in scenes)
    by_svg: dict[str, list[str]] = {}
    for s in scenes:
        by_svg.setdefault(s.svg, []).append(s.description)
    dup_groups = [d for d in by_svg.values() if len(d) > 1]
    sizes = np.array([len(s.svg.encode()) for s in scenes])
    valid = [validate(s.svg).valid for s in scenes]
    questions = [q for s in scenes for q in s.questions]
    q_ok = sum(
        q["answer"] in q["choices"] and len(q["choices"]) in (2, 4) and len(set(q["choices"])) == len(q["choices"])
        for q in questions
    )
    return {
        "n": len(scenes),
        "seconds": rnd(best, 3),
        "records_per_s": rnd(len(scenes) / best, 1),
        "duplicate_descriptions": sum(c - 1 for c in descs.values()),
        "duplicate_svgs": sum(c - 1 for c in svgs.values()),
        "duplicate_svg_rate": rnd(sum(c - 1 for c in svgs.values()) / len(scenes), 4),
        "duplicate_svg_examples": dup_groups[:3],
        "valid": sum(valid),
        "validity_rate": rnd(sum(valid) / len(scenes), 4),
        "bytes": {
            "min": int(sizes.min()),
            "p50": int(np.percentile(sizes, 50)),
            "p95": int(np.percentile(sizes, 95)),
            "max": int(sizes.max()),
        },
        "families": dict(Counter(s.family for s in scenes)),
        "family_groups": dict(
            Counter(s.family if s.family in ("abstract", "landscape") else "garment" for s in scenes)
        ),
        "questions": len(questions),
        "questions_well_formed": q_ok,
        "memory": mem.to_dict(),
    }


# ---------------------------------------------------------------------------------------------


def to_json(obj, depth: int = 0, open_levels: int = 3) -> str:
    """Indented for the first `open_levels` levels, each deeper value on one line (a small file)."""
    if depth >= open_levels or not isinstance(obj, (dict, list)) or not obj:
        return json.dumps(obj, separators=(", ", ": "))
    pad, inner = " " * depth, " " * (depth + 1)
    if isinstance(obj, dict):
        items = [f"{inner}{json.dumps(k)}: {to_json(v, depth + 1, open_levels)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    items = [inner + to_json(v, depth + 1, open_levels) for v in obj]
    return "[\n" + ",\n".join(items) + f"\n{pad}]"


def mean(xs) -> float:
    xs = list(xs)
    return rnd(statistics.fmean(xs)) if xs else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="benchmarks/results/vectorize.json")
    ap.add_argument("--repeats", type=int, default=2, help="timed calls per image (best kept)")
    ap.add_argument("--scenes", type=int, default=3000, help="records drawn from generate_scenes (0: skip)")
    ap.add_argument(
        "--grid",
        default="benchmarks/results/vectorize_side_by_side.png",
        help="side-by-side sheet (source, ours, vtracer); empty: none",
    )
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
    from importlib import metadata

    import vtracer  # noqa: F401  (fail early when missing)

    images = load_images()
    if not any(kind == "flat" for kind, _ in images.values()):
        raise SystemExit(f"no flat illustrations under {FLAT_DIR}")
    report = Report(
        "vectorize vs vtracer under a 10,000-byte budget (384 px colour SSIM, defended), and procedural scenes",
        started=t_start,
    )
    report.update(
        {
            "machine": {
                **machine_info(),
                "scikit-learn": metadata.version("scikit-learn"),
                "scikit-image": metadata.version("scikit-image"),
                "vtracer": metadata.version("vtracer"),
            },
            "load_at_start": load_info(),
            "wait_idle": idle,
            "params": {
                "budget_bytes": BUDGET,
                "photos": PHOTOS,
                "flat": sorted(n for n, (k, _) in images.items() if k == "flat"),
                "flat_render_side": FLAT_SIDE,
                "repeats": args.repeats,
                "canvas": CANVAS,
                "ssim384": "skimage structural_similarity, channel_axis=2, data_range 255, 7 x 7 window, 384 px",
                "vt_ladder": VT_LADDER,
                "vt_families": VT_FAMILIES,
                "vt_skip_raw_over": SKIP_RAW_OVER,
            },
        }
    )
    seeds = description_seeds(list(images))
    refs = {n: Reference(img, seeds[n]) for n, (_, img) in images.items()}
    vectorize_image(np.zeros((16, 16, 3), np.uint8))  # imports (scikit-learn), first k-means

    rows, sheet = {}, []
    with MemorySampler() as mem:
        for name, (kind, img) in images.items():
            undo = one_core()
            try:
                best_s, res = float("inf"), None
                for _ in range(max(1, args.repeats)):
                    gc.collect()
                    t = time.perf_counter()
                    res = vectorize_image(img, max_bytes=BUDGET)
                    best_s = min(best_s, time.perf_counter() - t)
            finally:
                undo()
            ours = {
                "bytes": res.bytes,
                "valid": validate(res.svg, max_bytes=BUDGET).valid,
                "seconds_one_core": rnd(best_s, 3),
                "settings": res.settings.__dict__,
                "candidates": res.tried,
                **refs[name].score(res.svg),
            }
            vt = vtracer_best(img, refs[name])
            vt_svg = vt.pop("svg", None)
            vt_row = {k: v for k, v in vt.items() if k != "ssim384_search"}
            if vt_svg:
                vt_row.update(
                    bytes=len(vt_svg.encode()),
                    valid=validate(vt_svg, max_bytes=BUDGET).valid,
                    **refs[name].score(vt_svg),
                )
                sheet.append((name, refs[name].src, res.svg, vt_svg, ours, vt_row))
            row = {"set": kind, "shape": list(img.shape[:2]), "ours": ours, "vtracer": vt_row}
            if vt_svg:
                row["ratio"] = {k: rnd(ours[k] / vt_row[k], 3) for k in ("ssim384", "ssim_defended", "ssim64_gray")}
            rows[name] = row
            print(
                json.dumps(
                    {
                        name: {
                            "ours": {k: ours[k] for k in ("ssim384", "ssim_defended", "bytes", "seconds_one_core")},
                            "vtracer": {k: vt_row.get(k) for k in ("ssim384", "ssim_defended", "bytes")},
                            "ratio": row.get("ratio"),
                        }
                    }
                ),
                flush=True,
            )
    report["memory"] = mem.to_dict()

    summary, targets = {}, {}
    for kind in ("photos", "flat"):
        rs = [r for r in rows.values() if r["set"] == kind]
        cmp_ = [r for r in rs if "ratio" in r]
        summary[kind] = {
            "n": len(rs),
            "ours_fit_and_valid": sum(r["ours"]["valid"] and r["ours"]["bytes"] <= BUDGET for r in rs),
            "ours_mean": {
                k: mean(r["ours"][k] for r in rs) for k in ("ssim384", "ssim_defended", "ssim64_gray", "bytes")
            },
            "vtracer_mean": {
                k: mean(r["vtracer"][k] for r in cmp_) for k in ("ssim384", "ssim_defended", "ssim64_gray", "bytes")
            },
            "mean_ratio": {k: mean(r["ratio"][k] for r in cmp_) for k in ("ssim384", "ssim_defended", "ssim64_gray")},
            "min_ratio_ssim384": min((r["ratio"]["ssim384"] for r in cmp_), default=None),
            "ours_seconds_one_core": {
                "mean": mean(r["ours"]["seconds_one_core"] for r in rs),
                "max": max(r["ours"]["seconds_one_core"] for r in rs),
            },
        }
        s = summary[kind]
        targets[kind] = {
            "all_valid_under_budget": {
                "value": f"{s['ours_fit_and_valid']}/{s['n']}",
                "met": s["ours_fit_and_valid"] == s["n"],
            },
            "ssim384_ratio": {
                "value": s["mean_ratio"]["ssim384"],
                "target": ">= 1.05",
                "met": s["mean_ratio"]["ssim384"] >= 1.05,
            },
            "ssim_defended_ratio": {
                "value": s["mean_ratio"]["ssim_defended"],
                "target": ">= 1.0",
                "met": s["mean_ratio"]["ssim_defended"] >= 1.0,
            },
            "seconds_one_core_max": {
                "value": s["ours_seconds_one_core"]["max"],
                "target": "< 1 s",
                "met": s["ours_seconds_one_core"]["max"] < 1.0,
            },
        }
        if kind == "flat":
            worst = min(cmp_, key=lambda r: r["ratio"]["ssim384"]) if cmp_ else None
            targets[kind]["min_ratio_ssim384"] = {
                "value": s["min_ratio_ssim384"],
                "target": ">= 0.95",
                "met": (s["min_ratio_ssim384"] or 0) >= 0.95,
                "image": next((n for n, r in rows.items() if r is worst), None),
            }
            # SSIM cannot exceed 1: where vtracer scores v, 1.05 x needs 1.05 v, impossible above 0.952.
            targets[kind]["ssim384_ratio"]["ceiling_if_ours_were_perfect"] = mean(
                1 / r["vtracer"]["ssim384"] for r in cmp_
            )
    report["targets"] = targets
    report["summary"] = summary
    report["images"] = rows
    if args.grid and sheet:
        side_by_side(sheet, Path(args.grid))
        report["side_by_side"] = args.grid

    if args.scenes > 0:
        report["scenes"] = bench_scenes(args.scenes, args.repeats)
    report["load_at_end"] = load_info()

    report.write(args.out, dumps=to_json)
    print(json.dumps({"targets": targets, "summary": summary, "total_seconds": report["total_seconds"]}, indent=1))


if __name__ == "__main__":
    main()
