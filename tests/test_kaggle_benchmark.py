"""The Kaggle package (Model.predict, export, the gateway check) and `svg-agent benchmark`, offline
with tiny models."""

import csv
import json
import time
from pathlib import Path

import pytest

from svg_agent.constraints import validate
from svg_agent.errors import ConfigError, InputError

pytest.importorskip("torch")
from svg_agent._torchvision import ensure_torchvision  # noqa: E402

ensure_torchvision()
pytest.importorskip("peft")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A tiny model folder and a 'training run' folder holding a fresh LoRA adapter."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from svg_agent.app.tiny import build_tiny_policy

    base = tmp_path_factory.mktemp("tinyk")
    model_dir = build_tiny_policy(base / "model")
    run = base / "run"
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    get_peft_model(
        model, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", task_type="CAUSAL_LM")
    ).save_pretrained(run / "adapter")
    (run / "train_config.yaml").write_text(
        f"model: {model_dir}\nprompt_format: base\nstages: [sft]\ngrpo_max_completion_length: 32\n"
    )
    (run / "summary.json").write_text("{}")
    return model_dir, run


def _descriptions(tmp_path, n=2) -> Path:
    p = tmp_path / "train.csv"
    rows = ["a red circle on a blue background", "a purple forest at dusk", "gray wool coat with a faux fur collar"]
    p.write_text("id,description\n" + "".join(f"id{i},{d}\n" for i, d in enumerate(rows[:n])))
    return p


# ---------------------------------------------------------------- predict


class _SlowGenerator:
    def __init__(self, delay):
        self.delay = delay

    def generate(self, description, time_budget=None, **kw):
        from svg_agent.app.generate import GenerationResult

        time.sleep(min(self.delay, time_budget))  # a real Generator stops at its budget
        return GenerationResult(description, "<svg/>", None, fallback=True)


class _Raising:
    def generate(self, *a, **kw):
        raise RuntimeError("CUDA error: device-side assert")


def test_predict_with_slow_model_answers_valid_within_budget():
    from eval.kaggle import Predictor

    p = Predictor({"time_budget": 2.0, "margin_s": 0.5}, generator=_SlowGenerator(delay=30))
    t = time.perf_counter()
    svg = p.predict("a purple forest at dusk")
    assert time.perf_counter() - t < 2.5
    assert validate(svg).valid and len(svg.encode()) <= 10_000


def test_predict_with_raising_model_returns_valid_fallback(caplog):
    from eval.kaggle import Predictor

    with caplog.at_level("WARNING", logger="eval.kaggle"):
        svg = Predictor({"time_budget": 5}, generator=_Raising()).predict("a purple forest at dusk")
    assert validate(svg).valid and validate(svg, gateway=True).valid
    # It never raises, but it says why it fell back.
    assert any("policy failed" in r.getMessage() and "purple forest" in r.getMessage() for r in caplog.records)


def test_predictor_with_missing_model_still_answers(tmp_path, caplog):
    from eval.kaggle import Predictor

    with caplog.at_level("WARNING", logger="eval.kaggle"):
        p = Predictor({"model": str(tmp_path / "missing-model"), "time_budget": 5})
    assert p.load_error and "does not exist" in p.load_error
    assert any("did not load" in r.getMessage() and "does not exist" in r.getMessage() for r in caplog.records)
    assert validate(p.predict("a red circle")).valid


# ---------------------------------------------------------------- export and check


def test_export_then_gateway_check(tiny_run, tmp_path):
    from eval.kaggle import check, export

    model_dir, run = tiny_run
    out = tmp_path / "pkg"
    config = export(out, adapter=str(run), time_budget=20, n=2)
    assert config["adapter"] == "adapter" and config["model"] == "model" and config["prompt_format"] == "base"
    for name in (
        "submission.py",
        "config.json",
        "notebook.ipynb",
        "README.md",
        "adapter/adapter_config.json",
        "model/config.json",
    ):
        assert (out / name).exists(), name
    nb = json.loads((out / "notebook.ipynb").read_text())
    assert any("from submission import Model" in "".join(c["source"]) for c in nb["cells"])

    report = check(out, _descriptions(tmp_path), limit_s=120)
    assert report["ok"], report
    assert report["load_error"] is None  # the policy loaded; answers came from it
    assert len(report["calls"]) == 2 and all(c["gateway_valid"] and c["scorer_valid"] for c in report["calls"])
    assert all(c["seconds"] <= 20 for c in report["calls"])
    with open(out / "submission.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows] == ["id0", "id1"] and all(validate(r["svg"]).valid for r in rows)


def test_gateway_check_rejects_invalid_svg_and_slow_calls(tmp_path):
    from eval.kaggle import check

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "submission.py").write_text(
        "class Model:\n    def predict(self, prompt):\n"
        "        return '<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>'\n"
    )
    report = check(bad, _descriptions(tmp_path))
    assert not report["ok"] and "invalid SVG" in report["failure"] and not report["calls"][0]["gateway_valid"]

    slow = tmp_path / "slow"
    slow.mkdir()
    (slow / "submission.py").write_text(
        "import time\nclass Model:\n    def predict(self, prompt):\n        time.sleep(30)\n        return '<svg/>'\n"
    )
    report = check(slow, _descriptions(tmp_path), limit_s=1)
    assert not report["ok"] and "longer than" in report["failure"]
    with pytest.raises(InputError, match="kaggle export"):
        check(tmp_path / "nothing", _descriptions(tmp_path))


