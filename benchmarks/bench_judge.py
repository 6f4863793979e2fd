"""python benchmarks/bench_judge.py --out benchmarks/results/judge.json [--heldout 300] [--traced 60] [--random 8]

The offline judge (rewards/judge.py, a STAND-IN for PaliGemma), measured on work it never trained on.
`bench_rewards.py` runs the same section (`--sections judge`) into its own JSON.

1. accuracy: share of the corpus's own questions answered right (argmax over the choices) on the
   defended renders of the held-out split (descriptions never in training), with gradient and with
   flat backdrops; and on the same records traced by the vectorizer (`vectorize_image` on their
   384 px renders), i.e. drawings the corpus did not write.
2. pictures of nothing: blank canvases, one colour, random polygons and circles (a generator of
   this script, not the judge's), and text; the mean top probability over the corpus questions
   against 1 / choices.
3. the reward: the offline reward (the scorer's, RapidOCR included: a clean drawing must not be
   flagged for hidden text) of hand-made drawings
   (svg_agent/examples/handmade, descriptions and drawings written by hand) against random
   drawings of polygons and circles on the same descriptions, all and on the descriptions that name
   no colour; with the judge and, side by side, with the older pixel stand-in (judge=None).
4. throughput: judge.predict on batches of defended 384 px images (prepared beforehand), and per
   single image; the machine's cores are whatever it has (2 here).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np
from harness import Report, rnd

HANDMADE = Path(__file__).resolve().parents[1] / "svg_agent" / "examples" / "handmade"
NS = 'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 384 384"'


def random_drawing(rng: random.Random) -> str:
    """Random polygons and circles in random colours on a random background."""

    def col():
        return "#%06x" % rng.randint(0, 0xFFFFFF)

    parts = [f'<svg {NS}><rect width="384" height="384" fill="{col()}"/>']
    for _ in range(rng.randint(2, 10)):
        if rng.random() < 0.5:
            parts.append(
                f'<circle cx="{rng.randint(0, 384)}" cy="{rng.randint(0, 384)}" r="{rng.randint(10, 120)}" fill="{col()}"/>'
            )
        else:
            pts = " ".join(f"{rng.randint(0, 384)},{rng.randint(0, 384)}" for _ in range(rng.randint(3, 8)))
            parts.append(f'<polygon points="{pts}" fill="{col()}"/>')
    return "".join(parts) + "</svg>"


def nothing_svgs(rng: random.Random, n: int) -> dict[str, list[str]]:
    text = (
        '<path d="M40 120v140M40 190h70M110 120v140M150 120v140h60M150 120h60M150 190h50M240 120v140h60'
        'M320 120v140h50" fill="none" stroke="#000" stroke-width="14"/>'
    )  # "HELLO"-like strokes
    return {
        "blank": [f'<svg {NS}><rect width="384" height="384" fill="#{c}"/></svg>' for c in ("ffffff", "000000")],
        "one_colour": [
            f'<svg {NS}><rect width="384" height="384" fill="#%06x"/></svg>' % rng.randint(0, 0xFFFFFF)
            for _ in range(4)
        ],
        "random_shapes": [random_drawing(rng) for _ in range(n)],
        "text": [
            f'<svg {NS}><rect width="384" height="384" fill="#fff"/>{text}</svg>',
            f'<svg {NS}><rect width="384" height="384" fill="#203040"/>{text.replace("#000", "#ffd000")}</svg>',
        ],
    }


def handmade() -> list[tuple[str, str]]:
    index = json.loads((HANDMADE / "index.json").read_text())
    return [(e["description"], (HANDMADE / e["file"]).read_text()) for e in index]


def names_colour(description: str) -> bool:
    from rewards.judge import value_of

    return any(value_of("color", w) for w in description.lower().replace("-", " ").split())


def section(
    judge=None, heldout: int = 300, traced: int = 60, n_random: int = 8, seed: int = 0, progress: bool = True
) -> dict:
    """The judge section as a dict (see the module docstring)."""
    from tqdm import tqdm

    from rewards.judge import choice_probs, route
    from rewards.judge_model import accuracy, heldout_scenes, load_judge
    from rewards.scorer import Scorer, ScorerConfig
    from svg_agent.defenses import defend_main
    from svg_agent.render import RenderPool, render_image
    from vectorize.trace import vectorize_image

    judge = judge or load_judge()
    rng = random.Random(seed)
    out: dict = {
        "stand_in": "the judge is a stand-in for PaliGemma, trained on the procedural corpus; not the metric",
        "judge_meta": judge.meta,
    }

    # 1. accuracy
    held = heldout_scenes(heldout)
    out["accuracy_heldout"] = accuracy(judge, held, seed=seed + 11)
    out["accuracy_heldout_flat"] = accuracy(judge, held, seed=seed + 12, flat=True)
    sub = held[:traced]
    traced_imgs, traced_bytes = [], []
    for i, s in enumerate(tqdm(sub, desc="judge bench: tracing", disable=not progress)):
        svg = vectorize_image(np.asarray(render_image(s.svg))).svg
        traced_bytes.append(len(svg.encode()))
        traced_imgs.append(defend_main(render_image(svg), np.random.RandomState(seed + 13 + i)))
    out["accuracy_traced_by_vectorizer"] = {
        **accuracy(judge, sub, images=traced_imgs),
        "records": len(sub),
        "mean_bytes": rnd(float(np.mean(traced_bytes)), 1),
    }

    # 2. pictures of nothing
    questions = [q for s in held[:40] for q in s.questions]
    nothing = {}
    for kind, svgs in nothing_svgs(rng, 12).items():
        tops, chance = [], []
        imgs = [defend_main(render_image(s), np.random.RandomState(seed + 20 + i)) for i, s in enumerate(svgs)]
        for probs in judge.predict(imgs):
            for q in questions:
                r = route(q["question"], q["choices"])
                tops.append(float(choice_probs(probs, r).max()))
                chance.append(1 / len(q["choices"]))
        nothing[kind] = {
            "images": len(svgs),
            "mean_top_probability": rnd(np.mean(tops)),
            "mean_chance": rnd(np.mean(chance)),
            "excess": rnd(np.mean(tops) - np.mean(chance)),
            "target_excess_max": 0.15,
            "met": bool(np.mean(tops) - np.mean(chance) <= 0.15),
        }
    out["pictures_of_nothing"] = nothing

    # 3. the reward: hand-made drawings against random ones, judge vs pixel stand-in
    pairs = handmade()
    with RenderPool(workers=2) as pool:
        for name, cfg in (("judge", ScorerConfig()), ("pixel_standin", ScorerConfig(judge=None))):
            scorer = Scorer(cfg, pool=pool, judge=judge if name == "judge" else None)
            rows = []
            for d, svg in tqdm(pairs, desc=f"judge bench: rewards ({name})", disable=not progress):
                rand = [random_drawing(rng) for _ in range(n_random)]
                recs = scorer.score([svg] + rand, [d] * (1 + n_random))
                rr = [r.reward for r in recs[1:]]
                rows.append(
                    {
                        "description": d,
                        "names_colour": names_colour(d),
                        "handmade": rnd(recs[0].reward),
                        "handmade_hidden_text_flag": recs[0].hidden_text,
                        "handmade_ocr": rnd(recs[0].ocr),
                        "handmade_faithfulness": rnd(
                            recs[0].judge_faithfulness if name == "judge" else recs[0].standin_faithfulness
                        ),
                        "random_mean": rnd(np.mean([x or 0 for x in rr])),
                        "random_max": rnd(max(x or 0 for x in rr)),
                        "unknown": recs[0].reward is None,
                    }
                )

            def agg(rs):
                hm = [r["handmade"] or 0 for r in rs]
                rm = [r["random_mean"] for r in rs]
                return {
                    "descriptions": len(rs),
                    "handmade_mean": rnd(np.mean(hm)),
                    "random_mean": rnd(np.mean(rm)),
                    "handmade_flagged_hidden_text": sum(bool(r["handmade_hidden_text_flag"]) for r in rs),
                    "gap": rnd(np.mean(hm) - np.mean(rm)),
                    "handmade_beats_every_random": sum((r["handmade"] or 0) > r["random_max"] for r in rs),
                }

            out[f"reward_{name}"] = {
                "all": agg(rows),
                "no_colour_words": agg([r for r in rows if not r["names_colour"]]),
                "rows": rows,
                "random_per_description": n_random,
            }
    out["reward_targets"] = {
        "random_mean_max": 0.3,
        "gap_min": 0.2,
        "met": bool(
            out["reward_judge"]["all"]["random_mean"] <= 0.3
            and out["reward_judge"]["all"]["gap"] >= 0.2
            and out["reward_judge"]["no_colour_words"]["gap"] >= 0.2
        ),
    }

    # 4. throughput
    imgs = [defend_main(render_image(s.svg), np.random.RandomState(i)) for i, s in enumerate(held[:256])]
    judge.predict(imgs[:32])
    t = time.perf_counter()
    judge.predict(imgs)
    batched = len(imgs) / (time.perf_counter() - t)
    t = time.perf_counter()
    for im in imgs[:32]:
        judge.predict([im])
    single = 32 / (time.perf_counter() - t)
    import torch

    out["throughput"] = {
        "images_per_s_batched": rnd(batched, 1),
        "batch": len(imgs),
        "images_per_s_one_by_one": rnd(single, 1),
        "torch_threads": torch.get_num_threads(),
        "target_images_per_s": 50,
        "met": bool(batched >= 50),
    }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="benchmarks/results/judge.json")
    ap.add_argument("--heldout", type=int, default=300)
    ap.add_argument("--traced", type=int, default=60)
    ap.add_argument("--random", type=int, default=8, help="random drawings per hand-made description")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    report = Report("offline judge (a stand-in for PaliGemma)")
    report.update(section(heldout=args.heldout, traced=args.traced, n_random=args.random, seed=args.seed))
    out = report.write(args.out)
    summary = {
        k: report[k]
        for k in (
            "accuracy_heldout",
            "accuracy_heldout_flat",
            "accuracy_traced_by_vectorizer",
            "throughput",
            "reward_targets",
        )
    }
    summary["reward_judge"] = {k: report["reward_judge"][k] for k in ("all", "no_colour_words")}
    summary["reward_pixel_standin"] = {k: report["reward_pixel_standin"][k] for k in ("all", "no_colour_words")}
    summary["pictures_of_nothing"] = report["pictures_of_nothing"]
    print(json.dumps(summary, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
