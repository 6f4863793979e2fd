"""python benchmarks/bench_policy.py --run runs/default --out benchmarks/results/policy.json [--sections gen,step,eval,curve] [--eval-n 12]

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
   descriptions), one sampled completion each (temperature 0.7, top-p 0.95, the recipe's sample
   token limit), for the base model, the SFT adapter and the final adapter: mean reward, raw
   validity rate (the completion as written validates), fallback rate (nothing usable after
   sanitize), mean bytes as written, mean faithfulness stand-in of the valid ones.
4. curve: the run's logged curve (log.jsonl): SFT loss per step; GRPO reward components, raw
   validity, bytes, completion length and step time per step; and the run's summary.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, MemorySampler, command_line, load_info, machine_info, rnd  # noqa: E402

sys.path.insert(0, str(REPO))


def _load(cfg, adapter=None):
    from svg_agent.policy import PolicySpec, load_policy

    return load_policy(PolicySpec(model=cfg.model, dtype=cfg.dtype, prompt_format=cfg.prompt_format, adapter=adapter,
                                  device="cpu"))


def section_gen(cfg, run: Path) -> dict:
    from svg_agent.policy import rebase_svg
    from vectorize.scenes import generate_scenes

    policy = _load(cfg, run / "adapter")
    desc = "a red circle on a blue background"
    out = {"max_new_tokens": cfg.grpo_max_completion_length}
    policy.sample([desc], num_return_sequences=1, max_new_tokens=8, seed=0)  # warm-up
    gen_bytes, gen_tokens = 0, 0
    for batch in (1, cfg.grpo_num_generations):
        for mode in ("sampled", "greedy"):
            if mode == "greedy" and batch > 1:
                outs = policy.sample([desc] * batch, num_return_sequences=1, max_new_tokens=cfg.grpo_max_completion_length,
                                     do_sample=False)
                outs = [o[0] for o in outs]
            else:
                outs = policy.sample([desc], num_return_sequences=batch, max_new_tokens=cfg.grpo_max_completion_length,
                                     do_sample=mode == "sampled", temperature=1.0, top_p=0.95, seed=1)[0]
            out[f"batch{batch}_{mode}"] = {"tokens": policy.last_tokens, "seconds": rnd(policy.last_seconds, 2),
                                           "tokens_per_s": rnd(policy.last_tokens / policy.last_seconds, 2)}
            if mode == "sampled":
                gen_bytes += sum(len(o.encode()) for o in outs)
                gen_tokens += sum(len(policy.tokenizer(o, add_special_tokens=False)["input_ids"]) for o in outs)
    bodies = [rebase_svg(s.svg) for s in generate_scenes(200, seed=0, flat=True)]
    toks = sum(len(policy.tokenizer(b, add_special_tokens=False)["input_ids"]) for b in bodies)
    out["bytes_per_token_training_svgs"] = rnd(sum(len(b.encode()) for b in bodies) / toks, 3)
    out["bytes_per_token_generated"] = rnd(gen_bytes / max(1, gen_tokens), 3)
    return out


def section_step(cfg, run: Path, tmp: Path) -> dict:
    import transformers

    import rewards.registry as registry
    from svg_agent.train import train

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

    step_cfg = dataclasses.replace(cfg, output_dir=str(tmp / "step"), stages=["grpo"], grpo_max_steps=2, adapter=str(run / "sft" / "adapter"),
                                   report_to=["none"], save_steps=1000, eval_descriptions=cfg.eval_descriptions[:1],
                                   sample_max_new_tokens=1, resume=False)
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
        r = sum(timings["reward"][i * len(cfg.grpo_rewards):(i + 1) * len(cfg.grpo_rewards)])
        rows.append({"step_s": rnd(s["step_time"], 2), "generate_s": rnd(g, 2), "reward_s": rnd(r, 2),
                     "backward_and_rest_s": rnd(s["step_time"] - (g or 0) - r, 2),
                     "completion_tokens_mean": rnd(s.get("completions/mean_length"), 1)})
    return {"steps": rows, "completions_per_step": cfg.grpo_batch_size, "max_completion_length": cfg.grpo_max_completion_length,
            "peak_rss_mb": rnd(mem.peak_self / 2**20, 0), "peak_render_workers_mb": rnd(mem.peak_children / 2**20, 0)}


def held_out(cfg, n: int) -> list[str]:
    from svg_agent.train import training_records
    from vectorize.scenes import generate_scenes

    seen = {r["description"] for r in training_records(cfg)}
    fresh = [s.description for s in generate_scenes(n * 4, seed=9173, flat=True) if s.description not in seen]
    return fresh[:n] + list(cfg.eval_descriptions)


def section_eval(cfg, run: Path, n: int) -> dict:
    from rewards.scorer import Scorer, ScorerConfig
    from svg_agent.sanitize import sanitize

    descs = held_out(cfg, n)
    scorer = Scorer(ScorerConfig(ocr_backend=cfg.ocr_backend, validity=cfg.reward_validity))
    out = {"descriptions": descs, "systems": {}}
    for name, adapter in (("base", None), ("sft", run / "sft" / "adapter"), ("sft+grpo", run / "adapter")):
        if adapter is not None and not adapter.exists():
            continue
        policy = _load(cfg, adapter)
        t = time.perf_counter()
        comps = []
        for i in range(0, len(descs), 6):
            comps += [o[0] for o in policy.sample(descs[i:i + 6], max_new_tokens=cfg.sample_max_new_tokens,
                                                  temperature=0.7, top_p=0.95, seed=cfg.seed)]
        secs = time.perf_counter() - t
        texts = [policy.format.to_svg(c) for c in comps]
        recs = scorer.score(texts, descs)
        fallback = [sanitize(x).fallback for x in texts]
        valid = [r for r in recs if r.valid]
        out["systems"][name] = {
            "n": len(descs), "reward": rnd(sum(r.reward for r in recs) / len(recs)),
            "raw_validity": rnd(sum(r.raw_valid for r in recs) / len(recs)),
            "fallback_rate": rnd(sum(fallback) / len(fallback)),
            "bytes": rnd(sum(len(x.encode()) for x in texts) / len(texts), 1),
            "standin_faithfulness_of_valid": rnd(sum(r.standin_faithfulness or 0 for r in valid) / len(valid)) if valid else None,
            "seconds_generating": rnd(secs, 1),
            "examples": [{"description": d, "reward": rnd(r.reward), "raw_valid": r.raw_valid, "completion": c[:300]}
                         for d, r, c in list(zip(descs, recs, comps))[:3]],
        }
        del policy
    return out


def section_curve(run: Path) -> dict:
    log = [json.loads(x) for x in (run / "log.jsonl").read_text().splitlines() if x.strip()]
    sft = [{"step": r["step"], "loss": rnd(r["loss"])} for r in log if r["stage"] == "sft" and "loss" in r]
    keys = ["rewards/reward/mean", "rewards/raw_validity/mean", "rewards/validity/mean", "rewards/ocr/mean",
            "rewards/standin_faithfulness/mean", "rewards/standin_quality/mean", "rewards/size/mean", "rewards/bytes/mean",
            "completions/mean_length", "completions/clipped_ratio", "frac_reward_zero_std", "step_time"]
    grpo = [{"step": r["step"], **{k.replace("rewards/", "").replace("/mean", ""): rnd(r.get(k)) for k in keys}}
            for r in log if r["stage"] == "grpo" and "step_time" in r]
    summary = json.loads((run / "summary.json").read_text()) if (run / "summary.json").exists() else None
    return {"sft": sft, "grpo": grpo, "summary": summary}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", required=True, help="a finished training run (output_dir)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--sections", default="gen,step,eval,curve")
    ap.add_argument("--eval-n", type=int, default=12)
    ap.add_argument("--tmp", default="/tmp/bench_policy")
    args = ap.parse_args()
    from svg_agent._torchvision import ensure_torchvision

    ensure_torchvision()
    import torch
    import yaml

    from svg_agent.train import TrainConfig

    run = Path(args.run)
    cfg = TrainConfig(**yaml.safe_load((run / "train_config.yaml").read_text()))
    sections = args.sections.split(",")
    result = {"command": command_line(), "machine": machine_info(), "load_before": load_info(), "torch": torch.__version__,
              "threads": torch.get_num_threads(), "model": cfg.model, "run": str(run)}
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
    if "eval" in sections:
        result["held_out"] = section_eval(cfg, run, args.eval_n)
        print("eval", json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "examples"}
                                  for k, v in result["held_out"]["systems"].items()}), flush=True)
    if "curve" in sections:
        result["curve"] = section_curve(run)
    result["peak_rss_mb_process"] = rnd(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
