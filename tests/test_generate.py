"""Best-of-N generation: the budget holds under a slow model, a failing model still yields a valid
SVG, the best candidate wins, and a descriptions CSV gives submission.csv and a contact sheet."""

import csv
import time
from pathlib import Path

import pytest

from svg_agent.app.generate import GenerateConfig, Generator, generate_csv, load_generate_config, read_descriptions
from svg_agent.app.policy import SVG_OPEN, PromptFormat
from svg_agent.constraints import validate
from svg_agent.errors import ConfigError, InputError

ROOT = Path(__file__).resolve().parents[1]
GOOD = '<rect width="384" height="384" fill="#1d5fd6"/><circle cx="192" cy="192" r="90" fill="#d62828"/></svg>'
BLANK = '<rect width="384" height="384" fill="#ffffff"/></svg>'


class FakePolicy:
    """Stands in for the LM: returns canned completions, optionally slowly or with an error."""

    def __init__(self, completions, delay=0.0, error=None):
        self.format = PromptFormat("base")
        self.completions = completions
        self.delay = delay
        self.error = error
        self.calls = 0
        self.last_seconds = 0.0
        self.last_tokens = 0

    def sample(self, descriptions, num_return_sequences=1, max_time=None, **kw):
        t = time.perf_counter()
        self.calls += 1
        self.kwargs = kw
        if self.error:
            raise self.error
        # a real model stops at max_time (transformers' max_time); so does this one
        time.sleep(min(self.delay, max_time) if max_time is not None else self.delay)
        self.last_seconds = time.perf_counter() - t
        self.last_tokens = 10 * num_return_sequences
        return [
            [self.completions[(self.calls + i) % len(self.completions)] for i in range(num_return_sequences)]
            for _ in descriptions
        ]


@pytest.fixture(scope="module")
def scorer(pool):
    from rewards.scorer import Scorer, ScorerConfig

    return Scorer(ScorerConfig(ocr_backend=None, validity="sanitized"), pool=pool)


def test_best_candidate_wins(scorer):
    gen = Generator(GenerateConfig(n=4, batch_size=2, time_budget=30), policy=FakePolicy([BLANK, GOOD]), scorer=scorer)
    r = gen.generate("a red circle on a blue background")
    assert len(r.candidates) == 4 and not r.fallback
    assert validate(r.svg).valid
    best = max(c["reward"] for c in r.candidates)
    assert r.record.reward == best and best > min(c["reward"] for c in r.candidates)
    assert "#d62828" in r.svg  # the red circle, not the blank canvas


def test_guidance_reaches_the_policy(scorer):
    policy = FakePolicy([GOOD])
    Generator(GenerateConfig(n=2, batch_size=2, time_budget=30, guidance=2.5), policy=policy, scorer=scorer).generate(
        "a red circle"
    )
    assert policy.kwargs["guidance"] == 2.5


def test_slow_model_gives_fewer_candidates_within_budget(scorer):
    budget = 2.0
    policy = FakePolicy([GOOD], delay=0.8)
    gen = Generator(GenerateConfig(n=16, batch_size=2, time_budget=budget), policy=policy, scorer=scorer)
    t = time.perf_counter()
    r = gen.generate("a red circle on a blue background")
    elapsed = time.perf_counter() - t
    assert elapsed <= budget + 0.5, elapsed
    assert 1 <= len(r.candidates) < 16
    assert validate(r.svg).valid and len(r.svg.encode()) <= 10_000


def test_model_that_hangs_past_the_budget_still_answers_in_time(scorer):
    gen = Generator(
        GenerateConfig(n=4, time_budget=1.0), policy=FakePolicy(["<rect width='10'"], delay=60), scorer=scorer
    )
    t = time.perf_counter()
    r = gen.generate("a red circle")
    assert time.perf_counter() - t < 2.5
    assert validate(r.svg).valid


def test_model_that_raises_gives_a_valid_fallback(scorer):
    gen = Generator(
        GenerateConfig(n=4), policy=FakePolicy([GOOD], error=RuntimeError("CUDA out of memory")), scorer=scorer
    )
    r = gen.generate("a red circle")
    assert r.fallback and r.error and "out of memory" in r.error
    assert validate(r.svg).valid and r.candidates == []


