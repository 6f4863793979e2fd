"""Kaggle submission: a `Model` with `predict(prompt) -> svg`, its export, and a local gateway check.

    svg-agent kaggle export OUT_DIR [--adapter runs/default] [--time-budget 60]
    svg-agent kaggle check OUT_DIR --descriptions train.csv

`Predictor` is what the exported `Model` runs: it loads the policy (and adapter) once, answers
each prompt with best-of-N generation inside the per-description budget, and never raises or
returns an invalid SVG: on any failure it falls back to the vectorizer (when one is configured)
and then to the sanitizer's stock drawing, which always validates.

`check` runs a copy of the competition's gateway loop in a fresh process with OUT_DIR as the
working directory and on sys.path: import `Model`, build it once, call `predict` per description
under the 5-minute per-call limit, validate each SVG as the gateway and the scorer do (an invalid
SVG fails the whole run there), write submission.csv (id,svg), and report the times.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

from svg_agent.errors import InputError

log = logging.getLogger(__name__)

PER_CALL_LIMIT_S = 300.0  # the competition's limit on one predict call


def safe_svg() -> str:
    """The stock drawing: valid under both allowlists, whatever happens."""
    from svg_agent.sanitize import sanitize

    return sanitize("").svg


class Predictor:
    """Best-of-N policy generation with fallbacks; `predict` never raises.

    Args:
        config: a dict of GenerateConfig fields (model, adapter, n, time_budget, ...), plus
            optional "vectorizer" (a diffusers model id or folder for the fallback) and
            "margin_s" (seconds kept back from the budget for the fallbacks, default 3).
        generator: an existing Generator (tests).
    """

    def __init__(self, config: dict, generator=None):
        self.config = dict(config)
        self.margin = float(self.config.pop("margin_s", 3.0))
        self.vectorizer_model = self.config.pop("vectorizer", None)
        self._vectorizer = None
        self.load_error = None
        self.generator = generator
        if generator is None:
            try:
                from svg_agent.app.generate import GenerateConfig, Generator

                self.generator = Generator(GenerateConfig(**self.config))
                self.generator.policy  # load now, once, outside the per-call budget
                self.generator.scorer
            except Exception as exc:  # the fallbacks still answer
                self.load_error = f"{exc.__class__.__name__}: {exc}"
                log.warning("the policy did not load (%s): predict answers with the fallbacks", self.load_error)
                self.generator = None
        self.budget = float(self.config.get("time_budget", 60.0))
        if self.vectorizer_model:  # load the fallback now too, never inside a call
            try:
                from vectorize.pipeline import DiffusionConfig, ImageGenerator, VectorizerPipeline

                diffusion = DiffusionConfig(model=self.vectorizer_model)
                images = ImageGenerator(diffusion)
                images._load()
                self._vectorizer = VectorizerPipeline(diffusion, generator=images)
            except Exception as exc:
                log.warning(
                    "the vectorizer fallback %r did not load (%s: %s): it is left out",
                    self.vectorizer_model,
                    exc.__class__.__name__,
                    exc,
                )
                self.vectorizer_model = None

    def predict(self, prompt: str) -> str:
        t0 = time.perf_counter()
        try:
            if self.generator is not None:
                result = self.generator.generate(str(prompt)[:1000], time_budget=max(1.0, self.budget - self.margin))
                if not result.fallback and _valid(result.svg):
                    return result.svg
                log.info("the policy gave no valid drawing for %r: falling back", str(prompt)[:80])
        except Exception as exc:
            log.warning("the policy failed on %r (%s: %s): falling back", str(prompt)[:80], exc.__class__.__name__, exc)
        left = self.budget - (time.perf_counter() - t0)
        if self.vectorizer_model and left > 5:
            try:
                svg = self._vectorize(str(prompt))
                if _valid(svg):
                    return svg
                log.info(
                    "the vectorizer gave no valid drawing for %r: answering with the stock drawing", str(prompt)[:80]
                )
            except Exception as exc:
                log.warning(
                    "the vectorizer failed on %r (%s: %s): answering with the stock drawing",
                    str(prompt)[:80],
                    exc.__class__.__name__,
                    exc,
                )
        return safe_svg()

    def _vectorize(self, prompt: str) -> str:
        return self._vectorizer(prompt).svg  # loaded in __init__ (vectorizer_model is cleared when that failed)


def _valid(svg: str) -> bool:
    from svg_agent.constraints import validate

    return isinstance(svg, str) and validate(svg).valid  # validate also holds it to the 10,000-byte limit


# ---------------------------------------------------------------- export

SUBMISSION_PY = '''"""Kaggle 'Drawing with LLMs' submission, exported by `svg-agent kaggle export`.

    from submission import Model
    model = Model()                      # loads the policy once
    svg = model.predict("a purple forest at dusk")

