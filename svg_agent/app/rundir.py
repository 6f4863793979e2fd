"""A training run's folder: its layout, its config, its adapter, its results, and which run is best.

    run = RunDir.of("runs/default")           # also runs/default/adapter, runs/default/grpo/adapter
    run.train_config()                        # the TrainConfig it was trained with
    run.adapter                               # runs/default/adapter (None until the run finishes)
    run.end_reward()                          # the held-out samples' mean reward at its end
    RunDir.best("runs")                       # the finished run under runs/ that scored best

Layout (written by `svg-agent train`):

    train_config.yaml   the resolved config          state.json    the stages finished and their times
    adapter/            the final LoRA adapter       summary.json  the run summary (samples' scores, times)
    sft/, grpo/         each stage's checkpoints and adapter
    log.jsonl           every logged step            curves.png    the training curves
    samples_start.jsonl, samples_end.jsonl, samples.png   the evaluation descriptions before and after
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import ConfigError, InputError

ADAPTER_CONFIG = "adapter_config.json"


def find_adapter(path: str | Path) -> Path:
    """The folder holding adapter_config.json: `path` itself, or a training run's `adapter/`."""
    path = Path(path)
    for candidate in (path, path / "adapter"):
        if (candidate / ADAPTER_CONFIG).exists():
            return candidate
    if not path.exists():
        raise InputError(f"adapter {path} does not exist")
    raise InputError(
        f"no LoRA adapter in {path}: give a training run's output_dir or a folder holding "
        f"{ADAPTER_CONFIG} (a run writes its adapter when it finishes)"
    )


class RunDir:
    """One training run's folder; every part of the project finds a run's files through it."""

    CONFIG = "train_config.yaml"
    SUMMARY = "summary.json"
    STATE = "state.json"
    LOG = "log.jsonl"
    CURVES = "curves.png"
    SAMPLES = "samples.png"
    SAMPLE_RECORDS = {"start": "samples_start.jsonl", "end": "samples_end.jsonl"}

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, RunDir) and self.path.resolve() == other.path.resolve()

    def __hash__(self) -> int:
        return hash(self.path.resolve())

    @property
    def name(self) -> str:
        return self.path.name

    # ------------------------------------------------------------ finding runs

    @classmethod
    def of(cls, path: str | Path) -> RunDir | None:
        """The run that `path` belongs to: a run folder, its `adapter/`, a stage's `<stage>/adapter` or a
        checkpoint;
        None when no folder there holds a train_config.yaml (an adapter saved on its own)."""
        path = Path(path)
        folders = [path]
        if path.name == "adapter":
            folders += [path.parent, path.parent.parent]
        elif path.name.startswith("checkpoint-"):
            folders.append(path.parent.parent)
        elif (path / "adapter" / ADAPTER_CONFIG).exists():  # a stage's folder (run/sft), which find_adapter accepts
            folders.append(path.parent)
        for folder in folders:
            if (folder / cls.CONFIG).exists():
                return cls(folder)
        return None

    @classmethod
    def finished_runs(cls, root: str | Path) -> list[RunDir]:
        """The runs directly under `root` that hold a final adapter, by name."""
        root = Path(root)
        if not root.is_dir():
            return []
        return [cls(p) for p in sorted(root.iterdir()) if (p / "adapter" / ADAPTER_CONFIG).exists()]

    @classmethod
    def best(cls, root: str | Path) -> RunDir | None:
        """The finished run under `root` whose held-out samples scored best at its end (the newer
        of two equal ones); None when no finished run has a summary."""
        scored = []
        for run in cls.finished_runs(root):
            summary = run.summary()
            if summary is not None:
                reward = _end_reward(summary)
                scored.append((reward if reward is not None else 0.0, run.summary_path.stat().st_mtime, run))
        return max(scored, key=lambda t: t[:2])[2] if scored else None

    # ------------------------------------------------------------ layout

    @property
    def config_path(self) -> Path:
        return self.path / self.CONFIG

    @property
    def summary_path(self) -> Path:
        return self.path / self.SUMMARY

    @property
    def state_path(self) -> Path:
        return self.path / self.STATE

    @property
    def log_path(self) -> Path:
        return self.path / self.LOG

    @property
    def curves_path(self) -> Path:
        return self.path / self.CURVES

    @property
    def samples_path(self) -> Path:
        return self.path / self.SAMPLES

    @property
    def adapter_path(self) -> Path:
        """Where the final adapter is (or will be) written."""
        return self.path / "adapter"

    @property
    def adapter(self) -> Path | None:
        """The final adapter's folder, once the run has written it."""
        return self.adapter_path if (self.adapter_path / ADAPTER_CONFIG).exists() else None

    def stage_dir(self, stage: str) -> Path:
        return self.path / stage

    def stage_adapter(self, stage: str) -> Path | None:
        folder = self.stage_dir(stage) / "adapter"
        return folder if (folder / ADAPTER_CONFIG).exists() else None

    def sample_records_path(self, which: str) -> Path:
        return self.path / self.SAMPLE_RECORDS[which]

    # ------------------------------------------------------------ contents

    def config_data(self) -> dict:
        """The train_config.yaml mapping ({} when there is none)."""
        import yaml

        if not self.config_path.exists():
            return {}
        try:
            data = yaml.safe_load(self.config_path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{self.config_path} is not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{self.config_path} must hold a YAML mapping")
        return data

    def train_config(self, strict: bool = True):
        """The TrainConfig the run was trained with. `strict`: a key this version does not know is
        an error naming it; otherwise such keys (a run from an older version) are left out."""
        from .train import TrainConfig

        data = self.config_data()
        if not data:
            raise InputError(f"{self.path} holds no {self.CONFIG}: not a training run's output_dir")
        known = set(TrainConfig.field_names())
        unknown = [k for k in data if k not in known]
        if unknown and strict:
            raise ConfigError(f"unknown config key {unknown[0]!r} in {self.config_path}")
        return TrainConfig(**{k: v for k, v in data.items() if k in known})

    def write_config(self, cfg) -> None:
        import dataclasses

        import yaml

        self.path.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(yaml.safe_dump(dataclasses.asdict(cfg), sort_keys=False))

    def summary(self) -> dict | None:
        try:
            data = json.loads(self.summary_path.read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def write_summary(self, summary: dict) -> None:
        self.summary_path.write_text(json.dumps(summary, indent=1))

    def end_reward(self) -> float | None:
        """The mean reward of the held-out samples drawn at the end of training (None: unknown)."""
        return _end_reward(self.summary() or {})

    def state(self) -> dict:
        """{"completed": [stages], "seconds": {stage: s}}."""
        if not self.state_path.exists():
            return {"completed": [], "seconds": {}}
        return json.loads(self.state_path.read_text())

    def write_state(self, state: dict) -> None:
        tmp = self.state_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(self.state_path)

    def sample_records(self, which: str) -> list[dict]:
        path = self.sample_records_path(which)
        return [json.loads(x) for x in path.read_text().splitlines() if x.strip()] if path.exists() else []

    def write_sample_records(self, which: str, rows: list[dict]) -> None:
        self.sample_records_path(which).write_text("".join(json.dumps(r) + "\n" for r in rows))


def _end_reward(summary: dict) -> float | None:
    try:
        value = summary["samples"]["end"]["reward"]
    except (KeyError, TypeError):
        return None
    return float(value) if isinstance(value, (int, float)) else None
