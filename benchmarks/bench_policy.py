"""python benchmarks/bench_policy.py --run runs/default --out benchmarks/results/policy.json [--sections gen,step,eval,reliance,curve,speed] [--eval-n 12]

The policy on this machine, with the model of the training run in --run (default recipe: the
offline Gemma 3 270M):

1. gen: generation speed, new tokens per second summed over the batch, fp32, sampled
   (temperature 1, top-p 0.95) and greedy, at batch 1 and at the recipe's GRPO group size, with the
   run's final adapter (so completions end by themselves as they do in training); the length
   limit is the recipe's grpo_max_completion_length. Bytes of SVG per token: the procedural
   training bodies tokenized, and the generated completions.
2. step: one GRPO step's time split: two steps of the recipe's GRPO stage from the run's SFT
   adapter, with `generate` and every reward callable timed by wrappers; backward and the rest
   = step time - generation - reward. Peak RSS of the process over the steps.
3. eval: the offline reward on descriptions training never saw (--eval-n procedural descriptions
   from another seed, checked against the training set, plus the recipe's evaluation
   descriptions; and, reported apart, the hand-made examples' competition-style descriptions,
   which no generator of the project wrote), one sampled completion each (temperature 0.7, top-p
   0.95, the recipe's sample token limit), for the base model, the SFT adapter and the final
   adapter (--eval-systems): mean reward and judge faithfulness (a stand-in for the VQA term;
   unknown where the judge can ask nothing), raw validity rate (the completion as written
   validates), fallback rate (nothing usable after sanitize), mean bytes as written, the judge's
   object term (chance-corrected P(correct) on "which object" questions; "object recognised":
   the share of those at 0.5 or more), named colours present; --eval-grid writes the renders
   side by side. --eval-seeds samples every description once per seed, the same seeds for every
   system, and `paired_vs_sft` gives each system's reward minus the SFT adapter's on the same
   (seed, description) pairs: the mean, per seed, and the spread of the per-seed means;
   --eval-adapters adds other adapters (name=folder) as systems; --eval-guidance 1,2 samples each
   system also under description guidance (svg_agent.app.guidance), paired against itself at 1.
4. reliance: whether each system reads the description (eval.conditioning): the teacher-forced
   loss of --reliance-n held-out corpus drawings under their own description and under another
   record's, over all completion tokens and over the paint tokens (fill, stroke, stop-color values),
   and the gaps; a policy that draws the same whatever it is asked has a gap near 0.
5. curve: the run's logged curve (log.jsonl): SFT loss per step; GRPO reward components, raw
   validity, bytes, completion length and step time per step; and the run's summary.json.
6. speed: the training fast path, before and after, side by side on the same data and machine
   (`--speed-sft-steps`, `--speed-grpo-steps`): SFT drawings per second (the embedded default's
   records and batch size, the first step left out as warm-up) and one GRPO step of
   `--speed-group` completions (from the run's SFT adapter) split into generation, reward and
   backward-and-rest, each measurement in a process of its own. "before" is TRL's own path (fp32,
   its fused head over every position, full-vocabulary metrics, multinomial sampling from the
   unmerged LoRA model, random batches); "after" is the fast path as `auto` resolves it on this
   machine plus `output_vocab: svg`; "after_full_vocab" is the fast path with the full vocabulary.
   SFT at batch 4 (the former embedded default) and 8 (the current one).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

from harness import MemorySampler, Report, load_info, rnd


def _load(cfg, adapter=None):
    from svg_agent.app.policy import PolicySpec, load_policy

    return load_policy(
        PolicySpec(model=cfg.model, dtype=cfg.dtype, prompt_format=cfg.prompt_format, adapter=adapter, device="cpu")
    )


def section_gen(cfg, run: Path) -> dict:
    from svg_agent.app.policy import rebase_svg
    from vectorize.scenes import generate_scenes

    policy = _load(cfg, run / "adapter")
    desc = "a red circle on a blue background"
    out = {"max_new_tokens": cfg.grpo_max_completion_length}
    policy.sample([desc], num_return_sequences=1, max_new_tokens=8, seed=0)  # warm-up
    gen_bytes, gen_tokens = 0, 0
    for batch in (1, cfg.grpo_num_generations):
        for mode in ("sampled", "greedy"):
            if mode == "greedy" and batch > 1:
                outs = policy.sample(
                    [desc] * batch,
                    num_return_sequences=1,
                    max_new_tokens=cfg.grpo_max_completion_length,
                    do_sample=False,
                )
                outs = [o[0] for o in outs]
            else:
                outs = policy.sample(
                    [desc],
                    num_return_sequences=batch,
                    max_new_tokens=cfg.grpo_max_completion_length,
                    do_sample=mode == "sampled",
                    temperature=1.0,
                    top_p=0.95,
                    seed=1,
                )[0]
            out[f"batch{batch}_{mode}"] = {
                "tokens": policy.last_tokens,
                "seconds": rnd(policy.last_seconds, 2),
                "tokens_per_s": rnd(policy.last_tokens / policy.last_seconds, 2),
            }
            if mode == "sampled":
                gen_bytes += sum(len(o.encode()) for o in outs)
                gen_tokens += sum(len(policy.tokenizer(o, add_special_tokens=False)["input_ids"]) for o in outs)
    bodies = [rebase_svg(s.svg) for s in generate_scenes(200, seed=0, flat=True)]
    toks = sum(len(policy.tokenizer(b, add_special_tokens=False)["input_ids"]) for b in bodies)
    out["bytes_per_token_training_svgs"] = rnd(sum(len(b.encode()) for b in bodies) / toks, 3)
    out["bytes_per_token_generated"] = rnd(gen_bytes / max(1, gen_tokens), 3)
    return out


SPEED_VARIANTS = {
    "before": dict(
        cpu_bf16="false", fast_loss="false", fast_generation="false", output_vocab="full", sft_group_by_length=False
    ),
    "after_full_vocab": dict(
        cpu_bf16="auto", fast_loss="auto", fast_generation="auto", output_vocab="full", sft_group_by_length=True
    ),
    "after": dict(
        cpu_bf16="auto", fast_loss="auto", fast_generation="auto", output_vocab="svg", sft_group_by_length=True
    ),
}


def section_sft_speed(cfg, tmp: Path, variant: str, steps: int) -> dict:
    """SFT drawings per second for one variant: `steps` optimizer steps after one warm-up step."""
    import dataclasses

    from transformers import TrainerCallback

    from svg_agent.app.policy import PolicySpec, PromptFormat, load_model
    from svg_agent.app.train import fast_path, output_vocab, sft_trainer, training_records

    vcfg = dataclasses.replace(
        cfg,
        **SPEED_VARIANTS[variant],
        output_dir=str(tmp / f"sft-{variant}"),
        report_to=["none"],
        save_steps=100000,
        sft_max_steps=steps + 1,
        resume=False,
    )
    model, tokenizer, _ = load_model(
        PolicySpec(model=vcfg.model, dtype=vcfg.dtype, prompt_format=vcfg.prompt_format, device="cpu")
    )
    fmt = PromptFormat.for_tokenizer(tokenizer, vcfg.prompt_format)
    records = training_records(vcfg)
    vocab = output_vocab(vcfg, tmp, tokenizer, fmt, records, model.get_output_embeddings().weight.shape[0])
    times = []

    class Timer(TrainerCallback):
        def on_step_begin(self, args, state, control, **kw):
            self.t = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            times.append(time.perf_counter() - self.t)

    fast = fast_path(vcfg)
    trainer, dropped = sft_trainer(
        vcfg, tmp / f"sft-{variant}", model, True, tokenizer, fmt, records, [Timer()], fast, vocab
    )
    with MemorySampler(children=False) as mem:
        trainer.train()
    timed = times[1:]
    per_step = sum(timed) / len(timed)
    losses = [r["loss"] for r in trainer.state.log_history if "loss" in r]
    del trainer, model
    return {
        "fast_path": fast.as_dict(),
        "output_vocab": len(vocab) if vocab is not None else None,
        "batch": vcfg.sft_batch_size,
        "steps_timed": len(timed),
        "step_s": [rnd(t, 2) for t in timed],
        "mean_step_s": rnd(per_step, 2),
        "drawings_per_s": rnd(vcfg.sft_batch_size / per_step, 3),
        "records_dropped_over_max_svg_tokens": dropped,
        "loss_first_last": [rnd(losses[0]), rnd(losses[-1])] if losses else None,
        "peak_rss_mb": rnd(mem.peak_self / 2**20, 0),
    }


SPEED_SFT = [("before", 4), ("after", 4), ("before", 8), ("after", 8), ("after_full_vocab", 8)]
SPEED_GRPO = ["before", "after"]


def _speed_child(args) -> dict:
    """One measurement of the speed section, in its own process (a fresh heap, no earlier model)."""
    import dataclasses

    from svg_agent.app.rundir import RunDir

    run, tmp = Path(args.run), Path(args.tmp)
    cfg = RunDir(run).train_config()
    if args.speed_part == "sft":
        cfg = dataclasses.replace(cfg, sft_batch_size=args.speed_batch)
        return section_sft_speed(cfg, tmp, args.speed_variant, args.speed_sft_steps)
    vcfg = dataclasses.replace(
        cfg,
        **SPEED_VARIANTS[args.speed_variant],
        grpo_num_generations=args.speed_group,
        grpo_batch_size=args.speed_group,
    )
    return section_step(vcfg, run, tmp / f"grpo-{args.speed_variant}", steps=args.speed_grpo_steps)


def section_speed(args, tmp: Path) -> dict:
    import subprocess

    def child(part: str, variant: str, batch: int = 0) -> dict:
        out_json = tmp / f"speed-{part}-{variant}-{batch}.json"
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--run",
            args.run,
            "--out",
            str(out_json),
            "--tmp",
            str(tmp / f"{part}-{variant}-{batch}"),
            "--speed-part",
            part,
            "--speed-variant",
            variant,
            "--speed-batch",
            str(batch),
            "--speed-sft-steps",
            str(args.speed_sft_steps),
            "--speed-grpo-steps",
            str(args.speed_grpo_steps),
            "--speed-group",
            str(args.speed_group),
        ]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        result = json.loads(out_json.read_text())
        print("speed", part, variant, batch or "", json.dumps(result), flush=True)
        return result

    out = {
        "sft": {f"{v}_batch{b}": child("sft", v, b) for v, b in SPEED_SFT},
        "grpo_step": {v: child("grpo", v) for v in SPEED_GRPO},
        "group": args.speed_group,
        "adapter_for_grpo": str(Path(args.run) / "sft" / "adapter"),
    }
    for b in sorted({b for _, b in SPEED_SFT}):
        before, after = out["sft"].get(f"before_batch{b}"), out["sft"].get(f"after_batch{b}")
        if before and after:
            out[f"sft_speedup_batch{b}"] = rnd(after["drawings_per_s"] / before["drawings_per_s"], 2)
    steps = {v: [s["step_s"] for s in out["grpo_step"][v]["steps"]] for v in SPEED_GRPO}
    out["grpo_step_s_mean"] = {v: rnd(sum(x) / len(x), 1) for v, x in steps.items()}
    return out


def section_step(cfg, run: Path, tmp: Path, steps: int = 2) -> dict:
    import transformers

    import rewards.registry as registry
    from svg_agent.app.train import train

    timings = {"generate": [], "reward": []}
    real_generate = transformers.GenerationMixin.generate

    def timed_generate(self, *a, **kw):
        t = time.perf_counter()
        try:
            return real_generate(self, *a, **kw)
        finally:
            timings["generate"].append(time.perf_counter() - t)

    real_build = registry.build_rewards

    def timed_build(*a, **kw):
        def wrap(f):
            def g(*args, **kwargs):
                t = time.perf_counter()
                try:
                    return f(*args, **kwargs)
                finally:
                    timings["reward"].append(time.perf_counter() - t)

            g.__name__ = f.__name__
            return g

        return [wrap(f) for f in real_build(*a, **kw)]

    transformers.GenerationMixin.generate = timed_generate
    registry.build_rewards = timed_build
    import dataclasses

    step_cfg = dataclasses.replace(
        cfg,
        output_dir=str(tmp / "step"),
        stages=["grpo"],
        grpo_max_steps=steps,
        adapter=str(run / "sft" / "adapter"),
        report_to=["none"],
        save_steps=1000,
        eval_descriptions=cfg.eval_descriptions[:1],
        sample_max_new_tokens=1,
        resume=False,
    )
    try:
        with MemorySampler(children=True) as mem:
            train(step_cfg)
    finally:
        transformers.GenerationMixin.generate = real_generate
        registry.build_rewards = real_build
    log = [json.loads(x) for x in (tmp / "step" / "log.jsonl").read_text().splitlines()]
    steps = [r for r in log if "step_time" in r]
    gen = timings["generate"][1:-1]  # drop the samples drawn before and after training
    gen_per_step = [gen[i] for i in range(len(steps))] if len(gen) >= len(steps) else gen
    rows = []
    for i, s in enumerate(steps):
        g = gen_per_step[i] if i < len(gen_per_step) else None
        r = sum(timings["reward"][i * len(cfg.grpo_rewards) : (i + 1) * len(cfg.grpo_rewards)])
        rows.append(
            {
                "step_s": rnd(s["step_time"], 2),
                "generate_s": rnd(g, 2),
                "reward_s": rnd(r, 2),
                "backward_and_rest_s": rnd(s["step_time"] - (g or 0) - r, 2),
                "completion_tokens_mean": rnd(s.get("completions/mean_length"), 1),
            }
        )
    summary = json.loads((tmp / "step" / "summary.json").read_text())
    return {
        "steps": rows,
        "completions_per_step": cfg.grpo_batch_size,
        "max_completion_length": cfg.grpo_max_completion_length,
        "fast_path": summary.get("fast_path"),
        "output_vocab": summary.get("output_vocab"),
        "peak_rss_mb": rnd(mem.peak_self / 2**20, 0),
        "peak_render_workers_mb": rnd(mem.peak_children / 2**20, 0),
    }


def _systems(run: Path, systems: list[str], adapters: dict | None):
    """(name, adapter folder or None) of each asked-for system whose adapter exists."""
    candidates = [
        ("base", None),
        ("sft", run / "sft" / "adapter"),
        ("sft+grpo", run / "adapter"),
        *((name, Path(path)) for name, path in (adapters or {}).items()),
    ]
    return [(n, a) for n, a in candidates if n in systems and (a is None or a.exists())]


def held_out_scenes(cfg, n: int) -> list:
    """`n` corpus scenes of the held-out split whose descriptions the run's training set lacks."""
    from svg_agent.app.train import training_records
    from vectorize.scenes import generate_scenes

    seen = {r["description"] for r in training_records(cfg)}
    return [s for s in generate_scenes(n * 4, seed=9173, flat=True, split="heldout") if s.description not in seen][:n]


