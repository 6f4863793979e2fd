"""RunDir: one owner of a training run's folder."""

import dataclasses
import json
import os

import pytest

from svg_agent.app.rundir import RunDir, find_adapter
from svg_agent.errors import ConfigError, InputError


def _run(root, name, reward=None, finished=True, summary=True, mtime=None, **config):
    import yaml

    from svg_agent.app.train import TrainConfig

    run = RunDir(root / name)
    run.write_config(TrainConfig(output_dir=str(run.path), **config))
    if finished:
        run.adapter_path.mkdir(parents=True)
        (run.adapter_path / "adapter_config.json").write_text("{}")
    if summary:
        run.write_summary({"samples": {"end": {"reward": reward, "n": 6}}})
        if mtime is not None:
            os.utime(run.summary_path, (mtime, mtime))
    assert yaml.safe_load(run.config_path.read_text())["output_dir"] == str(run.path)
    return run


def test_of_finds_the_run_from_its_parts(tmp_path):
    run = _run(tmp_path, "a")
    (run.stage_dir("sft") / "adapter").mkdir(parents=True)
    (run.stage_dir("grpo") / "checkpoint-10").mkdir(parents=True)
    for path in (run.path, run.adapter_path, run.stage_dir("sft") / "adapter", run.stage_dir("grpo") / "checkpoint-10"):
        assert RunDir.of(path) == run, path
    alone = tmp_path / "saved_adapter"
    alone.mkdir()
    assert RunDir.of(alone) is None  # an adapter saved on its own has no run
    inside = run.path / "notes"
    inside.mkdir()
    assert RunDir.of(inside) is None  # only a run's own parts lead back to it


def test_best_is_the_highest_end_reward_among_finished_runs(tmp_path):
    _run(tmp_path, "low", reward=0.2)
    high = _run(tmp_path, "high", reward=0.6)
    _run(tmp_path, "unfinished", reward=0.9, finished=False)
    _run(tmp_path, "no_summary", summary=False)
    assert [r.name for r in RunDir.finished_runs(tmp_path)] == ["high", "low", "no_summary"]
    assert RunDir.best(tmp_path) == high
    assert RunDir.best(tmp_path / "nothing") is None


def test_best_breaks_ties_by_the_newer_summary(tmp_path):
    _run(tmp_path, "old", reward=0.4, mtime=1_000_000)
    new = _run(tmp_path, "new", reward=0.4, mtime=2_000_000)
    assert RunDir.best(tmp_path) == new


def test_export_and_the_page_find_runs_the_same_way(tmp_path, monkeypatch):
    from eval.kaggle import best_local_adapter
    from svg_agent.app.serve import discover_runs

    _run(tmp_path / "runs", "b", reward=0.1)
    best = _run(tmp_path / "runs", "c", reward=0.3)
    monkeypatch.chdir(tmp_path)
    assert os.path.samefile(best_local_adapter(), best.path)
    assert [p.name for p in discover_runs("runs")] == ["b", "c"]


def test_train_config_round_trip_and_unknown_keys(tmp_path):
    run = _run(tmp_path, "a", reward=0.1, lora_r=4, vqa="none")
    cfg = run.train_config()
    assert cfg.lora_r == 4 and cfg.vqa is None
    data = run.config_data() | {"removed_in_this_version": 1}
    run.config_path.write_text(json.dumps(data))  # JSON is YAML
    with pytest.raises(ConfigError, match="removed_in_this_version"):
        run.train_config()
    assert run.train_config(strict=False).lora_r == 4
    run.config_path.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="mapping"):
        run.config_data()
    with pytest.raises(InputError, match="not a training run"):
        RunDir(tmp_path / "empty").train_config()


def test_state_samples_and_summary(tmp_path):
    run = RunDir(tmp_path / "r")
    run.path.mkdir()
    assert run.state() == {"completed": [], "seconds": {}}
    run.write_state({"completed": ["sft"], "seconds": {"sft": 1.5}})
    assert run.state()["completed"] == ["sft"]
    assert not list(run.path.glob("*.tmp"))
    run.write_sample_records("end", [{"reward": 0.5}, {"reward": None}])
    assert run.sample_records("end") == [{"reward": 0.5}, {"reward": None}]
    assert run.sample_records("start") == []
    assert run.end_reward() is None and run.summary() is None
    run.summary_path.write_text("{not json")
    assert run.summary() is None  # a half-written summary is no summary
    run.write_summary({"samples": {"end": {"reward": 0.25}}})
    assert run.end_reward() == 0.25


def test_find_adapter(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        find_adapter(tmp_path / "missing")
    with pytest.raises(InputError, match="no LoRA adapter"):
        find_adapter(tmp_path)
    run = _run(tmp_path, "a")
    assert find_adapter(run.path) == run.adapter_path == run.adapter
    assert find_adapter(run.adapter_path) == run.adapter_path


def test_resolved_config_is_what_the_run_wrote(tmp_path):
    from svg_agent.app.train import TrainConfig

    cfg = TrainConfig(output_dir=str(tmp_path / "x"), sft={"max_grad_norm": 0.5}, dataset_size=7)
    run = RunDir(cfg.output_dir)
    run.write_config(cfg)
    assert dataclasses.asdict(run.train_config()) == dataclasses.asdict(cfg)


def test_of_a_stage_folder(tmp_path):
    run = _run(tmp_path, "a")
    (run.stage_dir("sft") / "adapter").mkdir(parents=True)
    (run.stage_dir("sft") / "adapter" / "adapter_config.json").write_text("{}")
    assert find_adapter(run.stage_dir("sft")) == run.stage_dir("sft") / "adapter"
    assert RunDir.of(run.stage_dir("sft")) == run  # the adapter find_adapter accepts leads to its run