Settings are in config.json beside this file; paths in it are relative to this folder.
predict never raises and always returns an SVG that validates (the stock drawing at worst).
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SAFE_SVG = {safe!r}


def _config():
    with open(os.path.join(HERE, "config.json")) as f:
        config = json.load(f)
    for key in ("model", "adapter", "vectorizer"):
        value = config.get(key)
        if value and not os.path.isabs(value) and os.path.exists(os.path.join(HERE, value)):
            config[key] = os.path.join(HERE, value)
    return config


class Model:
    def __init__(self):
        self.predictor = None
        self.load_error = None
        try:
            from eval.kaggle import Predictor

            self.predictor = Predictor(_config())
            self.load_error = self.predictor.load_error
        except Exception as exc:  # keep answering with the safe drawing
            self.load_error = f"{{exc.__class__.__name__}}: {{exc}}"

    def predict(self, prompt: str) -> str:
        try:
            if self.predictor is not None:
                return self.predictor.predict(prompt)
        except Exception:
            pass
        return SAFE_SVG
'''

NOTEBOOK_CELLS = [
    (
        "markdown",
        "# svg-agent submission\n\nA Gemma policy with a LoRA adapter trained by svg-agent (SFT, then GRPO against "
        "the competition's reward). Attach the dataset made from this folder (see README.md) as "
        "`/kaggle/input/svg-agent`.",
    ),
    (
        "code",
        "# Offline install of svg-agent and its dependencies from the attached wheels\n"
        "!pip install --no-index --find-links /kaggle/input/svg-agent/wheels 'svg-agent[train]' -q",
    ),
    (
        "code",
        "#| export\nimport shutil, sys\nSRC = '/kaggle/input/svg-agent'\nsys.path.insert(0, SRC)\n"
        "from submission import Model  # loads config.json, the model and the adapter from SRC",
    ),
    (
        "code",
        "# Local check before submitting: three descriptions through the same Model\n"
        "import time\nfrom svg_agent.constraints import validate\nm = Model()\nprint('load error:', m.load_error)\n"
        "for d in ['a purple forest at dusk', 'crimson rectangles forming a chaotic grid', 'gray wool coat with a faux fur collar']:\n"
        "    t = time.time(); svg = m.predict(d)\n"
        "    print(d, round(time.time() - t, 1), 's', len(svg.encode()), 'bytes, valid:', validate(svg).valid)",
    ),
    (
        "code",
        "# The competition's harness (present in the competition environment)\n"
        "import kaggle_evaluation\nkaggle_evaluation.test(Model)",
    ),
]

README_MD = """# svg-agent Kaggle package

Made by `svg-agent kaggle export`. Contents:

- `submission.py`: `Model` with `predict(self, prompt: str) -> str`, as the competition calls it.
- `config.json`: model, adapter, candidates per description, per-description time budget.
- `adapter/`: the LoRA adapter{adapter_note}.
- `model/`: the base model's weights{model_note}.
- `notebook.ipynb`: the package notebook (offline install, `Model`, a local check, the harness).

Steps:

1. Build the wheels on a machine with the internet, into this folder:
   `pip wheel "svg-agent[train]" --wheel-dir wheels` from the svg-agent checkout (on Kaggle's
   GPU image, torch is already installed: add `--no-deps` for torch if the wheel set gets too large).
2. Check it locally: `svg-agent kaggle check . --descriptions train.csv` (runs the gateway loop
   with the 5-minute per-call limit, validates each SVG, writes submission.csv, reports times).
3. Upload this folder as a Kaggle dataset named `svg-agent` (`kaggle datasets create -p .`).
4. Create a notebook from `notebook.ipynb`, attach the dataset and the competition, turn the
   internet off, choose the GPU (2x T4), and submit it as the competition's package.
"""


def export(
    out_dir: str | Path,
    adapter: str | None = None,
    model: str | None = None,
    time_budget: float = 60.0,
    n: int = 8,
    copy_model: bool = True,
    vectorizer: str | None = None,
    extra: dict | None = None,
) -> dict:
    """Write the package folder; returns its config. With no adapter, the best the project has."""
    from svg_agent.app.policy import resolve_model
    from svg_agent.app.rundir import RunDir, find_adapter

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if adapter is None:
        adapter = best_local_adapter()
    config: dict = {
        "model": model,
        "prompt_format": "auto",
        "n": n,
        "batch_size": min(n, 4),
        "time_budget": time_budget,
        "max_new_tokens": 512,
        "temperature": 1.0,
        "top_p": 0.95,
        "ocr_backend": "rapidocr",
    }
    if adapter:
        src = find_adapter(adapter)
        run = RunDir.of(src)
        if run is not None:
            tc = run.config_data()
            config["model"] = config["model"] or tc.get("model")
            config["prompt_format"] = tc.get("prompt_format", "auto")
            config["max_new_tokens"] = max(int(tc.get("grpo_max_completion_length", 512)), 256)
        if (out / "adapter").exists():
            shutil.rmtree(out / "adapter")
        shutil.copytree(src, out / "adapter", ignore=shutil.ignore_patterns("checkpoint-*"))
        config["adapter"] = "adapter"
    config["model"] = config["model"] or "gemma3-270m-offline"
    if copy_model:
        folder = Path(resolve_model(config["model"]))
        if not folder.exists():
            raise InputError(
                f"model {config['model']} is not a local folder; export on a machine that has it, "
                "or pass --no-copy-model and attach the weights on Kaggle"
            )
        if (out / "model").exists():
            shutil.rmtree(out / "model")
        shutil.copytree(folder, out / "model")
        config["model"] = "model"
    if vectorizer:
        config["vectorizer"] = vectorizer
    config.update(extra or {})
    (out / "config.json").write_text(json.dumps(config, indent=1))
    (out / "submission.py").write_text(SUBMISSION_PY.format(safe=safe_svg()))
    (out / "notebook.ipynb").write_text(json.dumps(_notebook(), indent=1))
    (out / "README.md").write_text(
        README_MD.format(
            adapter_note="" if adapter else " (none: the base model, since no trained adapter was found)",
            model_note="" if copy_model else " (not copied: config.json names where Kaggle will find it)",
        )
    )
    return config


def best_local_adapter(runs_dir: str | Path = "runs") -> str | None:
    """The finished training run under `runs_dir` whose held-out samples scored best at its end, or None."""
    from svg_agent.app.rundir import RunDir

    best = RunDir.best(runs_dir)
    return str(best.path) if best else None


def _notebook() -> dict:
    cells = []
    for kind, src in NOTEBOOK_CELLS:
        cell = {"cell_type": kind, "metadata": {}, "source": src.splitlines(keepends=True)}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


# ---------------------------------------------------------------- check

GATEWAY = r"""
import csv, json, os, signal, sys, time
out_dir, descriptions, result_path, limit = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
os.chdir(out_dir)
sys.path.insert(0, out_dir)
from svg_agent.constraints import validate
rows = list(csv.DictReader(open(descriptions, newline="", encoding="utf-8")))
class CallTimeout(BaseException):  # not an Exception: a submission's `except Exception` cannot swallow it
    pass
def on_alarm(signum, frame):
    raise CallTimeout()
signal.signal(signal.SIGALRM, on_alarm)
report = {"calls": [], "failure": None}
t = time.perf_counter()
from submission import Model
model = Model()
report["load_s"] = round(time.perf_counter() - t, 3)
report["load_error"] = getattr(model, "load_error", None)
answers = []
for row in rows:
    t = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        svg = model.predict(row["description"])
    except CallTimeout:
        report["failure"] = f"predict took longer than {limit:.0f} s for id {row['id']}"
        break
    except Exception as exc:
        report["failure"] = f"predict raised {exc.__class__.__name__} for id {row['id']}: {exc}"
        break
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    secs = time.perf_counter() - t
    if secs > limit:
        report["failure"] = f"predict took {secs:.1f} s (over {limit:.0f} s) for id {row['id']}"
        break
    if not isinstance(svg, str):
        report["failure"] = f"predict returned {type(svg).__name__}, not str, for id {row['id']}"
        break
    gateway = validate(svg, gateway=True)
    scorer = validate(svg)
    report["calls"].append({"id": row["id"], "seconds": round(secs, 3), "bytes": len(svg.encode("utf-8")),
                            "gateway_valid": gateway.valid, "scorer_valid": scorer.valid})
    if not gateway.valid or not scorer.valid:
        report["failure"] = f"invalid SVG for id {row['id']}: {(gateway if not gateway.valid else scorer).summary}"
        break
    answers.append((row["id"], svg))
with open(os.path.join(out_dir, "submission.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["id", "svg"])
    w.writerows(answers)
json.dump(report, open(result_path, "w"))
"""


def check(
    out_dir: str | Path,
    descriptions: str | Path,
    limit_s: float = PER_CALL_LIMIT_S,
    n: int | None = None,
    env: dict | None = None,
) -> dict:
    """Run the gateway loop on the package in a fresh process; returns the report."""
    import csv
    import os
    import tempfile

    out = Path(out_dir).resolve()
    if not (out / "submission.py").exists():
        raise InputError(f"{out} has no submission.py: run `svg-agent kaggle export {out_dir}` first")
    desc = Path(descriptions)
    if not desc.exists():
        raise InputError(f"descriptions file {desc} does not exist")
    with open(desc, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"id", "description"} <= set(reader.fieldnames):
            raise InputError(f"{desc} needs columns id,description (the competition's train.csv)")
        rows = list(reader)[:n] if n else list(reader)
    with tempfile.TemporaryDirectory() as tmp:
        sub = Path(tmp) / "descriptions.csv"
        with open(sub, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=["id", "description"])
            w.writeheader()
            w.writerows({"id": r["id"], "description": r["description"]} for r in rows)
        result = Path(tmp) / "report.json"
        repo = str(Path(__file__).resolve().parents[1])
        child_env = dict(os.environ if env is None else env)
        child_env["PYTHONPATH"] = os.pathsep.join(p for p in (repo, child_env.get("PYTHONPATH", "")) if p)
        t = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", GATEWAY, str(out), str(sub), str(result), str(limit_s)],
            capture_output=True,
            text=True,
            env=child_env,
        )
        wall = time.perf_counter() - t
        if not result.exists():
            tail = (proc.stderr or proc.stdout)[-2000:]
            return {
                "ok": False,
                "failure": f"the gateway process failed (exit {proc.returncode}): {tail}",
                "calls": [],
                "wall_s": round(wall, 1),
            }
        report = json.loads(result.read_text())
    secs = sorted(c["seconds"] for c in report["calls"])
    report.update(
        ok=report["failure"] is None and len(report["calls"]) == len(rows),
        n=len(rows),
        wall_s=round(wall, 1),
        submission=str(out / "submission.csv"),
        limit_s=limit_s,
        seconds={"min": secs[0], "median": secs[len(secs) // 2], "max": secs[-1], "total": round(sum(secs), 1)}
        if secs
        else None,
    )
    return report
