"""python benchmarks/bench_rewards.py --out benchmarks/results/rewards.json [--n 60] [--repeats 2] [--step-repeats 1] [--seed 0] [--ocr-step-n 8] [--wait-idle 300]

Benchmarks the offline reward set (rewards/) on a deterministic, varied set of completions: the
raw texts of svg_agent.svgset.build_set (valid drawings, fenced/truncated/styled model output, <text>,
oversized), each paired with a plausible description from DESCRIPTIONS.

1. throughput: `Scorer(ScorerConfig(ocr_backend=None | "rapidocr"), pool=RenderPool(workers=2,
   cache_items=0)).score(completions, descriptions)`, completions per second over one call on the
   whole set, best of --repeats (worker start-up and model loading are warmed up first and not
   timed). Targets from the issue on 2 cores: >= 20/s without OCR, >= 4/s with OCR and the
   hidden-text check.
2. shared scoring: the five TRL reward callables REWARD_NAMES called one after the other on one
   batch, as TRL does, per step: (a) `build_rewards(names, scorer=...)`, one shared RewardContext
   (one scoring pass); (b) five separate Scorers, one per callable, on a pool with cache_items=0
   (nothing shared); (c) five separate Scorers on one pool with the render cache (renders shared,
   OCR and stand-in repeated; without OCR only). Without OCR on the whole set; with OCR on
   --ocr-step-n completions spread evenly over the set (the unshared case costs five OCR passes);
   best of --step-repeats steps. Each step uses fresh defense seeds (the `seed` column), so no
   step is served from an earlier step's caches.
3. time split per completion, calling the pieces directly on the same items: sanitize,
   pool.render_many(defend=True) (per-item latency in the 2-worker pool, and wall / n), ocr_term
   with RapidOcrBackend (light and heavy reads apart), standin_score, and the combine arithmetic.
   Plus OCR engine options on a sample: the backend as rewards/ocr.py builds it vs. RapidOCR's
   library defaults (detector input scaled up to 736 px) and vs. one onnxruntime thread (speed,
   cores used, agreement), and a few rendered <text> probes read by both.
4. memory: peak RSS of this process and of the pool workers (sum, largest), sampled every 20 ms in
   each timed phase (MemorySampler); `peak_memory` is the largest over the phases.
5. the offline judge (a stand-in for PaliGemma): held-out accuracy, accuracy on vectorizer traces,
   answers on pictures of nothing, hand-made drawings against random ones, throughput
   (`bench_judge.section`; `--sections judge` runs it alone).

Every timed phase reports `other_processes_cpu_share` (CPU used by other processes during it);
with --wait-idle S the run first waits up to S seconds for an idle machine, up to 30 s more before
each section, and a throughput pass or step during which other processes took over 10 % of the
CPUs is retried after waiting up to 60 s for idle (at most 2 extra; `contended` says whether the
kept figure still is).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time

import numpy as np
from harness import (
    CANVAS,
    MemorySampler,
    Report,
    latency_stats,
    load_info,
    rnd,
    timed,
    wait_idle,
)
from tqdm import tqdm

from rewards.formula import harmonic_mean, reward_value
from rewards.ocr import RapidOcrBackend, ocr_term
from rewards.registry import build_rewards
from rewards.scorer import Scorer, ScorerConfig, description_seed
from rewards.standin import standin_score
from svg_agent.render import RenderPool
from svg_agent.sanitize import sanitize
from svg_agent.svgset import build_set

DESCRIPTIONS = [
    "a purple forest at dusk",
    "crimson rectangles forming a chaotic grid",
    "gray wool coat with a faux fur collar",
    "a yellow circle on a dark blue background",
    "a lighthouse overlooking the ocean",
    "green triangles on a white background",
    "an orange sun setting over a calm sea",
    "a black star above red stripes",
    "a pink rose in a brown vase",
    "teal waves under a pale sky",
]
REWARD_NAMES = ["reward", "validity", "size", "ocr", "standin_faithfulness"]
TARGETS = {"no_ocr": 20.0, "rapidocr": 4.0}
WORKERS = 2
WARM_TEXTS = [
    f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" fill="#fff"/>'
    f'<circle cx="32" cy="32" r="{i + 5}" fill="#c03"/></svg>'
    for i in range(8)
]
WARM_DESCS = ["a red circle on white"] * len(WARM_TEXTS)
# Text probes for the detector-size comparison only (the scorer's sanitize drops <text>).
PROBE_WORDS = ["HELLO", "Sunset", "cafe 42", "LIGHTHOUSE", "open", "SALE", "Ocean", "xyz"]


class TimedBackend:
    """Wraps an OCR backend; records the seconds of each read (ocr_term reads light, then heavy)."""

    def __init__(self, inner):
        self.inner = inner
        self.name = inner.name
        self.secs: list[float] = []

    def read(self, image):
        t = time.perf_counter()
        text = self.inner.read(image)
        self.secs.append(time.perf_counter() - t)
        return text


class EngineRecorder:
    """Wraps the RapidOCR engine: records whether the detector found boxes (recognition ran)."""

    def __init__(self, engine):
        self.engine = engine
        self.found: list[bool] = []

    def __call__(self, *args, **kwargs):
        result, elapse = self.engine(*args, **kwargs)
        self.found.append(bool(result))
        return result, elapse


CONTENDED = 0.10  # other processes' CPU share above which a timed pass counts as contended
RETRY = {"wait_s": 0.0, "max_extra": 2}  # set from --wait-idle: retry contended passes after waiting
RETRY_WAITED = [0.0]


def clean_passes(run, repeats: int, label: str) -> tuple[dict, list, bool]:
    """Call run(k) -> {"wall": s, "mem": MemorySampler dict, ...} for k = 0, 1, ... until `repeats`
    passes ran with other processes under CONTENDED of the CPUs; with retries enabled (--wait-idle)
    a contended pass is followed by a wait for idle and one more pass, at most RETRY["max_extra"]
    extra. Returns (best pass, every pass, whether the best one was contended)."""
    passes = []
    bar = tqdm(desc=label, unit="pass", leave=False)
    while True:
        passes.append(run(len(passes)))
        bar.update(1)
        clean = [p for p in passes if p["mem"].get("other_processes_cpu_share", 0.0) < CONTENDED]
        extra = RETRY["max_extra"] if RETRY["wait_s"] > 0 else 0
        if len(clean) >= repeats or len(passes) >= repeats + extra:
            break
        if len(passes) >= repeats or not any(passes[-1] is p for p in clean):
            RETRY_WAITED[0] += wait_idle(RETRY["wait_s"])["waited_s"]
    bar.close()
    best = min(clean or passes, key=lambda p: p["wall"])
    return best, passes, not clean


def stats(secs) -> dict:
    """latency_stats plus the mean, all in ms."""
    a = np.asarray(list(secs), float)
    out = latency_stats(a)
    if a.size:
        out = {"n": out["n"], "mean_ms": rnd(1000 * a.mean(), 3), **{k: v for k, v in out.items() if k != "n"}}
        if a.mean() < 1e-4:  # sub-0.1 ms stages (combine): microseconds too
            out.update(
                mean_us=rnd(1e6 * a.mean(), 2),
                p50_us=rnd(1e6 * np.percentile(a, 50), 2),
                p95_us=rnd(1e6 * np.percentile(a, 95), 2),
            )
    return out


def phase_wait(args, log: list, name: str) -> None:
    if args.wait_idle > 0:
        w = wait_idle(min(30.0, args.wait_idle))
        log.append({"before": name, **w})


def warm_ocr_backend():
    backend = RapidOcrBackend()
    engine = backend.load()
    backend.read(np.full((384, 384, 3), 255, np.uint8))
    return backend, engine


def record_summary(recs) -> dict:
    return {
        "valid": sum(r.valid for r in recs),
        "render_errors": sum(r.error is not None for r in recs),
        "hidden_text": sum(r.hidden_text for r in recs),
        "ocr_penalised": sum(r.ocr is not None and r.ocr < 1 for r in recs),
        "ocr_text_found": sum(bool(r.ocr_text) for r in recs),
        "mean_reward": rnd(np.mean([r.reward for r in recs])),
        "mean_standin_faithfulness": rnd(np.mean([r.standin_faithfulness or 0.0 for r in recs])),
    }


# ---------------------------------------------------------------------------------------------
# 1. Throughput of Scorer.score
# ---------------------------------------------------------------------------------------------


def bench_throughput(texts, descs, backend_name, repeats, shared_ocr) -> dict:
    label = backend_name or "no_ocr"
    gc.collect()
    pool = RenderPool(workers=WORKERS, cache_items=0)
    try:
        t0 = time.perf_counter()
        scorer = Scorer(ScorerConfig(ocr_backend=backend_name), pool=pool, ocr=shared_ocr if backend_name else None)
        pool.render_many(WARM_TEXTS[: 2 * WORKERS], defend=True, seeds=list(range(2 * WORKERS)))  # start the workers
        scorer.score(WARM_TEXTS[:1], WARM_DESCS[:1])  # first-call imports (the OCR model is already loaded)
        startup = time.perf_counter() - t0

        def one(_k):
            gc.collect()
            with MemorySampler(children=True) as mem:
                t = time.perf_counter()
                recs = scorer.score(texts, descs)
                wall = time.perf_counter() - t
            return {"wall": wall, "mem": mem.to_dict(), "recs": recs}

        best, passes, contended = clean_passes(one, repeats, f"score {label}")
    finally:
        pool.close()
    wall, mem, recs = best["wall"], best["mem"], best["recs"]
    rate = len(texts) / wall
    return {
        "config": f"ScorerConfig(ocr_backend={backend_name!r}), RenderPool(workers={WORKERS}, cache_items=0)",
        "n": len(texts),
        "completions_per_s": rnd(rate, 2),
        "ms_per_completion": rnd(1000 * wall / len(texts), 2),
        "wall_s": rnd(wall, 3),
        "completions_per_s_all_passes": [rnd(len(texts) / p["wall"], 2) for p in passes],
        "other_cpu_share_all_passes": [p["mem"].get("other_processes_cpu_share") for p in passes],
        "contended": contended,
        "target_per_s": TARGETS[label],
        "target_met": bool(rate >= TARGETS[label]),
        "startup_s": rnd(startup, 3),
        **mem,
        "records": record_summary(recs),
    }


# ---------------------------------------------------------------------------------------------
# 2. One TRL step: five callables, shared context vs. separate scorers
# ---------------------------------------------------------------------------------------------


def bench_step(texts, descs, base_seeds, backend, repeats, step0: int, variants) -> dict:
    cfg = ScorerConfig(ocr_backend="rapidocr" if backend else None)
    prompts = [f"Draw an SVG of: {d}" for d in descs]
    n = len(texts)
    out, values = {}, {}
    for variant in variants:
        gc.collect()
        pool = RenderPool(workers=WORKERS, cache_items=0 if variant == "separate_scorers_no_cache" else 1024)
        try:
            if variant == "shared_context":
                funcs = build_rewards(REWARD_NAMES, scorer=Scorer(cfg, pool=pool, ocr=backend))
            else:  # one scorer (and one RewardContext) per callable: nothing of the scoring is shared
                funcs = [build_rewards([name], scorer=Scorer(cfg, pool=pool, ocr=backend))[0] for name in REWARD_NAMES]
            # warm-up: start the workers (the OCR model is loaded already and shared, as in training)
            pool.render_many(WARM_TEXTS[: 2 * WORKERS], defend=True, seeds=list(range(2 * WORKERS)))
            contexts = {id(f.context): f.context for f in funcs}.values()

            def one(k, funcs=funcs, contexts=contexts, pool=pool, variant=variant):
                # fresh seeds per step: no render or record is reused from an earlier step
                seeds = [s + 1_000_003 * (step0 + k) for s in base_seeds]
                passes0, rendered0 = sum(c.passes for c in contexts), pool.renders_run
                gc.collect()
                with MemorySampler(children=True) as mem:
                    t = time.perf_counter()
                    vals = [f(prompts=prompts, completions=texts, description=descs, seed=seeds) for f in funcs]
                    wall = time.perf_counter() - t
                if k == 0:  # the same seeds in every variant: their values must agree
                    values[variant] = vals
                return {
                    "wall": wall,
                    "mem": mem.to_dict(),
                    "scoring_passes": sum(c.passes for c in contexts) - passes0,
                    "renders_run": pool.renders_run - rendered0,
                }

            best, steps, contended = clean_passes(one, repeats, f"step {variant}{' +ocr' if backend else ''}")
        finally:
            pool.close()
        out[variant] = {
            "s_per_step": rnd(best["wall"], 3),
            "completions_per_s": rnd(n / best["wall"], 2),
            "s_per_step_all": [rnd(s["wall"], 3) for s in steps],
            "other_cpu_share_all": [s["mem"].get("other_processes_cpu_share") for s in steps],
            "contended": contended,
            "scoring_passes_per_step": best["scoring_passes"],
            "renders_run_per_step": best["renders_run"],
            **best["mem"],
        }
    shared = out["shared_context"]["s_per_step"]
    for v in out:
        if v != "shared_context":
            out[v]["slowdown_vs_shared"] = rnd(out[v]["s_per_step"] / shared, 2)
    ref = values["shared_context"]
    return {
        "n": n,
        "callables": REWARD_NAMES,
        "ocr_backend": cfg.ocr_backend,
        **out,
        "same_values_as_shared": {v: values[v] == ref for v in values if v != "shared_context"},
    }


# ---------------------------------------------------------------------------------------------
# 3. Time split per completion
# ---------------------------------------------------------------------------------------------


def bench_split(texts, descs, seeds, backend, engine) -> tuple[dict, list]:
    cfg = ScorerConfig()
    timed(lambda t: sanitize(t, max_bytes=cfg.size.budget), texts[:10], "warm-up", progress=False)
    sans, s_secs, _ = timed(lambda t: sanitize(t, max_bytes=cfg.size.budget), texts, "sanitize")
    svgs = [s.svg for s in sans]

    gc.collect()
    with RenderPool(workers=WORKERS, cache_items=0) as pool:
        pool.render_many(WARM_TEXTS[:4], defend=True, seeds=[0, 1, 2, 3])
        with MemorySampler(children=True) as mem:
            t = time.perf_counter()
            renders = pool.render_many(svgs, defend=True, seeds=seeds, progress=True)
            r_wall = time.perf_counter() - t
    ok = [i for i, r in enumerate(renders) if r.ok]

    tb = TimedBackend(backend)
    rec = EngineRecorder(engine)
    backend.engine = rec
    try:
        cpu0 = _own_cpu()
        with MemorySampler() as ocr_mem:
            ocr_out, o_secs, o_wall = timed(
                lambda i: ocr_term(tb, renders[i].ocr_image, renders[i].defended), ok, "ocr_term"
            )
        ocr_cores = (_own_cpu() - cpu0) / o_wall
    finally:
        backend.engine = engine
    light, heavy = tb.secs[0::2], tb.secs[1::2]
    found = np.array(rec.found)
    reads = np.array(tb.secs)

    st_out, st_secs, _ = timed(lambda i: standin_score(renders[i].defended, descs[i]), ok, "standin")

    def combine(k):
        i, o, st = ok[k], ocr_out[k], st_out[k]
        combined = harmonic_mean(st.standin_faithfulness, st.standin_quality, beta=0.5) * o.penalty
        return reward_value(combined, valid=sans[i].extracted_valid, n_bytes=sans[i].bytes, config=cfg.size)

    timed(combine, range(len(ok)), "warm-up", progress=False)
    _, c_secs, _ = timed(combine, range(len(ok)), "combine", progress=False)

    parts = {
        "sanitize": stats(s_secs),
        "render+defenses_pool_latency": stats([r.seconds for r in renders]),
        "ocr_term (light+heavy)": stats(o_secs),
        "ocr_read_light": stats(light),
        "ocr_read_heavy": stats(heavy),
        "standin_score": stats(st_secs),
        "combine": stats(c_secs),
    }
    render_amortised = 1000 * r_wall / len(svgs)
    serial_ms = {
        "sanitize": parts["sanitize"]["mean_ms"],
        "render+defenses (pool wall / n, 2 workers)": rnd(render_amortised, 3),
        "ocr_term": parts["ocr_term (light+heavy)"]["mean_ms"],
        "standin_score": parts["standin_score"]["mean_ms"],
        "combine": parts["combine"]["mean_ms"],
    }
    total = sum(serial_ms.values())
    out = {
        "n": len(texts),
        "rendered_ok": len(ok),
        "per_stage_ms": parts,
        "render_pool": {
            "wall_s": rnd(r_wall, 3),
            "ms_per_completion_amortised": rnd(render_amortised, 3),
            **mem.to_dict(),
        },
        "mean_ms_per_completion_as_scorer_runs_it": {k: rnd(v, 3) for k, v in serial_ms.items()},
        "share_of_time": {k: rnd(v / total, 3) for k, v in serial_ms.items()},
        "implied_completions_per_s": {
            "with_ocr": rnd(1000 / total, 2),
            "without_ocr": rnd(1000 / (total - serial_ms["ocr_term"]), 2),
        },
        "rapidocr_reads": {
            "cores_used_during_ocr": rnd(ocr_cores, 2),
            "other_processes_cpu_share": ocr_mem.to_dict().get("other_processes_cpu_share"),
            "reads": int(reads.size),
            "detector_found_boxes": int(found.sum()),
            "mean_ms_no_boxes (detector only)": rnd(1000 * reads[~found].mean(), 2) if (~found).any() else None,
            "mean_ms_with_boxes (detector + recogniser)": rnd(1000 * reads[found].mean(), 2) if found.any() else None,
        },
        "note": "cores_used_during_ocr = this process's CPU seconds / wall seconds over the ocr_term loop (onnxruntime "
        "with its default threads; the pool workers are idle then). The scorer runs sanitize, then the whole batch through the pool (2 workers in parallel), then "
        "OCR, stand-in and combine one completion after another in this process; the split above "
        "follows that order. Pool latency is per item inside the 2-worker pool (IPC included); the "
        "amortised figure is the pool's wall time / n.",
    }
    return out, (renders, ok, ocr_out)


def _own_cpu() -> float:
    import psutil

    t = psutil.Process().cpu_times()
    return t.user + t.system


def probe_svgs() -> list[str]:
    out = []
    for i, w in enumerate(PROBE_WORDS):
        size = (10, 14, 18, 24, 32, 40, 12, 28)[i]
        out.append(
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 384 384"><rect width="384" height="384" '
            f'fill="#f4efe6"/><circle cx="280" cy="110" r="60" fill="#e07a1f"/>'
            f'<text x="30" y="{200 + 10 * i}" font-family="sans-serif" font-size="{size}" fill="#223">{w}</text></svg>'
        )
    return out


def det_settings(engine) -> dict:
    """The detector settings of a RapidOCR engine and the input size it gives a 384 px render."""
    td = engine.text_det
    shape = td.get_preprocess(CANVAS).resize(np.zeros((CANVAS, CANVAS, 3), np.uint8)).shape[:2]
    return {
        "det_limit_side_len": td.limit_side_len,
        "det_limit_type": td.limit_type,
        "detector_input_px_for_384": list(shape),
    }


def bench_ocr_options(renders, ok, ocr_configured, backend, engine, n_sample: int = 20) -> dict:
    """The OCR backend as rewards/ocr.py configures it vs. RapidOCR's library defaults and vs. one
    onnxruntime thread, on an evenly spread sample of the set, plus text probes."""
    from rapidocr_onnxruntime import RapidOCR

    conf = det_settings(engine)
    variants = {"configured (rewards/ocr.py)": backend}
    lib = RapidOcrBackend(engine=RapidOCR())
    variants["rapidocr_library_default"] = lib
    one = RapidOcrBackend(
        engine=RapidOCR(
            intra_op_num_threads=1,
            inter_op_num_threads=1,
            det_limit_side_len=conf["det_limit_side_len"],
            det_limit_type=conf["det_limit_type"],
        )
    )
    variants["configured, 1 onnxruntime thread"] = one
    blank = np.full((CANVAS, CANVAS, 3), 255, np.uint8)
    for b in variants.values():
        b.read(blank)
    sample = ok[:: max(1, len(ok) // n_sample)][:n_sample]
    ref = {i: o for i, o in zip(ok, ocr_configured)}
    out = {}
    for name, b in variants.items():
        c0 = _own_cpu()
        res, secs, wall = timed(lambda i: ocr_term(b, renders[i].ocr_image, renders[i].defended), sample, f"ocr {name}")
        out[name] = {
            **det_settings(b.engine),
            "ocr_term": stats(secs),
            "cores_used": rnd((_own_cpu() - c0) / wall, 2),
            "same_penalty_and_hidden_flag_as_configured": f"{sum(r.penalty == ref[i].penalty and r.hidden_text == ref[i].hidden_text for r, i in zip(res, sample))}/{len(sample)}",
        }

    with RenderPool(workers=WORKERS, cache_items=0) as pool:
        probes = pool.render_many(probe_svgs(), defend=True, seeds=list(range(len(PROBE_WORDS))))
    rows = []
    for w, r in zip(PROBE_WORDS, probes):
        row = {"word": w}
        for name, b in (("configured", backend), ("library_default", lib)):
            t = time.perf_counter()
            o = ocr_term(b, r.ocr_image, r.defended)
            row[name] = {
                "ms": rnd(1000 * (time.perf_counter() - t), 1),
                "light": o.text_light,
                "heavy": o.text_heavy,
                "penalty": rnd(o.penalty, 4),
            }
        rows.append(row)
    return {
        "sample_n": len(sample),
        **out,
        "text_probes": rows,
        "note": "ocr_term (light + heavy read) per completion on an evenly spread sample. RapidOCR's library config "
        "(config.yaml: Det limit_type=min, limit_side_len=736) scales a 384 px render up to 736 px before "
        "detection. cores_used = this process's CPU seconds / wall seconds. Probes: one word of <text> at "
        "font sizes 10-40 px next to an orange circle, rendered and defended by the pool.",
    }


# ---------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="benchmarks/results/rewards.json")
    ap.add_argument("--n", type=int, default=60, help="completions in the set (default 60)")
    ap.add_argument("--repeats", type=int, default=2, help="timed passes per throughput / step measurement (best kept)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--step-repeats",
        type=int,
        default=1,
        help="timed steps per variant in the five-callable comparison (fresh seeds each; best kept)",
    )
    ap.add_argument("--ocr-step-n", type=int, default=8, help="completions in the step comparison with OCR (default 8)")
    ap.add_argument(
        "--wait-idle",
        type=float,
        default=0.0,
        metavar="S",
        help="first wait up to S seconds for other processes to leave the CPUs idle",
    )
    ap.add_argument(
        "--sections",
        default="all",
        choices=["all", "judge"],
        help="all (default), or only the offline judge's section (5)",
    )
    args = ap.parse_args()
    if args.sections == "judge":
        from bench_judge import section

        report = Report("rewards: the offline judge section")
        report["judge"] = section(seed=args.seed)
        out = report.write(args.out)
        print(
            json.dumps({k: report["judge"][k] for k in ("accuracy_heldout", "throughput", "reward_targets")}, indent=1)
        )
        print(f"wrote {out}")
        return
    idle = wait_idle(args.wait_idle) if args.wait_idle > 0 else None
    RETRY["wait_s"] = min(60.0, args.wait_idle)
    t_start = time.perf_counter()

    raw = build_set(args.n, args.seed)
    cats = [c for c, _ in raw]
    texts = [s for _, s in raw]
    descs = [DESCRIPTIONS[i % len(DESCRIPTIONS)] for i in range(len(texts))]
    seeds = [description_seed(d) for d in descs]
    waits: list = []
    report = Report("rewards (offline reward set)", started=t_start)
    report.update(
        {
            "python_executable": sys.executable,
            "load_at_start": load_info(),
            "wait_idle": idle,
            "wait_idle_phases": waits,
            "params": {
                "n": args.n,
                "repeats": args.repeats,
                "seed": args.seed,
                "step_repeats": args.step_repeats,
                "ocr_step_n": args.ocr_step_n,
                "pool_workers": WORKERS,
                "descriptions": len(DESCRIPTIONS),
            },
            "set": {c: cats.count(c) for c in dict.fromkeys(cats)},
        }
    )
    backend, engine = warm_ocr_backend()  # one OCR model for every phase (loading is not per step)
    report["ocr_backend_detector"] = {"backend": backend.name, **det_settings(engine)}

    # ---- 1. throughput -------------------------------------------------------------------------
    phase_wait(args, waits, "throughput")
    report["throughput"] = {
        "no_ocr": bench_throughput(texts, descs, None, args.repeats, backend),
        "rapidocr": bench_throughput(texts, descs, "rapidocr", args.repeats, backend),
    }

    # ---- 2. shared scoring pass vs. separate scorers -------------------------------------------
    phase_wait(args, waits, "step")
    base = [s + 7 for s in seeds]  # not the throughput seeds
    k = min(args.ocr_step_n, len(texts))
    # the OCR subset: spread over the categories
    sub = sorted(np.linspace(0, len(texts) - 1, k).round().astype(int).tolist()) if k else []
    report["step_five_callables"] = {
        "no_ocr": bench_step(
            texts,
            descs,
            base,
            None,
            args.step_repeats,
            0,
            ["shared_context", "separate_scorers_no_cache", "separate_scorers_shared_render_cache"],
        ),
        "rapidocr": bench_step(
            [texts[i] for i in sub],
            [descs[i] for i in sub],
            [base[i] for i in sub],
            backend,
            args.step_repeats,
            10,
            ["shared_context", "separate_scorers_no_cache"],
        ),
        "note": "s_per_step = the five callables called one after the other on one batch (TRL's way); "
        "shared_context = build_rewards(names, scorer) (one scoring pass); separate_scorers_* = one Scorer "
        "and RewardContext per callable, on a pool with cache_items=0 or with the render cache (then "
        "renders are shared and sanitize/OCR/stand-in repeat). With OCR on an evenly spread subset.",
    }

    # ---- 3. time split per completion ------------------------------------------------------------
    phase_wait(args, waits, "split")
    split, (renders, ok, ocr_out) = bench_split(texts, descs, seeds, backend, engine)
    split["ocr_engine_options"] = bench_ocr_options(renders, ok, ocr_out, backend, engine)
    report["time_split"] = split
    del renders

    # ---- 4. memory --------------------------------------------------------------------------------
    phases = {f"throughput.{k}": v for k, v in report["throughput"].items()}
    for cfg_name in ("no_ocr", "rapidocr"):
        for v, d in report["step_five_callables"][cfg_name].items():
            if isinstance(d, dict) and "peak_rss_self_mb" in d:
                phases[f"step.{cfg_name}.{v}"] = d
    phases["split.render_pool"] = split["render_pool"]
    top_self = max(phases, key=lambda p: phases[p]["peak_rss_self_mb"])
    top_workers = max(phases, key=lambda p: phases[p]["peak_rss_workers_total_mb"])
    report["peak_memory"] = {
        "peak_rss_self_mb": phases[top_self]["peak_rss_self_mb"],
        "in_phase_self": top_self,
        "peak_rss_workers_total_mb": phases[top_workers]["peak_rss_workers_total_mb"],
        "in_phase_workers": top_workers,
        "peak_rss_worker_max_mb": max(p["peak_rss_worker_max_mb"] for p in phases.values()),
        "max_other_processes_cpu_share": max(p.get("other_processes_cpu_share", 0.0) for p in phases.values()),
    }
    # ---- 5. the offline judge ------------------------------------------------------------------------
    phase_wait(args, waits, "judge")
    from bench_judge import section

    report["judge"] = section(seed=args.seed)

    report["targets"] = {
        k: {"completions_per_s": v["completions_per_s"], "target": v["target_per_s"], "met": v["target_met"]}
        for k, v in report["throughput"].items()
    }
    report["load_at_end"] = load_info()
    report["seconds_waiting_for_idle_after_start"] = rnd(sum(w["waited_s"] for w in waits) + RETRY_WAITED[0], 1)

    out = report.write(args.out)

    print(json.dumps({k: report[k] for k in ("targets", "peak_memory", "total_seconds")}, indent=1))
    for k, v in report["throughput"].items():
        print(
            f"score {k:10s} {v['completions_per_s']:7.2f} /s (target {v['target_per_s']:g}, met {v['target_met']})"
            f"  other-cpu {v.get('other_processes_cpu_share')}"
        )
    for cfg_name in ("no_ocr", "rapidocr"):
        st = report["step_five_callables"][cfg_name]
        for v, d in st.items():
            if isinstance(d, dict) and "s_per_step" in d:
                print(
                    f"step {cfg_name:8s} n={st['n']:3d} {v:38s} {d['s_per_step']:7.3f} s/step {d['completions_per_s']:7.2f} /s"
                    f"  passes {d['scoring_passes_per_step']} renders {d['renders_run_per_step']}"
                )
    for k, v in split["per_stage_ms"].items():
        print(f"split {k:30s} mean {v['mean_ms']:8.3f}  p50 {v['p50_ms']:8.2f}  p95 {v['p95_ms']:8.2f} ms")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