def held_out(cfg, n: int) -> list[str]:
    return [s.description for s in held_out_scenes(cfg, n)] + list(cfg.eval_descriptions)


def _mean(values):
    known = [v for v in values if v is not None]
    return rnd(sum(known) / len(known)) if known else None


def named_colours_present(image, description: str) -> tuple[int, int]:
    """(named colours present in the render, colours the description names), by the pixel
    stand-in's own colour lexicon (rewards/standin.py, written apart from the corpus): a colour is
    present when at least 2 % of the render's pixels show it."""
    import cv2
    import numpy as np

    from rewards.standin import color_coverage, parse_colors, to_lab

    terms = parse_colors(description)
    if not terms:
        return 0, 0
    lab = to_lab(cv2.resize(np.asarray(image), (64, 64), interpolation=cv2.INTER_AREA).reshape(-1, 3))
    return sum(color_coverage(lab, t) >= 0.02 for t in terms), len(terms)


def section_eval(
    cfg,
    run: Path,
    n: int,
    systems: list[str],
    grid: Path | None = None,
    seeds: list[int] | None = None,
    adapters: dict[str, Path] | None = None,
    guidance: list[float] | None = None,
    loop_guards: list[bool] | None = None,
    close_guards: list[bool] | None = None,
) -> dict:
    """Each system samples every held-out description once per sampling seed (the same seeds for
    every system, so two systems are compared pair by pair); per group of descriptions: reward,
    the judge's terms, named colours present, raw validity, bytes; and each system's paired
    difference from `sft`, per seed and in all. With `guidance` scales other than 1, each adapter
    also samples under description guidance (system `NAME@guidanceG`), paired against itself
    unguided in `paired_vs_unguided`. With `loop_guards` [False, True], each also samples under the
    loop guard (svg_agent.app.loopguard; system `NAME+loopguard`), paired in `paired_vs_no_loop_guard`;
    likewise `close_guards` for the close guard (svg_agent.app.closeguard; `+closeguard`, `paired_vs_no_close_guard`)."""
    import numpy as np

    from rewards.scorer import Scorer, ScorerConfig
    from svg_agent.app.closeguard import REASONS
    from svg_agent.app.demo import contact_sheet, handmade_examples
    from svg_agent.render import render_safe
    from svg_agent.sanitize import sanitize

    seeds = list(seeds or [cfg.seed])
    procedural = held_out(cfg, n)
    handmade = [d for d, _ in handmade_examples()]
    descs = procedural + handmade
    groups = {"procedural_and_recipe": set(procedural), "handmade": set(handmade)}
    scorer = Scorer(ScorerConfig(ocr_backend=cfg.ocr_backend, validity=cfg.reward_validity, judge=cfg.judge))
    out = {"descriptions": descs, "handmade": handmade, "seeds": seeds, "systems": {}}
    images, rewards_by = {}, {}
    variant_of = {}  # name -> (system, the sampling variant's suffix)
    for plain, adapter in _systems(run, systems, adapters):
        policy = _load(cfg, adapter)
        variants = [
            (g, lg, cg) for g in guidance or [1.0] for lg in loop_guards or [False] for cg in close_guards or [False]
        ]
        for scale, guard, closer in variants:
            name = (plain if scale == 1 else f"{plain}@guidance{scale:g}") + ("+loopguard" if guard else "")
            name += "+closeguard" if closer else ""
            t = time.perf_counter()
            bans = 0
            closes = dict.fromkeys(REASONS, 0)
            failed = []  # (seed, description, error) of drawings that did not render
            rows = []  # (seed, description, record, completion, cleaned, present)
            for seed in seeds:
                comps = []
                for i in range(0, len(descs), 6):
                    comps += [
                        o[0]
                        for o in policy.sample(
                            descs[i : i + 6],
                            max_new_tokens=cfg.sample_max_new_tokens,
                            temperature=0.7,
                            top_p=0.95,
                            seed=seed,
                            guidance=scale,
                            loop_guard=guard,
                            close_guard=closer,
                        )
                    ]
                    bans += policy.last_loop_bans
                    for k, v in policy.last_closes.items():
                        closes[k] += v
                texts = [policy.format.to_svg(c) for c in comps]
                recs = scorer.score(texts, descs)
                cleaned = [sanitize(x) for x in texts]
                renders = [render_safe(c.svg) for c in cleaned]
                # a drawing the sandbox cannot render in time is shown (and judged for colours) blank
                failed += [(seed, d, r.error) for d, r in zip(descs, renders) if not r.ok]
                shown = [r.image if r.ok else np.full((384, 384, 3), 255, np.uint8) for r in renders]
                if seed == seeds[0]:
                    images[name] = shown
                rows += [
                    (seed, d, r, c, x, named_colours_present(img, d))
                    for d, r, c, x, img in zip(descs, recs, comps, cleaned, shown)
                ]
            secs = time.perf_counter() - t
            rewards_by[name] = {(s, d): r.reward for s, d, r, *_ in rows}
            variant_of[name] = (plain, name[len(plain) :])
            entry = {
                "seconds_generating": rnd(secs, 1),
                "output_vocab": len(policy.vocab) if policy.vocab else None,
                "guidance": scale,
                "loop_guard": guard,
                "loop_guard_bans": bans,
                "close_guard": closer,
                "close_guard_closes": closes,
                "render_failures": [{"seed": x, "description": d, "error": e} for x, d, e in failed],
            }
            for group, members in groups.items():
                g = [row for row in rows if row[1] in members]
                objects = [r.components.get("judge_object") for _, _, r, *_ in g if "judge_object" in r.components]
                entry[group] = {
                    "n": len(g),
                    "reward": _mean([r.reward for _, _, r, *_ in g]),
                    "judge_faithfulness": _mean([r.judge_faithfulness for _, _, r, *_ in g]),
                    "judge_object": _mean(objects),
                    "object_questions": len(objects),
                    "object_recognised": rnd(sum(o >= 0.5 for o in objects) / len(objects)) if objects else None,
                    "raw_validity": rnd(sum(r.raw_valid for _, _, r, *_ in g) / len(g)),
                    # raw-invalid texts that never close the root: the token limit cut them off
                    "cut_off": rnd(sum(not r.raw_valid and "</svg>" not in c for _, _, r, c, *_ in g) / len(g)),
                    "fallback_rate": rnd(sum(x.fallback for *_, x, _ in g) / len(g)),
                    "bytes": rnd(sum(len(policy.format.to_svg(c).encode()) for _, _, _, c, _, _ in g) / len(g), 1),
                }
                named = sum(k for *_, (_, k) in g)
                entry[group]["named_colours_present"] = rnd(sum(h for *_, (h, _) in g) / named) if named else None
                entry[group]["descriptions_naming_colours"] = sum(k > 0 for *_, (_, k) in g)
            entry["examples"] = [
                {
                    "seed": s,
                    "description": d,
                    "reward": rnd(r.reward),
                    "judge_faithfulness": rnd(r.judge_faithfulness),
                    "judge_object": rnd(r.components.get("judge_object")),
                    "raw_valid": r.raw_valid,
                    "named_colours_present": p,
                    "completion": c[:300],
                    "completion_end": c[-200:],
                }
                for s, d, r, c, _, p in rows
            ]
            out["systems"][name] = entry
        del policy
    # each system against the SFT adapter sampled the same way (same guidance and guards)
    vs_sft = {
        name: paired(rewards_by["sft" + suffix], rewards_by[name], groups)
        for name, (plain, suffix) in variant_of.items()
        if plain != "sft" and "sft" + suffix in rewards_by
    }
    if "sft" in rewards_by:  # and the sampling variants of SFT against plain SFT
        vs_sft.update(
            {
                n: paired(rewards_by["sft"], rewards_by[n], groups)
                for n, (p, x) in variant_of.items()
                if p == "sft" and x
            }
        )
    if vs_sft:
        out["paired_vs_sft"] = vs_sft
    for suffix, key in (("+loopguard", "paired_vs_no_loop_guard"), ("+closeguard", "paired_vs_no_close_guard")):
        with_guard = {name: name.removesuffix(suffix) for name in rewards_by if name.endswith(suffix)}
        if with_guard:
            out[key] = {
                name: paired(rewards_by[plain], rewards_by[name], groups)
                for name, plain in with_guard.items()
                if plain in rewards_by
            }
    guided = {name: name.split("@guidance")[0] for name in rewards_by if "@guidance" in name and "+" not in name}
    if guided:
        out["paired_vs_unguided"] = {
            name: paired(rewards_by[plain], rewards_by[name], groups)
            for name, plain in guided.items()
            if plain in rewards_by
        }
    if grid is not None and images:
        names = list(images)
        contact_sheet([(d, [images[k][i] for k in names]) for i, d in enumerate(descs)], names).save(grid)
        out["grid"] = str(grid)
    return out


