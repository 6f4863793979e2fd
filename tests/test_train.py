"""Training with a tiny random Gemma 3: SFT then GRPO change only the LoRA weights, resume is exact,
bad recipes fail clearly, and the rewards get the dataset columns they need."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
from svg_agent._torchvision import ensure_torchvision  # noqa: E402

ensure_torchvision()
pytest.importorskip("trl")
pytest.importorskip("peft")

from svg_agent.app.train import TrainConfig, TrainingInterrupted, parse_train_args, train  # noqa: E402
from svg_agent.errors import ConfigError, InputError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TINY_RECIPE = ROOT / "configs" / "train" / "tiny-cpu.yaml"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from svg_agent.app.tiny import build_tiny_policy

    return str(build_tiny_policy(tmp_path_factory.mktemp("tiny") / "model"))


def _config(tiny_model, out, **kw) -> TrainConfig:
    base = dict(
        model=tiny_model,
        prompt_format="base",
        output_dir=str(out),
        dataset_size=24,
        report_to=["none"],
        eval_descriptions=["a red circle on a blue background", "a starry night over a calm sea"],
        sample_max_new_tokens=16,
        sft_max_steps=1,
        sft_batch_size=2,
        sft_learning_rate=1e-2,
        sft_warmup_ratio=0.0,
        grpo_max_steps=2,
        grpo_num_generations=2,
        grpo_batch_size=2,
        grpo_max_completion_length=24,
        grpo_learning_rate=1e-2,
        grpo_rewards=["reward", "bytes", "standin_faithfulness"],
        grpo_reward_weights=[1.0, 0.01, 0.0],
        ocr_backend=None,
        save_steps=1,
        lora_r=4,
        lora_alpha=8,
    )
    base.update(kw)
    return TrainConfig(**base)


def _lora_state(model) -> dict:
    return {k: v.detach().clone() for k, v in model.named_parameters() if "lora_" in k}


def test_sft_then_grpo_change_lora_only_and_feed_reward_columns(tiny_model, tmp_path, monkeypatch):
    import torch
    from safetensors.torch import load_file

    import rewards.registry as registry

    seen = []
    real_build = registry.build_rewards

    def recording_build(names, *a, **kw):  # record the columns TRL passes to each reward
        funcs = real_build(names, *a, **kw)

        def wrap(f):
            def g(prompts=None, completions=None, **cols):
                seen.append(
                    (f.__name__, sorted(cols), cols.get("questions", [None])[0], cols.get("description", [None])[0])
                )
                return f(prompts=prompts, completions=completions, **cols)

            g.__name__ = f.__name__
            return g

        return [wrap(f) for f in funcs]

    monkeypatch.setattr(registry, "build_rewards", recording_build)
    cfg = _config(tiny_model, tmp_path / "run")
    summary = train(cfg, keep_model=True)
    model = summary["model"]

    # base weights are untouched: compare with the saved model
    base = load_file(Path(tiny_model) / "model.safetensors")
    trained = {
        k.replace("base_model.model.", "").replace(".base_layer", ""): v
        for k, v in model.state_dict().items()
        if "lora_" not in k
    }
    compared = 0
    for name, tensor in base.items():
        if name in trained:
            assert torch.equal(trained[name], tensor), name
            compared += 1
    assert compared >= len(base) - 1  # every base tensor (a tied head may appear once)
    assert all(not p.requires_grad for n, p in model.named_parameters() if "lora_" not in n)

    # SFT moved the LoRA weights away from their init (B starts at zero), GRPO moved them further
    out = Path(cfg.output_dir)
    sft = load_file(out / "sft" / "adapter" / "adapter_model.safetensors")
    grpo = load_file(out / "grpo" / "adapter" / "adapter_model.safetensors")
    assert set(sft) == set(grpo) and all("lora_" in k for k in sft)
    assert any(float(v.abs().max()) > 0 for k, v in sft.items() if "lora_B" in k)
    assert any(not torch.equal(sft[k], grpo[k]) for k in sft)

    # the rewards were called with the dataset's columns, questions included
    assert {name for name, *_ in seen} == {"reward", "bytes", "standin_faithfulness"}
    name, cols, questions, description = seen[0]
    assert "description" in cols and "questions" in cols
    assert isinstance(description, str) and "question" in json.loads(questions)[0]

    # logs, curves, samples, state
    log = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    assert any(r["stage"] == "sft" and "loss" in r for r in log)
    rl = [r for r in log if r["stage"] == "grpo" and "rewards/bytes/mean" in r]
    assert len(rl) == 2 and all(
        "rewards/raw_validity/mean" not in r or r["rewards/raw_validity/mean"] in (0, 1) for r in rl
    )
    for name in (
        "curves.png",
        "samples.png",
        "samples_start.jsonl",
        "samples_end.jsonl",
        "summary.json",
        "adapter/adapter_config.json",
        "train_config.yaml",
    ):
        assert (out / name).exists(), name
    assert json.loads((out / "state.json").read_text())["completed"] == ["sft", "grpo"]


def test_top_layers_only_no_hidden_checkpointing_no_samples_before(tiny_model, tmp_path):
    """lora_layers adapts the top decoder layers alone; TRL's own gradient-checkpointing default
    (on) is not applied behind the recipe's back; samples_before: false draws no 'before' samples."""
    import torch
    from safetensors.torch import load_file

    cfg = _config(tiny_model, tmp_path / "run", lora_layers=1, samples_before=False, stages=["sft"])
    train(cfg)
    out = Path(cfg.output_dir)
    weights = load_file(out / "adapter" / "adapter_model.safetensors")
    layers = {int(k.split("layers.")[1].split(".")[0]) for k in weights}
    assert layers == {1}, layers  # the tiny model has layers 0 and 1
    args = torch.load(out / "sft" / "checkpoint-1" / "training_args.bin", weights_only=False)
    assert args.gradient_checkpointing is False
    assert not (out / "samples_start.jsonl").exists() and (out / "samples_end.jsonl").exists()
    with pytest.raises(ConfigError, match="lora_layers must be at least 1"):
        train(_config(tiny_model, tmp_path / "bad", lora_layers=0, stages=["sft"]))


