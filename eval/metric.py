"""Score a submission (`id,svg`) the way the competition does.

    svg-agent score --svgs submission.csv [--descriptions train.csv] [--questions questions.parquet] -o scores.csv

Seeds come from the competition's rule (one draw per id, in sorted order, from RandomState(0)),
so with the same id set the defended images are the metric's own. An SVG that fails validation
scores 0 (the competition would fail the whole run). Without a VQA and an aesthetic model the
`score` column stays empty; the offline stand-ins fill `offline_score`, which is not the metric.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from rewards.questions import load_questions, read_table
from rewards.scorer import Scorer, ScorerConfig
from svg_agent.constraints import validate
from svg_agent.defenses import description_seeds
from svg_agent.errors import InputError

COLUMNS = [
    "id",
    "valid",
    "bytes",
    "ocr",
    "aesthetic",
    "vqa",
    "score",
    "ocr_competition",
    "hidden_text",
    "judge_faithfulness",
    "judge_vqa",
    "standin_faithfulness",
    "standin_quality",
    "offline_score",
    "substitutions",
    "error",
]


def score_submission(
    svgs: str | Path,
    descriptions: str | Path | None = None,
    questions: str | Path | None = None,
    scorer: Scorer | None = None,
) -> tuple[list[dict], dict]:
    """Score every row of a submission file.

    Returns:
        (rows with COLUMNS, summary dict with means and what was substituted)
    """
    table = read_table(svgs)
    if not table or not {"id", "svg"} <= set(table[0]):
        raise InputError(f"{svgs}: needs the columns id,svg")
    desc = {}
    if descriptions:
        desc = {str(r["id"]): r.get("description", "") for r in read_table(descriptions)}
    qmap = load_questions(questions) if questions else {}
    ids = [str(r["id"]) for r in table]
    seeds = description_seeds(ids)
    scorer = scorer or Scorer(ScorerConfig())
    rows = []
    ok = [i for i, r in enumerate(table) if validate(r["svg"] or "").valid]
    records = scorer.score(
        [table[i]["svg"] for i in ok],
        [desc.get(ids[i], "") for i in ok],
        seeds=[seeds[ids[i]] for i in ok],
        questions=[qmap.get(ids[i]) for i in ok],
        rule="submitted",
    )
    by_index = dict(zip(ok, records))
    for i, r in enumerate(table):
        rec = by_index.get(i)
        if rec is None:
            rows.append(
                {
                    "id": ids[i],
                    "valid": False,
                    "bytes": len((r["svg"] or "").encode("utf-8", "surrogatepass")),
                    "score": 0.0,
                    "offline_score": 0.0,
                    "error": validate(r["svg"] or "").summary,
                }
            )
            continue
        rows.append(
            {
                "id": ids[i],
                "valid": rec.valid,
                "bytes": rec.bytes,
                "ocr": rec.ocr_competition,
                "aesthetic": rec.aesthetic,
                "vqa": rec.vqa,
                "score": 0.0 if not rec.valid else rec.metric,  # an SVG that does not render scores 0
                "ocr_competition": rec.ocr_competition,
                "hidden_text": rec.hidden_text,
                "judge_faithfulness": rec.judge_faithfulness,
                "judge_vqa": rec.judge_vqa,
                "standin_faithfulness": rec.standin_faithfulness,
                "standin_quality": rec.standin_quality,
                "offline_score": 0.0 if not rec.valid else rec.components.get("combined"),
                "substitutions": "; ".join(rec.substitutions),
                "error": rec.error,
            }
        )
    metric = [r["score"] for r in rows if r.get("score") is not None]
    summary = {
        "n": len(rows),
        "valid": sum(bool(r["valid"]) for r in rows),
        "score_mean": sum(metric) / len(metric) if len(metric) == len(rows) else None,
        "offline_score_mean": sum(r["offline_score"] or 0.0 for r in rows) / max(1, len(rows)),
        "hidden_text": sum(bool(r.get("hidden_text")) for r in rows),
        "substitutions": sorted({s for r in rows for s in (r.get("substitutions") or "").split("; ") if s}),
    }
    return rows, summary


def write_scores(rows: list[dict], path: str | Path) -> None:
    with Path(path).open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in COLUMNS})


def summary_text(summary: dict) -> str:
    if summary["score_mean"] is not None:
        head = f"score {summary['score_mean']:.4f} (competition metric)"
    else:
        head = (
            "score: n/a (no VQA and aesthetic model configured); "
            f"offline stand-in mean {summary['offline_score_mean']:.4f}, not the competition metric"
        )
    return f"{head}; {summary['valid']}/{summary['n']} valid, {summary['hidden_text']} with hidden text; " + json.dumps(
        {"substitutions": summary["substitutions"]}
    )