def _on_off_list(text: str) -> str:
    if not text or any(x not in ("off", "on") for x in text.split(",")):
        raise argparse.ArgumentTypeError(f"{text!r}: expected off, on or off,on")
    return text


def paired(base: dict, other: dict, groups: dict) -> dict:
    """`other` minus `base` on the same (seed, description) pairs where both rewards are known:
    the mean difference per group, per seed, and the spread (sample standard deviation) of the per-seed means."""
    import statistics

    out = {}
    for group, members in groups.items():
        keys = [k for k in base if k[1] in members and base[k] is not None and other.get(k) is not None]
        per_seed = {}
        for s, d in keys:
            per_seed.setdefault(s, []).append(other[(s, d)] - base[(s, d)])
        means = {s: sum(v) / len(v) for s, v in per_seed.items()}
        out[group] = {
            "pairs": len(keys),
            "mean_difference": rnd(sum(other[k] - base[k] for k in keys) / len(keys)) if keys else None,
            "per_seed": {str(s): rnd(m) for s, m in means.items()},
            "spread_over_seeds": rnd(statistics.stdev(means.values())) if len(means) > 1 else None,
            "better_pairs": sum(other[k] > base[k] for k in keys),
            "worse_pairs": sum(other[k] < base[k] for k in keys),
        }
    return out


