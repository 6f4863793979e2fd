"""python benchmarks/bench_corpus.py --out benchmarks/results/corpus.json [--n 3000] [--sheet benchmarks/results/corpus_sheet.png]

The procedural warm-start corpus (vectorize/scenes.py), measured as the CPU recipe uses it:

1. breadth: records per family; the colour names, objects, garments, terrains, times, materials
   and patterns its descriptions use; the vocabulary of the descriptions (distinct words); the
   paint values of the drawings (fill, stroke, stop-color): the share written as CSS colour names
   and the distinct values.
2. length: the completion the policy is trained on (the flat-backdrop drawing after the root
   tag, `PromptFormat("base").completion`) in tokens of the Gemma 3 tokenizer (the offline
   270M's), per family: percentiles, the share over 200 and over `--max-tokens` (the recipe's
   `max_svg_tokens`, records the recipe drops); and in bytes.
3. the held-out split: its share, and that no near-duplicate (`description_key`) crosses it.
4. a contact sheet of 64 random records (`--sheet`), rendered as the scorer renders.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np
from harness import REPO, Report, rnd


def _family(s) -> str:
    return s.family if s.family in ("abstract", "landscape") else "fashion"


def _pcts(values) -> dict:
    v = np.asarray(values)
    return {
        "mean": rnd(float(v.mean()), 1),
        **{f"p{p}": rnd(float(np.percentile(v, p)), 1) for p in (10, 50, 90, 99)},
        "max": int(v.max()),
    }


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="benchmarks/results/corpus.json")
    ap.add_argument("--n", type=int, default=3000, help="records drawn (seed 0, the recipe's dataset_seed)")
    ap.add_argument("--max-tokens", type=int, default=None, help="the recipe's max_svg_tokens (default: read from it)")
    ap.add_argument("--recipe", default=str(REPO / "configs/train/gemma3-270m-cpu.yaml"))
    ap.add_argument("--sheet", default="benchmarks/results/corpus_sheet.png")
    args = ap.parse_args(argv)

    import yaml
    from transformers import AutoTokenizer

    from svg_agent.app.policy import PromptFormat, resolve_model
    from vectorize.dataset import dataset_contact_sheet
    from vectorize.scenes import (
        COLORS,
        CSS_COLORS,
        GARMENTS,
        MATERIALS,
        SCENE_OBJECTS,
        SHAPES,
        TERRAINS,
        TIMES,
        description_key,
        generate_scenes,
        split_of,
    )

    recipe = yaml.safe_load(Path(args.recipe).read_text())
    max_tokens = args.max_tokens or int(recipe.get("max_svg_tokens", 200))
    t0 = time.perf_counter()
    scenes = list(generate_scenes(args.n, seed=0, flat=True))
    seconds = time.perf_counter() - t0
    tok = AutoTokenizer.from_pretrained(resolve_model("gemma3-270m-offline"))
    fmt = PromptFormat("base")
    tokens = {s.description: len(tok(fmt.completion(s.svg), add_special_tokens=False)["input_ids"]) for s in scenes}

    text = " ".join(s.description for s in scenes)
    words = re.findall(r"[a-z]+(?:-[a-z]+)*", text)
    drawn = Counter(s.attrs.get("object") for s in scenes)
    paints = [
        p
        for s in scenes
        for p in re.findall(r'(?:fill|stroke|stop-color)="([^"]+)"', s.svg)
        if p != "none" and not p.startswith("url(")
    ]
    report = Report("the procedural warm-start corpus", started=t0)
    report.update(
        {
            "n": len(scenes),
            "records_per_s": rnd(len(scenes) / seconds, 1),
            "families": dict(Counter(_family(s) for s in scenes)),
            "breadth": {
                "colour_names_used": sum(n in set(words) for n in COLORS),
                "colour_lexicon": len(COLORS),
                "shapes_drawn": sum(drawn[x] > 0 for x in SHAPES),
                "shapes": len(SHAPES),
                "scene_objects_drawn": sum(drawn[x] > 0 for x in SCENE_OBJECTS),
                "scene_objects": len(SCENE_OBJECTS),
                "garments_drawn": sum(drawn[x] > 0 for x in GARMENTS),
                "garments": len(GARMENTS),
                "terrains_drawn": len({s.attrs["terrain"] for s in scenes if "terrain" in s.attrs}),
                "terrains": len(TERRAINS),
                "time_words_used": sum(t in text for t in TIMES),
                "materials_used": sum(m in text for m in MATERIALS),
                "description_vocabulary": len(set(words)),
                "description_words": _pcts([len(s.description.split()) for s in scenes]),
            },
            "paints": {
                "values": len(paints),
                "share_css_names": rnd(sum(p in CSS_COLORS for p in paints) / len(paints), 4),
                "distinct": len(set(paints)),
            },
            "length": {
                "tokenizer": "gemma3-270m-offline",
                "max_svg_tokens": max_tokens,
                "tokens": _pcts(list(tokens.values())),
                "share_over_200": rnd(float(np.mean([v > 200 for v in tokens.values()])), 4),
                f"share_over_{max_tokens}": rnd(float(np.mean([v > max_tokens for v in tokens.values()])), 4),
                "by_family": {
                    f: _pcts([tokens[s.description] for s in scenes if _family(s) == f])
                    for f in ("abstract", "landscape", "fashion")
                },
                "bytes": _pcts([len(s.svg.encode()) for s in scenes]),
            },
        }
    )
    held = [s for s in scenes if split_of(s) == "heldout"]
    train_keys = {description_key(s.description) for s in scenes if split_of(s) == "train"}
    report["split"] = {
        "heldout_share": rnd(len(held) / len(scenes), 4),
        "near_duplicates_across": sum(description_key(s.description) in train_keys for s in held),
    }
    if args.sheet:
        rng = random.Random(0)
        pick = rng.sample(scenes, 64)
        tmp = Path(args.sheet).with_suffix(".jsonl")
        tmp.write_text("".join(json.dumps({"description": s.description, "svg": s.svg}) + "\n" for s in pick))
        dataset_contact_sheet(tmp, args.sheet, n=64, columns=8)
        tmp.unlink()
        report["sheet"] = args.sheet
    report.write(args.out, echo=("families", "breadth", "paints", "length", "split"))
    return report


if __name__ == "__main__":
    main()