def test_cli_kaggle_check_exit_code(tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "submission.py").write_text("class Model:\n    def predict(self, prompt):\n        return 'not svg'\n")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "svg_agent",
            "kaggle",
            "check",
            str(bad),
            "--descriptions",
            str(_descriptions(tmp_path)),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert r.returncode == 1 and "FAILED" in r.stderr


# ---------------------------------------------------------------- benchmark


def test_benchmark_writes_every_output_and_resumes(tiny_run, tmp_path):
    from tiny_models import tiny_stable_diffusion

    from eval.benchmark import load_config, run_benchmark

    model_dir, run = tiny_run
    sd = tiny_stable_diffusion(tmp_path / "sd")
    user = tmp_path / "user.csv"
    user.write_text('id,svg\np0000,"<svg xmlns=""http://www.w3.org/2000/svg""><script/></svg>"\n')
    cfg_path = tmp_path / "bench.yaml"
    cfg_path.write_text(f"""
name: tiny
output_dir: {tmp_path / "out"}
descriptions: procedural
limit: 2
ocr_backend: none
systems:
  - {{name: tiny-policy, kind: policy, model: {model_dir}, adapter: {run}, prompt_format: base, n: 2, max_new_tokens: 24, time_budget: 20}}
  - {{name: tiny-sd, kind: vectorizer, model: {sd}, steps: 2, width: 64, height: 64}}
  - {{name: trace-ref, kind: trace-reference}}
  - {{name: procedural, kind: procedural}}
  - {{name: user, kind: csv, path: {user}}}
""")
    cfg = load_config(cfg_path)
    summary = run_benchmark(cfg, progress=False)
    out = tmp_path / "out"
    for name in ("results.jsonl", "summary.json", "report.md", "report.html", "grid.png", "components.png"):
        assert (out / name).exists(), name
    rows = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 10
    s = summary["systems"]
    assert "not the competition metric" in summary["scored_with"]
    assert s["procedural"]["valid_rate"] == 1.0 and s["trace-ref"]["valid_rate"] == 1.0
    assert s["tiny-policy"]["valid_rate"] == 1.0  # sanitized output always validates
    assert (
        s["user"]["n"] == 1
        and s["user"]["skipped"] == 1
        and s["user"]["valid_rate"] == 0.0
        and s["user"]["reward"] == 0.0
    )
    assert s["procedural"]["standin_faithfulness"] > s["tiny-policy"]["standin_faithfulness"]
    assert "stand-in" in s["trace-ref"]["note"]
    assert (out / "svgs" / "tiny-sd" / "p0000.svg").exists()

    # rerun: nothing redone; drop one row: only it is redone
    before = (out / "results.jsonl").read_text()
    run_benchmark(load_config(cfg_path), progress=False)
    assert (out / "results.jsonl").read_text() == before
    kept = [x for x in before.splitlines() if not ('"system": "procedural"' in x and '"p0001"' in x)]
    (out / "results.jsonl").write_text("\n".join(kept) + "\n")
    run_benchmark(load_config(cfg_path), progress=False)
    after = (out / "results.jsonl").read_text().splitlines()
    assert len(after) == 10 and '"p0001"' in after[-1] and '"procedural"' in after[-1]


def test_benchmark_config_errors(tmp_path):
    from eval.benchmark import load_config

    p = tmp_path / "b.yaml"
    p.write_text("systems: [{kind: policy}]\nlimt: 3\n")
    with pytest.raises(ConfigError, match="limt"):
        load_config(p)
    p.write_text("systems: [{kind: painter}]\n")
    with pytest.raises(ConfigError, match="painter"):
        load_config(p)
    p.write_text("systems: []\n")
    with pytest.raises(ConfigError, match="at least one"):
        load_config(p)
    assert load_config(ROOT / "configs/benchmark/offline-default.yaml").limit >= 1