def section_reliance(cfg, run: Path, n: int, systems: list[str], adapters: dict[str, Path] | None = None) -> dict:
    """How much each system takes from the description (eval.conditioning.prompt_reliance): the
    teacher-forced loss of `n` held-out corpus drawings under their own description and under
    another record's, over all completion tokens and over the paint tokens."""
    from eval.conditioning import prompt_reliance

    records = [(s.description, s.svg) for s in held_out_scenes(cfg, n)]
    out = {"records": len(records), "set": "held-out corpus records (seed 9173), not in the run's training set"}
    for name, adapter in _systems(run, systems, adapters):
        policy = _load(cfg, adapter)
        t = time.perf_counter()
        out[name] = {k: rnd(v) for k, v in prompt_reliance(policy, records).as_dict().items()}
        out[name]["seconds"] = rnd(time.perf_counter() - t, 1)
        del policy
    return out


def section_curve(run: Path) -> dict:
    log = [json.loads(x) for x in (run / "log.jsonl").read_text().splitlines() if x.strip()]
    sft = [{"step": r["step"], "loss": rnd(r["loss"])} for r in log if r["stage"] == "sft" and "loss" in r]
    keys = [
        "rewards/reward/mean",
        "rewards/raw_validity/mean",
        "rewards/validity/mean",
        "rewards/ocr/mean",
        "rewards/standin_faithfulness/mean",
        "rewards/judge_faithfulness/mean",
        "rewards/judge_vqa/mean",
        "rewards/judge_object/mean",
        "rewards/judge_color/mean",
        "rewards/judge_setting/mean",
        "rewards/judge_time/mean",
        "rewards/judge_count/mean",
        "rewards/standin_quality/mean",
        "rewards/size/mean",
        "rewards/bytes/mean",
        "completions/mean_length",
        "completions/clipped_ratio",
        "frac_reward_zero_std",
        "step_time",
    ]
    grpo = [
        {"step": r["step"], **{k.replace("rewards/", "").replace("/mean", ""): rnd(r.get(k)) for k in keys}}
        for r in log
        if r["stage"] == "grpo" and "step_time" in r
    ]
    summary = json.loads((run / "summary.json").read_text()) if (run / "summary.json").exists() else None
    return {"sft": sft, "grpo": grpo, "summary": summary}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", required=True, help="a finished training run (output_dir)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--sections", default="gen,step,eval,curve")
    ap.add_argument("--eval-n", type=int, default=12)
    ap.add_argument(
        "--eval-systems", default="base,sft,sft+grpo", help="which of base, sft, sft+grpo the eval section samples"
    )
    ap.add_argument("--eval-grid", default=None, help="write a contact sheet of the eval samples here (PNG)")
    ap.add_argument(
        "--eval-seeds",
        default=None,
        help="sampling seeds of the eval section, comma-separated (default: the run's seed)",
    )
    ap.add_argument("--eval-adapters", default="", help="more systems for the eval section: name=adapter_folder,...")
    ap.add_argument(
        "--eval-guidance",
        default="1",
        help="description guidance scales of the eval section, comma-separated (1 = plain sampling); "
        "each system samples at each, paired against itself at 1",
    )
    ap.add_argument(
        "--eval-loop-guard",
        default="off",
        type=_on_off_list,
        help="the loop guard in the eval section: off, on, or off,on (each system both ways, paired)",
    )
    ap.add_argument(
        "--eval-close-guard",
        default="off",
        type=_on_off_list,
        help="the close guard in the eval section: off, on, or off,on (each system both ways, paired)",
    )
    ap.add_argument("--reliance-n", type=int, default=24, help="held-out drawings of the reliance section")
    ap.add_argument("--tmp", default="/tmp/bench_policy")
    ap.add_argument("--speed-sft-steps", type=int, default=5, help="timed SFT steps per variant (speed section)")
    ap.add_argument("--speed-grpo-steps", type=int, default=2, help="GRPO steps per variant (speed section)")
    ap.add_argument("--speed-group", type=int, default=8, help="completions per GRPO step (speed section)")
    ap.add_argument("--speed-part", choices=["sft", "grpo"], help=argparse.SUPPRESS)  # one measurement (a child)
    ap.add_argument("--speed-variant", help=argparse.SUPPRESS)
    ap.add_argument("--speed-batch", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    from svg_agent._torchvision import ensure_torchvision

    ensure_torchvision()
    if args.speed_part:
        Path(args.tmp).mkdir(parents=True, exist_ok=True)
        result = _speed_child(args)
        Path(args.out).write_text(json.dumps(result))
        return 0
    import torch

    from svg_agent.app.rundir import RunDir

    run = Path(args.run)
    cfg = RunDir(run).train_config()
    sections = args.sections.split(",")
    result = Report("the policy: generation speed, GRPO step, held-out drawings, SFT speed")
    result.update(
        {
            "load_before": load_info(),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "model": cfg.model,
            "run": str(run),
        }
    )
    tmp = Path(args.tmp)
    if tmp.exists():
        import shutil

        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    if "gen" in sections:
        result["generation"] = section_gen(cfg, run)
        print("gen", json.dumps(result["generation"]), flush=True)
    if "step" in sections:
        result["grpo_step"] = section_step(cfg, run, tmp)
        print("step", json.dumps(result["grpo_step"]), flush=True)
    extra = dict(x.split("=", 1) for x in args.eval_adapters.split(",") if x)
    if "eval" in sections:
        result["held_out"] = section_eval(
            cfg,
            run,
            args.eval_n,
            args.eval_systems.split(",") + list(extra),
            Path(args.eval_grid) if args.eval_grid else None,
            [int(x) for x in args.eval_seeds.split(",")] if args.eval_seeds else None,
            extra,
            [float(x) for x in args.eval_guidance.split(",")],
            [x == "on" for x in args.eval_loop_guard.split(",")],
            [x == "on" for x in args.eval_close_guard.split(",")],
        )
        print(
            "eval",
            json.dumps(
                {
                    k: {kk: vv for kk, vv in v.items() if kk != "examples"}
                    for k, v in result["held_out"]["systems"].items()
                }
            ),
            flush=True,
        )
        print("paired", json.dumps(result["held_out"].get("paired_vs_sft")), flush=True)
    if "reliance" in sections:
        result["prompt_reliance"] = section_reliance(
            cfg, run, args.reliance_n, args.eval_systems.split(",") + list(extra), extra
        )
        print("reliance", json.dumps(result["prompt_reliance"]), flush=True)
    if "curve" in sections:
        result["curve"] = section_curve(run)
    if "speed" in sections:
        result["speed"] = section_speed(args, tmp)
    result["peak_rss_mb_process"] = rnd(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0)
    result.write(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