def _interrupt_at(monkeypatch, stage: str, step: int):
    """Make the run send itself SIGINT (as Ctrl-C does) at `step` of `stage`."""
    import svg_agent.app.train as t

    real = t._Callbacks.interrupt
    state = {"stage": None}
    real_jsonl = t._Callbacks.jsonl

    def jsonl(path, stage_name):
        state["stage"] = stage_name
        return real_jsonl(path, stage_name)

    def interrupt():
        cb = real()
        inner = cb.on_step_end

        def on_step_end(args, st, control, **kw):
            if state["stage"] == stage and st.global_step == step and not cb.requested:
                signal.raise_signal(signal.SIGINT)
            return inner(args, st, control, **kw)

        cb.on_step_end = on_step_end
        return cb

    monkeypatch.setattr(t._Callbacks, "interrupt", staticmethod(interrupt))
    monkeypatch.setattr(t._Callbacks, "jsonl", staticmethod(jsonl))


@pytest.mark.parametrize("stage,step", [("sft", 2), ("grpo", 1)])
def test_resume_after_interrupt_matches_an_uninterrupted_run(tiny_model, tmp_path, monkeypatch, stage, step):
    import torch
    from safetensors.torch import load_file

    kw = dict(sft_max_steps=4, grpo_max_steps=3, save_steps=1)
    whole = _config(tiny_model, tmp_path / "whole", **kw)
    train(whole)

    with monkeypatch.context() as m:
        _interrupt_at(m, stage, step)
        with pytest.raises(TrainingInterrupted, match="--resume"):
            train(_config(tiny_model, tmp_path / "cut", **kw))
    cut = tmp_path / "cut"
    assert (cut / stage / f"checkpoint-{step}").exists()
    with pytest.raises(ConfigError, match="--resume"):  # a second start without --resume is refused
        train(_config(tiny_model, cut, **kw))
    train(_config(tiny_model, cut, resume=True, **kw))

    a = load_file(tmp_path / "whole" / "adapter" / "adapter_model.safetensors")
    b = load_file(cut / "adapter" / "adapter_model.safetensors")
    assert set(a) == set(b)
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6, msg=k)


def test_bad_recipes_fail_clearly(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY_RECIPE.read_text() + "sft_learnig_rate: 0.1\n")
    with pytest.raises(ConfigError, match="sft_learnig_rate"):
        parse_train_args(["--config", str(bad)])
    with pytest.raises(ConfigError, match="grpo_temprature"):
        parse_train_args(["--config", str(TINY_RECIPE), "--grpo_temprature", "0.5"])
    with pytest.raises(InputError, match="does not exist"):
        parse_train_args(["--config", str(tmp_path / "missing.yaml")])
    with pytest.raises(ConfigError, match="stages"):
        parse_train_args(["--config", str(TINY_RECIPE), "--stages", "sft", "dpo"])
    with pytest.raises(ConfigError, match="one weight per reward"):
        parse_train_args(["--config", str(TINY_RECIPE), "--grpo_reward_weights", "1", "0"])
    with pytest.raises(ConfigError, match="sft_group_weight_head must be 0"):
        parse_train_args(["--config", str(TINY_RECIPE), "--sft_group_weight_head", "-2"])
    with pytest.raises(ConfigError, match="sft_group_weight must be positive"):
        parse_train_args(["--config", str(TINY_RECIPE), "--sft_group_weight", "0"])
    with pytest.raises(ConfigError, match="multiple of grpo_num_generations"):
        parse_train_args(["--config", str(TINY_RECIPE), "--grpo_batch_size", "3"])
    with pytest.raises(ConfigError, match="unknown reward"):
        parse_train_args(["--config", str(TINY_RECIPE), "--grpo_rewards", "vibes", "--grpo_reward_weights", "1"])
    cfg = parse_train_args(["--config", str(TINY_RECIPE), "--sft_max_steps", "7", "--output_dir", str(tmp_path / "o")])
    assert cfg.sft_max_steps == 7 and cfg.grpo_num_generations == 2 and cfg.output_dir == str(tmp_path / "o")