def test_garbage_completions_give_a_valid_fallback(scorer):
    gen = Generator(GenerateConfig(n=2, batch_size=2), policy=FakePolicy(["I cannot draw", "<<<<"]), scorer=scorer)
    r = gen.generate("a red circle")
    assert r.fallback and validate(r.svg).valid


def test_csv_gives_submission_and_sheet(scorer, tmp_path):
    src = tmp_path / "train.csv"
    src.write_text("id,description\n02d892,a red circle on a blue background\n0dcd2e,a purple forest at dusk\n")
    rows = read_descriptions(src)
    gen = Generator(GenerateConfig(n=2, batch_size=2), policy=FakePolicy([GOOD, BLANK]), scorer=scorer)
    out = tmp_path / "submission.csv"
    generate_csv(gen, rows, out, sheet=tmp_path / "sheet.png", progress=False)
    with open(out, newline="") as f:
        got = list(csv.DictReader(f))
    assert [r["id"] for r in got] == ["02d892", "0dcd2e"]
    assert all(validate(r["svg"]).valid for r in got)
    from PIL import Image

    assert Image.open(tmp_path / "sheet.png").size[0] > 300


def test_read_descriptions_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_descriptions(tmp_path / "none.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,prompt\n1,x\n")
    with pytest.raises(InputError, match="id,description"):
        read_descriptions(bad)


def test_config_from_a_training_recipe_and_errors(tmp_path):
    cfg = load_generate_config(str(ROOT / "configs/train/tiny-cpu.yaml"), {"n": 3}, adapter="runs/x")
    assert cfg.model == "tiny-random-gemma3" and cfg.prompt_format == "base" and cfg.n == 3 and cfg.adapter == "runs/x"
    bad = tmp_path / "g.yaml"
    bad.write_text("modle: x\n")
    with pytest.raises(ConfigError, match="modle"):
        load_generate_config(str(bad), {})
    with pytest.raises(ConfigError, match="time_budget"):
        GenerateConfig(time_budget=0)
    with pytest.raises(ConfigError, match="guidance"):
        GenerateConfig(guidance=0.5)
    run = tmp_path / "run"
    run.mkdir()
    (run / "train_config.yaml").write_text("model: gemma3-270m-offline\nprompt_format: base\nstages: [sft]\n")
    assert load_generate_config(None, {}, adapter=str(run)).model == "gemma3-270m-offline"


def test_base_completion_gets_its_root_back():
    assert validate(PromptFormat("base").to_svg(GOOD)).valid
    assert PromptFormat("base").to_svg(GOOD).startswith(SVG_OPEN)


def test_all_recipes_parse():
    pytest.importorskip("trl")
    from svg_agent._torchvision import ensure_torchvision

    ensure_torchvision()
    from svg_agent.app.train import parse_train_args

    recipes = sorted((ROOT / "configs" / "train").glob("*.yaml"))
    assert len(recipes) >= 4
    for path in recipes:
        cfg = parse_train_args(["--config", str(path)])
        assert cfg.stages and cfg.model
    import yaml

    for path in (ROOT / "configs" / "accelerate").glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        assert data["distributed_type"] in ("MULTI_CPU", "MULTI_GPU", "DEEPSPEED") and data["num_processes"] >= 2


def test_loop_and_close_guards_are_on_by_default_and_off_from_the_cli(monkeypatch):
    from svg_agent.app import cli

    seen = {}

    class Stop(Exception):
        pass

    def fake(path, overrides, adapter=None):
        seen.update(overrides)
        raise Stop

    monkeypatch.setattr("svg_agent.app.generate.load_generate_config", fake)
    for argv, loop, close in (
        (["generate", "a red circle"], None, None),
        (["generate", "a red circle", "--no-loop-guard"], False, None),
        (["generate", "a red circle", "--no-close-guard"], None, False),
    ):
        seen.clear()
        args = cli.build_parser().parse_args(argv)
        with pytest.raises(Stop):
            args.func(args)
        assert seen["loop_guard"] is loop and seen["close_guard"] is close
    config = load_generate_config(str(ROOT / "configs/train/tiny-cpu.yaml"), {})
    assert config.loop_guard is True and config.close_guard is True
    assert load_generate_config(str(ROOT / "configs/train/tiny-cpu.yaml"), {"close_guard": False}).close_guard is False
