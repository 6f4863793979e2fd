"""Systems side by side on the same descriptions: `svg-agent benchmark --config configs/benchmark/<name>.yaml`.

A config names the descriptions (the competition's train.csv + questions.parquet, a dataset
.jsonl, a text file, or `procedural` scenes with their ground-truth questions) and the systems:

    kind: policy       a Gemma policy (+ adapter) through best-of-N generation (n, time_budget, ...)
    kind: vectorizer   diffusion + trace (a diffusers model id or folder)
    kind: trace-reference   the tracer on the procedural scene's own render: a stand-in for the
                       diffusion step where no diffusion model is available (named as such)
    kind: procedural   the grammar's own SVG, where it drew the description
    kind: csv          a file with id,svg (a submission.csv)
    kind: folder       a folder of <id>.svg files

Each system's final SVG is scored as submitted (invalid scores 0): the competition metric and
its components where CLIP and PaliGemma are configured, otherwise the offline terms, labelled
`standin_*`. Outputs in output_dir: results.jsonl (one row per system and description; a rerun
skips rows already there), summary.json, report.md and report.html (table + image grid),
grid.png (description x system), components.png (distributions), svgs/<system>/<id>.svg.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from svg_agent.errors import ConfigError, InputError
from svg_agent.settings import RewardSettings

log = logging.getLogger(__name__)

KINDS = ("policy", "vectorizer", "trace-reference", "procedural", "csv", "folder")
COMPONENTS = (
    "reward",
    "metric",
    "aesthetic",
    "vqa",
    "ocr",
    "judge_faithfulness",
    "judge_vqa",
    "standin_faithfulness",
    "standin_quality",
    "size_factor",
)


@dataclass
class BenchmarkConfig(RewardSettings):
    """The reward group (svg_agent.settings: the models every system is scored with), the
    descriptions and the systems."""

    name: str = "benchmark"
    output_dir: str = "runs/benchmark"
    descriptions: str = "procedural"  # procedural | train.csv | dataset.jsonl | descriptions.txt
    questions: str | None = None  # the competition's questions file for a CSV of descriptions
    limit: int = 24
    seed: int = 9173  # procedural descriptions' seed (differs from the training recipes')
    systems: list = field(default_factory=list)
    grid_columns: int = 12  # descriptions shown in the image grid

    def __post_init__(self):
        super().__post_init__()  # "none" is None for every optional field
        if not self.systems:
            raise ConfigError("a benchmark needs at least one entry under `systems`")
        names = []
        for i, s in enumerate(self.systems):
            if not isinstance(s, dict) or "kind" not in s:
                raise ConfigError(f"systems[{i}] needs a `kind` ({', '.join(KINDS)})")
            if s["kind"] not in KINDS:
                raise ConfigError(f"systems[{i}]: unknown kind {s['kind']!r}; choose from {', '.join(KINDS)}")
            s.setdefault("name", s["kind"])
            if not re.fullmatch(r"[\w.+-]+", s["name"]):
                raise ConfigError(f"system name {s['name']!r}: use letters, digits, . _ + -")
            names.append(s["name"])
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ConfigError(f"system names must differ: {sorted(dup)[0]!r} appears twice")


def load_config(path: str | Path, overrides: dict | None = None) -> BenchmarkConfig:
    import yaml

    path = Path(path)
    if not path.exists():
        raise InputError(f"benchmark config {path} does not exist")
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a YAML mapping")
    known = {f.name for f in dataclasses.fields(BenchmarkConfig)}
    unknown = [k for k in data if k not in known]
    if unknown:
        raise ConfigError(f"unknown config key {unknown[0]!r} in {path}; known: {', '.join(sorted(known))}")
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return BenchmarkConfig(**data)


# ---------------------------------------------------------------- descriptions


def training_descriptions(cfg: BenchmarkConfig) -> set[str]:
    """Descriptions the benchmarked policies trained on (from their runs' train_config.yaml)."""
    from svg_agent.app.rundir import RunDir
    from svg_agent.app.train import training_records

    seen: set[str] = set()
    for spec in cfg.systems:
        if spec["kind"] != "policy" or not spec.get("adapter"):
            continue
        run = RunDir.of(spec["adapter"])
        if run is None:
            continue
        try:
            seen |= {r["description"].strip().lower() for r in training_records(run.train_config(strict=False))}
        except Exception as exc:  # a dataset that moved: nothing to exclude from it
            log.warning(
                "the training set of %s could not be read (%s: %s): its descriptions are not "
                "excluded from the benchmark",
                run.config_path,
                exc.__class__.__name__,
                exc,
            )
    return seen


def load_items(cfg: BenchmarkConfig, exclude: set[str] | None = None) -> list[dict]:
    """[{id, description, questions, reference_svg?}] from the configured source, minus `exclude`
    (descriptions a benchmarked policy trained on: the comparison is on held-out descriptions)."""
    src = cfg.descriptions
    exclude = exclude or set()
    if src == "procedural":
        from vectorize.scenes import generate_scenes

        items = []
        for s in generate_scenes(max(cfg.limit * 20, 200), seed=cfg.seed, split="heldout"):
            if s.description.strip().lower() not in exclude:
                items.append(
                    {
                        "id": f"p{len(items):04d}",
                        "description": s.description,
                        "questions": s.questions,
                        "reference_svg": s.svg,
                    }
                )
            if len(items) == cfg.limit:
                break
        return items
    path = Path(src)
    if not path.exists():
        raise InputError(f"descriptions {path} does not exist")
    if path.suffix == ".csv":
        from svg_agent.app.generate import read_descriptions

        rows = read_descriptions(path)
        qs = {}
        if cfg.questions:
            from rewards.questions import load_questions

            qs = load_questions(cfg.questions)
        items = [{"id": i, "description": d, "questions": qs.get(i)} for i, d in rows]
    elif path.suffix == ".jsonl":
        from vectorize.dataset import load_records

        items = [
            {
                "id": r.get("id") or f"r{i:04d}",
                "description": r["description"],
                "questions": r.get("questions"),
                "reference_svg": r.get("svg"),
            }
            for i, r in enumerate(load_records(path))
        ]
    else:
        lines = [x.strip() for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        items = [{"id": f"d{i:04d}", "description": d, "questions": None} for i, d in enumerate(lines)]
    return [it for it in items if it["description"].strip().lower() not in exclude][: cfg.limit]


# ---------------------------------------------------------------- systems


class _System:
    label_note = ""

    def __init__(self, spec: dict, cfg: BenchmarkConfig):
        self.spec = spec
        self.name = spec["name"]

    def draw(self, item: dict) -> dict:
        """{svg (final), raw (as produced), extra...} or {skip: reason}."""
        raise NotImplementedError


class _Policy(_System):
    def __init__(self, spec, cfg, scorer=None):
        super().__init__(spec, cfg)
        from svg_agent.app.generate import GenerateConfig, Generator

        keys = {f.name for f in dataclasses.fields(GenerateConfig)}
        bad = [k for k in spec if k not in keys | {"name", "kind"}]
        if bad:
            raise ConfigError(f"system {self.name}: unknown key {bad[0]!r} for a policy")
        gc = GenerateConfig(
            **{k: v for k, v in spec.items() if k in keys},
            **{
                k: getattr(cfg, k)
                for k in ("ocr_backend", "clip", "clip_model", "vqa", "vqa_4bit", "judge")
                if k not in spec
            },
        )
        self.generator = Generator(
            gc, scorer=scorer if not any(k in spec for k in ("ocr_backend", "clip", "vqa")) else None
        )
        self.generator.policy  # load now: a missing model or adapter stops the run with its error

    def draw(self, item):
        r = self.generator.generate(item["description"])  # no questions: choosing by the answers would be an oracle
        rate = sum(c["raw_valid"] for c in r.candidates) / len(r.candidates) if r.candidates else 0.0
        return {
            "svg": r.svg,
            "raw": r.raw_text or "",
            "candidates": len(r.candidates),
            "raw_valid_rate_candidates": round(rate, 4),
            "fallback": r.fallback,
            "error": r.error,
        }


class _Vectorizer(_System):
    def __init__(self, spec, cfg):
        super().__init__(spec, cfg)
        from vectorize.pipeline import DiffusionConfig, VectorizerPipeline

        keys = {f.name for f in dataclasses.fields(DiffusionConfig)}
        opts = {k: v for k, v in spec.items() if k in keys}
        self.pipeline = VectorizerPipeline(DiffusionConfig(**opts))

    def draw(self, item):
        out = self.pipeline(item["description"])
        return {"svg": out.svg, "raw": out.svg}


class _TraceReference(_System):
    label_note = "stand-in: traces the procedural scene's own render in place of a diffusion image"

    def draw(self, item):
        if not item.get("reference_svg"):
            return {"skip": "no reference drawing for this description"}
        from svg_agent.render import render_safe
        from vectorize.trace import vectorize_image

        img = render_safe(item["reference_svg"]).image
        svg = vectorize_image(img, max_bytes=int(self.spec.get("max_bytes", 10_000)))
        svg = svg if isinstance(svg, str) else svg.svg
        return {"svg": svg, "raw": svg}


class _Procedural(_System):
    def draw(self, item):
        if not item.get("reference_svg"):
            return {"skip": "the grammar did not draw this description"}
        return {"svg": item["reference_svg"], "raw": item["reference_svg"]}


class _Csv(_System):
    def __init__(self, spec, cfg):
        super().__init__(spec, cfg)
        import csv
        import sys

        path = Path(spec.get("path", ""))
        if not path.exists():
            raise InputError(f"system {self.name}: {path} does not exist")
        csv.field_size_limit(sys.maxsize)
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or not {"id", "svg"} <= set(reader.fieldnames):
                raise InputError(f"system {self.name}: {path} needs columns id,svg")
            self.svgs = {r["id"]: r["svg"] for r in reader}

    def draw(self, item):
        if item["id"] not in self.svgs:
            return {"skip": "no SVG for this id"}
        return {"svg": self.svgs[item["id"]], "raw": self.svgs[item["id"]]}


class _Folder(_System):
    def __init__(self, spec, cfg):
        super().__init__(spec, cfg)
        self.path = Path(spec.get("path", ""))
        if not self.path.is_dir():
            raise InputError(f"system {self.name}: folder {self.path} does not exist")

    def draw(self, item):
        f = self.path / f"{item['id']}.svg"
        if not f.exists():
            return {"skip": f"no {f.name}"}
        text = f.read_bytes().decode("utf-8", errors="replace")
        return {"svg": text, "raw": text}


SYSTEMS = {
    "policy": _Policy,
    "vectorizer": _Vectorizer,
    "trace-reference": _TraceReference,
    "procedural": _Procedural,
    "csv": _Csv,
    "folder": _Folder,
}


# ---------------------------------------------------------------- run


def _done(path: Path) -> set[tuple[str, str, str]]:
    if not path.exists():
        return set()
    keys = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            r = json.loads(line)
            keys.add((r["system"], r["id"], r["description"]))
        except (json.JSONDecodeError, KeyError):
            continue  # a row cut by an interruption is redone
    return keys


def run_benchmark(cfg: BenchmarkConfig, progress: bool = True, systems: dict | None = None) -> dict:
    """Run every (system, description) row not yet in results.jsonl, then write the summary and report."""
    from tqdm import tqdm

    from rewards.scorer import Scorer, scorer_config
    from svg_agent.selection import raw_validity

    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    items = load_items(cfg, training_descriptions(cfg))
    results = out / "results.jsonl"
    done = _done(results)
    # one scorer (one copy of each model) judges every system and makes every policy's best-of-N choice
    scorer = Scorer(scorer_config(cfg))
    built = dict(systems or {})
    for spec in cfg.systems:
        todo = [it for it in items if (spec["name"], it["id"], it["description"]) not in done]
        if not todo:
            continue
        system = built.get(spec["name"]) or (
            _Policy(spec, cfg, scorer=scorer) if spec["kind"] == "policy" else SYSTEMS[spec["kind"]](spec, cfg)
        )
        (out / "svgs" / spec["name"]).mkdir(parents=True, exist_ok=True)
        for it in tqdm(todo, desc=spec["name"], unit="svg", disable=not progress):
            t = time.perf_counter()
            try:
                drawn = system.draw(it)
            except Exception as exc:  # recorded as an invalid row (scored 0) with its error
                drawn = {"svg": "", "raw": "", "error": f"{exc.__class__.__name__}: {exc}"}
            secs = time.perf_counter() - t
            row = {
                "system": spec["name"],
                "kind": spec["kind"],
                "id": it["id"],
                "description": it["description"],
                "seconds": round(secs, 3),
            }
            if "skip" in drawn:
                row.update(skipped=drawn["skip"])
            else:
                svg = drawn.pop("svg")
                raw = drawn.pop("raw")
                rec = scorer.score([svg], [it["description"]], questions=[it.get("questions")], rule="submitted")[0]
                row.update(
                    valid=rec.valid,
                    raw_valid=raw_validity(raw),
                    bytes=len(svg.encode("utf-8")),
                    **{c: _num(getattr(rec, c, None)) for c in COMPONENTS},
                    substitutions=rec.substitutions,
                    **{k: v for k, v in drawn.items() if v is not None},
                )
                (out / "svgs" / spec["name"] / f"{it['id']}.svg").write_text(svg, encoding="utf-8")
            with open(results, "a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")
    summary = summarize(out, cfg, items)
    report(out, cfg, items, summary)
    return summary


def _num(v):
    return None if v is None else round(float(v), 5)


def read_results(out: Path) -> list[dict]:
    """The rows of `out/results.jsonl`, the last one of each (system, id, description); cut lines skipped."""
    rows = {}
    for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            continue
        rows[(r["system"], r["id"], r["description"])] = r
    return list(rows.values())


def summarize(out: Path, cfg: BenchmarkConfig, items: list[dict]) -> dict:
    wanted = {(it["id"], it["description"]) for it in items}
    rows = [r for r in read_results(out) if (r["id"], r["description"]) in wanted]
    subs = sorted({x for r in rows for x in r.get("substitutions") or []})
    real = bool(cfg.clip and cfg.vqa and cfg.ocr_backend) and not subs
    summary = {
        "name": cfg.name,
        "descriptions": len(items),
        "scored_with": "the competition metric (CLIP aesthetic + PaliGemma VQA + OCR)"
        if real
        else "offline terms: OCR and the faithfulness/quality stand-ins (not the competition metric)"
        + (f"; substitutions: {', '.join(subs)}" if subs else ""),
        "systems": {},
    }
    for spec in cfg.systems:
        mine = [r for r in rows if r["system"] == spec["name"] and "skipped" not in r]
        s = {
            "kind": spec["kind"],
            "n": len(mine),
            "skipped": sum(1 for r in rows if r["system"] == spec["name"] and "skipped" in r),
        }
        if spec["kind"] == "trace-reference":
            s["note"] = _TraceReference.label_note
        if mine:
            s.update(
                valid_rate=_mean([r["valid"] for r in mine]),
                raw_valid_rate=_mean([r["raw_valid"] for r in mine]),
                bytes=_mean([r["bytes"] for r in mine], 1),
                seconds_per_svg=_mean([r["seconds"] for r in mine], 3),
            )
            for c in COMPONENTS:
                vals = [r.get(c) for r in mine if r.get(c) is not None]
                if vals:
                    s[c] = _mean(vals)
            if any("raw_valid_rate_candidates" in r for r in mine):
                s["raw_valid_rate_candidates"] = _mean([r.get("raw_valid_rate_candidates", 0) for r in mine])
                s["fallback_rate"] = _mean([bool(r.get("fallback")) for r in mine])
        summary["systems"][spec["name"]] = s
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def _mean(vals, nd=4):
    vals = [float(v) for v in vals]
    return round(sum(vals) / len(vals), nd) if vals else None


def report(out: Path, cfg: BenchmarkConfig, items: list[dict], summary: dict) -> None:
    """report.md, report.html, grid.png and components.png."""
    names = [s["name"] for s in cfg.systems]
    cols = [
        "n",
        "valid_rate",
        "raw_valid_rate",
        "reward",
        "metric",
        "aesthetic",
        "vqa",
        "ocr",
        "judge_faithfulness",
        "standin_faithfulness",
        "standin_quality",
        "bytes",
        "seconds_per_svg",
    ]
    cols = [c for c in cols if any(summary["systems"][n].get(c) is not None for n in names)]
    lines = [
        f"# Benchmark: {cfg.name}",
        "",
        f"{summary['descriptions']} descriptions from `{cfg.descriptions}`; scored with {summary['scored_with']}.",
        "",
        "| system | kind | " + " | ".join(cols) + " |",
        "|---|---|" + "---|" * len(cols),
    ]
    for n in names:
        s = summary["systems"][n]
        lines.append(f"| {n} | {s['kind']} | " + " | ".join(_fmt(s.get(c)) for c in cols) + " |")
    notes = [f"- {n}: {summary['systems'][n]['note']}" for n in names if summary["systems"][n].get("note")]
    if notes:
        lines += ["", *notes]
    lines += ["", "![grid](grid.png)", "", "![components](components.png)", ""]
    (out / "report.md").write_text("\n".join(lines), encoding="utf-8")
    _grid(out, names, items[: cfg.grid_columns])
    _plot(out, names)
    rows_html = "".join(
        "<tr><td>"
        + n
        + "</td><td>"
        + summary["systems"][n]["kind"]
        + "</td>"
        + "".join(f"<td>{_fmt(summary['systems'][n].get(c))}</td>" for c in cols)
        + "</tr>"
        for n in names
    )
    (out / "report.html").write_text(
        f"<!doctype html><meta charset='utf-8'><title>{cfg.name}</title><style>body{{font-family:sans-serif}}"
        f"td,th{{padding:4px 8px;border-bottom:1px solid #ddd;text-align:right}}</style>"
        f"<h1>Benchmark: {cfg.name}</h1><p>{summary['descriptions']} descriptions; scored with {summary['scored_with']}.</p>"
        f"<table><tr><th>system</th><th>kind</th>{''.join(f'<th>{c}</th>' for c in cols)}</tr>{rows_html}</table>"
        f"{''.join(f'<p>{x[2:]}</p>' for x in notes)}<img src='grid.png' style='max-width:100%'><img src='components.png' style='max-width:100%'>",
        encoding="utf-8",
    )


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 100 else f"{v:.0f}"
    return str(v)


def _grid(out: Path, names: list[str], items: list[dict]) -> None:
    """Rows: descriptions; columns: systems (the renders of what each submitted)."""
    from svg_agent.app.demo import contact_sheet
    from svg_agent.render import render_safe

    rows = {
        (r["system"], r["id"]): r
        for r in read_results(out)
        if (r["id"], r["description"]) in {(it["id"], it["description"]) for it in items}
    }
    grid = []
    for it in items:
        images = []
        for n in names:
            f = out / "svgs" / n / f"{it['id']}.svg"
            images.append(render_safe(f.read_text(encoding="utf-8")).image if f.exists() else None)
        scores = ", ".join(
            f"{n}: {rows[(n, it['id'])].get('reward', 0) or 0:.2f}"
            for n in names
            if (n, it["id"]) in rows and "skipped" not in rows[(n, it["id"])]
        )
        grid.append((f"{it['description']} [{scores}]", images))
    if grid:
        contact_sheet(grid, names, thumb=160).save(out / "grid.png")


def _plot(out: Path, names: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in read_results(out) if "skipped" not in r and r["system"] in names]
    comps = [
        c
        for c in (
            "reward",
            "metric",
            "aesthetic",
            "vqa",
            "ocr",
            "judge_faithfulness",
            "standin_faithfulness",
            "standin_quality",
        )
        if any(r.get(c) is not None for r in rows)
    ]
    comps.append("bytes")
    fig, axes = plt.subplots(1, len(comps), figsize=(3.2 * len(comps), 3.6), squeeze=False)
    for ax, c in zip(axes[0], comps):
        data = [[r[c] for r in rows if r["system"] == n and r.get(c) is not None] for n in names]
        ax.boxplot([d or [float("nan")] for d in data], showmeans=True)
        ax.set_xticks(range(1, len(names) + 1), names, rotation=35, ha="right", fontsize=7)
        ax.set_title(c, fontsize=9)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "components.png", dpi=100)
    plt.close(fig)