def test_missing_model_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        train(TrainConfig(model=str(tmp_path / "nope"), output_dir=str(tmp_path / "o"), report_to=["none"]))


def _cli(*args, env=None, timeout=600):
    return subprocess.run(
        [sys.executable, "-m", "svg_agent", *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout, env=env
    )


def test_help_documents_every_field():
    r = _cli("train", "--help")
    assert r.returncode == 0
    import dataclasses

    for f in dataclasses.fields(TrainConfig):
        assert f"--{f.name}" in r.stdout, f.name


def test_cli_train_then_generate(tmp_path):
    """The tiny recipe end to end from the command line, then `generate` with its adapter."""
    env = dict(os.environ, SVG_AGENT_CACHE=str(tmp_path / "cache"))
    out = tmp_path / "run"
    r = _cli("train", "--config", str(TINY_RECIPE), "--output_dir", str(out), "--report_to", "none", env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (out / "adapter" / "adapter_model.safetensors").exists()
    log = (out / "log.jsonl").read_text()
    assert "rewards/reward/mean" in log and "rewards/raw_validity/mean" in log and "rewards/bytes/mean" in log
    svg = tmp_path / "out.svg"
    r = _cli(
        "generate",
        "a red circle on a blue background",
        "--config",
        str(TINY_RECIPE),
        "--adapter",
        str(out),
        "-o",
        str(svg),
        "--n",
        "2",
        "--max-new-tokens",
        "32",
        "--time-budget",
        "60",
        env=env,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    from svg_agent.constraints import validate

    text = svg.read_text()
    assert validate(text).valid and len(text.encode()) <= 10_000
    assert "2 candidates" in r.stderr
    r = _cli("train", "--config", str(TINY_RECIPE), "--output_dir", str(out), "--report_to", "none", env=env)
    assert r.returncode == 2 and "--resume" in r.stderr  # refuses to overwrite a finished run


def test_accelerate_launch_two_cpu_processes(tmp_path):
    """The tiny recipe under `accelerate launch` with two CPU processes (DDP over gloo)."""
    pytest.importorskip("accelerate")
    env = dict(os.environ, SVG_AGENT_CACHE=str(tmp_path / "cache"), OMP_NUM_THREADS="1")
    out = tmp_path / "ddp"
    cmd = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--config_file",
        str(ROOT / "configs/accelerate/cpu-2proc.yaml"),
        "-m",
        "svg_agent",
        "train",
        "--config",
        str(TINY_RECIPE),
        "--output_dir",
        str(out),
        "--report_to",
        "none",
        "--sft_max_steps",
        "2",
        "--grpo_max_steps",
        "1",
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    assert r.returncode == 0, r.stderr[-4000:]
    assert (out / "adapter" / "adapter_model.safetensors").exists()
    log = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    assert any(x["stage"] == "grpo" and "rewards/reward/mean" in x for x in log)
    assert json.loads((out / "state.json").read_text())["completed"] == ["sft", "grpo"]
    assert json.loads((out / "summary.json").read_text())["world_size"] == 2


def test_curves_show_the_judge_terms_in_a_panel_of_their_own(tmp_path):
    from PIL import Image

    from svg_agent.app.train import plot_curves

    rows = [{"stage": "sft", "step": i, "loss": 2.0 / i} for i in range(1, 6)]
    for i in range(1, 4):
        rows.append(
            {
                "stage": "grpo",
                "step": i,
                "step_time": 10.0,
                "rewards/reward/mean": 0.1 * i,
                "rewards/raw_validity/mean": 1.0,
                "rewards/judge_faithfulness/mean": 0.05 * i,
                "rewards/judge_object/mean": 0.02 * i,
                "rewards/bytes/mean": 300.0,
            }
        )
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(json.dumps(r) for r in rows))
    assert plot_curves(log, tmp_path / "curves.png")
    # SFT loss, reward and gates, judge terms, bytes: four panels of 5.5 inches at 110 dpi
    assert Image.open(tmp_path / "curves.png").size[0] == round(4 * 5.5 * 110)
    without_judge = [{k: v for k, v in r.items() if "judge" not in k} for r in rows]
    log.write_text("\n".join(json.dumps(r) for r in without_judge))
    assert plot_curves(log, tmp_path / "curves3.png")
    assert Image.open(tmp_path / "curves3.png").size[0] == round(3 * 5.5 * 110)
    assert not plot_curves(tmp_path / "missing.jsonl", tmp_path / "none.png")
