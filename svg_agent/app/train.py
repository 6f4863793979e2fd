"""Training: LoRA supervised warm start (TRL SFTTrainer), then GRPO or RLOO against the reward.

    svg-agent train --config configs/train/tiny-cpu.yaml --output_dir runs/tiny [--field value ...]

One flat dataclass, `TrainConfig` (the policy, data and reward groups of `svg_agent.settings` and
the run's own fields), parsed with TRL's parser: the YAML sets fields, the command line overrides
them, an unknown key is an error naming it, and `--help` lists every field. Further TRL settings go
under `sft:` and `grpo:` mappings. The run directory (`svg_agent.app.rundir.RunDir`) holds, when it
finishes:

    adapter/            the final LoRA adapter (what `--adapter DIR` loads)
    sft/, grpo/         each stage's checkpoints (optimizer, scheduler, RNG, data position) and adapter
    log.jsonl           every logged step of every stage (loss, reward components, validity, bytes)
    curves.png          the training curves
    samples.png         renders of the evaluation descriptions before and after training
    samples_start.jsonl, samples_end.jsonl   the same as records (completion, validity, bytes, reward)
    train_config.yaml   the resolved config; state.json   the stages finished and their times

`--resume` continues an interrupted run from its last checkpoint; Ctrl-C saves a checkpoint at
the end of the current step before exiting.
"""

from __future__ import annotations

import dataclasses
import json
import math
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, InputError, SvgAgentError
from ..settings import DataSettings, PolicySettings, RewardSettings, setting
from .rundir import RunDir

STAGES = ("sft", "grpo")
ALGORITHMS = ("grpo", "rloo")
LOSS_TYPES = ("grpo", "dr_grpo", "dapo", "bnpo", "cispo", "sapo")
EVAL_DESCRIPTIONS = [
    "a purple forest at dusk",
    "a red circle on a blue background",
    "a yellow umbrella with a black handle",
    "three green triangles in a row on a white background",
    "a starry night over a calm sea",
    "an orange t-shirt with a pocket",
]


class TrainingInterrupted(SvgAgentError):
    """Ctrl-C: a checkpoint was saved; `--resume` continues."""

    exit_code = 130


_help = setting


def _mapping(name: str, value) -> dict:
    """A `sft:`/`grpo:` value as a dict: a YAML mapping, JSON text from the command line, or nothing."""
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"--{name} takes a JSON mapping of TRL settings, e.g. '{{\"max_grad_norm\": 0.5}}' ({exc})"
            ) from None
    if not isinstance(value, dict):
        raise ConfigError(f"{name} must be a mapping of TRL settings, not {type(value).__name__}")
    return dict(value)


@dataclass
class TrainConfig(RewardSettings, DataSettings, PolicySettings):
    """Every setting of a training run: the policy, data and reward groups (svg_agent.settings), the
    run's own fields, fields prefixed sft_ and grpo_ for that stage, and `sft:` / `grpo:` mappings of
    further TRL settings (SFTConfig, GRPOConfig or RLOOConfig fields) passed through as they are."""

    model: str = PolicySettings.redefault("model", "tiny-random-gemma3")
    adapter: str | None = _help("start from this saved LoRA adapter instead of a new one", default=None)
    output_vocab: str = _help(
        "full (the policy may write any token) or svg (only SVG markup tokens, a twentieth of "
        "Gemma's vocabulary: faster on CPU, no prose; saved beside the adapter)",
        default="full",
    )
    lora_r: int = _help("LoRA rank", default=16)
    lora_alpha: int = _help("LoRA alpha", default=32)
    lora_dropout: float = _help("LoRA dropout", default=0.0)
    lora_target_modules: list[str] = _help(
        "modules LoRA adapts ('all-linear' or names)", default_factory=lambda: ["all-linear"]
    )
    lora_layers: int | str | None = _help(  # str: the command line's "none" reaches __post_init__
        "adapt only the top N decoder layers (the backward pass stops below them; "
        "measured 9 percent cheaper a token, and much worse at colours); None: every layer",
        default=None,
    )
    eval_descriptions: list[str] = _help(
        "held-out descriptions drawn before and after training (never trained on)",
        default_factory=lambda: list(EVAL_DESCRIPTIONS),
    )
    # run
    stages: list[str] = _help("stages to run, in order: sft, grpo", default_factory=lambda: ["sft", "grpo"])
    output_dir: str = _help("run directory (adapter, checkpoints, logs, plots)", default="runs/train")
    resume: bool = _help("continue the run in output_dir from its last checkpoint", default=False)
    seed: int = _help("seed for data order, LoRA init and sampling", default=0)
    save_steps: int = _help("checkpoint every this many optimizer steps", default=10)
    save_total_limit: int = _help("checkpoints kept per stage", default=2)
    logging_steps: int = _help("log every this many steps", default=1)
    report_to: list[str] = _help("tensorboard, wandb, trackio or none", default_factory=lambda: ["tensorboard"])
    gradient_checkpointing: bool = _help("trade compute for memory", default=False)
    bf16: bool = _help("bfloat16 mixed precision (GPU)", default=False)
    cpu_bf16: str = _help(
        "bfloat16 autocast for training on CPU: auto (where the CPU has native bf16), true or false", default="auto"
    )
    fast_loss: str = _help(
        "log-probabilities at completion positions only, no per-step full-vocabulary metrics: "
        "auto (on CPU, one process), true or false (TRL's fused head)",
        default="auto",
    )
    fast_generation: str = _help(
        "RL generation from a merged (bf16 where native) copy of the policy with an exact "
        "Gumbel-max sampler: auto (on CPU, one process, no vLLM), true or false",
        default="auto",
    )
    sample_max_new_tokens: int = _help("token limit of the before/after samples", default=256)
    samples_before: bool = _help(
        "also draw the evaluation descriptions with the policy before training (the samples grid's first column)",
        default=True,
    )
    sample_temperature: float = _help("temperature of the before/after samples", default=0.7)
    # sft
    sft_max_steps: int = _help("SFT optimizer steps", default=20)
    sft_learning_rate: float = _help("SFT learning rate", default=2e-4)
    sft_batch_size: int = _help("SFT sequences per device per step", default=4)
    sft_gradient_accumulation_steps: int = _help("SFT gradient accumulation", default=1)
    sft_warmup_ratio: float = _help("fraction of sft_max_steps spent warming the learning rate up", default=0.05)
    sft_max_length: int = _help("SFT sequence limit (prompt + completion tokens)", default=384)
    sft_group_by_length: bool = _help("batch SFT records of similar length together (less padding)", default=True)
    sft_group_weight: float = _help(
        "SFT loss weight on the tokens inside <g> elements (the procedural corpus groups what a "
        "description names: the object, garment, shapes, terrain); 1: every token alike",
        default=1.0,
    )
    sft_group_weight_skip: list[str] = _help(
        "ids of the groups that keep weight 1 under sft_group_weight (what the policy already draws well)",
        default_factory=list,
    )
    sft_group_weight_head: int = _help(
        "weight only the first this many tokens after each group's opening tag, where what is drawn is "
        "decided (0: the whole group)",
        default=0,
    )
    # grpo / rloo
    grpo_algorithm: str = _help("grpo or rloo (TRL's GRPOTrainer or RLOOTrainer)", default="grpo")
    grpo_max_steps: int = _help("RL optimizer steps", default=10)
    grpo_learning_rate: float = _help("RL learning rate", default=5e-5)
    grpo_num_generations: int = _help("completions per prompt (the group)", default=4)
    grpo_batch_size: int = _help("completions per device per step (a multiple of the group size)", default=4)
    grpo_gradient_accumulation_steps: int = _help("RL gradient accumulation", default=1)
    grpo_max_completion_length: int = _help("token limit of a completion", default=256)
    grpo_temperature: float = _help("sampling temperature", default=1.0)
    grpo_top_p: float = _help("nucleus sampling", default=1.0)
    grpo_loss_type: str = _help("grpo, dr_grpo, dapo, bnpo, cispo or sapo (GRPO only)", default="dapo")
    grpo_beta: float = _help("KL weight against the policy at the start of RL (0: no reference model)", default=0.0)
    grpo_epsilon: float = _help("clipping range", default=0.2)
    grpo_scale_rewards: str = _help("group, batch or none (GRPO only)", default="group")
    grpo_rewards: list[str] = _help(
        "reward callables (rewards.registry): the first ones weighted, the rest logged",
        default_factory=lambda: [
            "reward",
            "validity",
            "raw_validity",
            "size",
            "ocr",
            "judge_faithfulness",
            "standin_quality",
            "bytes",
        ],
    )
    grpo_reward_weights: list[float] = _help(
        "one weight per reward; 0 logs without training on it", default_factory=lambda: [1.0, 0, 0, 0, 0, 0, 0, 0]
    )
    grpo_use_vllm: bool = _help("generate with vLLM (GPU)", default=False)
    grpo_vllm_mode: str = _help("colocate or server", default="colocate")
    grpo_vllm_server_base_url: str | None = _help("vLLM server URL (server mode)", default=None)
    reward_validity: str = _help("extracted (the SVG as written must validate) or sanitized", default="extracted")
    # further TRL settings, passed through
    sft: dict | str | None = _help(
        "further SFTConfig settings as a mapping (YAML) or JSON text (command line), e.g. "
        '{"max_grad_norm": 0.5}; TRL validates them',
        default=None,
    )
    grpo: dict | str | None = _help("further GRPOConfig or RLOOConfig settings, as for sft", default=None)

    def __post_init__(self):
        super().__post_init__()  # "none" is None for every optional field
        for name in ("sft", "grpo"):
            setattr(self, name, _mapping(name, getattr(self, name)))
        if isinstance(self.lora_layers, str):
            try:
                self.lora_layers = int(self.lora_layers)
            except ValueError:
                raise ConfigError(f"lora_layers must be a whole number or none, not {self.lora_layers!r}") from None
        from .fastpath import _choice

        for name in ("cpu_bf16", "fast_loss", "fast_generation"):
            setattr(self, name, _choice(name, getattr(self, name)))
        if self.output_vocab not in ("full", "svg"):
            raise ConfigError(f"output_vocab must be full or svg, not {self.output_vocab!r}")
        if self.output_vocab == "svg" and (self.grpo_use_vllm or "false" in (self.fast_loss, self.fast_generation)):
            raise ConfigError(
                "output_vocab: svg needs the fast path's loss and generation (fast_loss and fast_generation "
                "not false, no vLLM); use output_vocab: full there"
            )
        bad = [s for s in self.stages if s not in STAGES]
        if bad or not self.stages:
            raise ConfigError(f"stages must be a list of {', '.join(STAGES)}; got {self.stages}")
        if self.grpo_algorithm not in ALGORITHMS:
            raise ConfigError(f"grpo_algorithm must be one of {', '.join(ALGORITHMS)}, not {self.grpo_algorithm!r}")
        if self.grpo_loss_type not in LOSS_TYPES:
            raise ConfigError(f"grpo_loss_type must be one of {', '.join(LOSS_TYPES)}, not {self.grpo_loss_type!r}")
        from rewards.registry import GETTERS

        unknown = [r for r in self.grpo_rewards if r not in GETTERS]
        if unknown:
            raise ConfigError(f"unknown reward {unknown[0]!r} in grpo_rewards; choose from {', '.join(GETTERS)}")
        if len(self.grpo_reward_weights) != len(self.grpo_rewards):
            raise ConfigError(
                f"grpo_reward_weights has {len(self.grpo_reward_weights)} values for "
                f"{len(self.grpo_rewards)} grpo_rewards; give one weight per reward"
            )
        if self.grpo_num_generations < 2:
            raise ConfigError("grpo_num_generations must be at least 2 (the advantage compares completions of a group)")
        if self.grpo_batch_size % self.grpo_num_generations:
            raise ConfigError(
                f"grpo_batch_size ({self.grpo_batch_size}) must be a multiple of grpo_num_generations "
                f"({self.grpo_num_generations})"
            )
        if not 0 <= self.sft_warmup_ratio <= 1:
            raise ConfigError(
                f"sft_warmup_ratio is a fraction of sft_max_steps, between 0 and 1, not {self.sft_warmup_ratio}"
            )
        if self.sft_group_weight_head < 0:
            raise ConfigError(
                f"sft_group_weight_head must be 0 (the whole group) or more, not {self.sft_group_weight_head}"
            )
        if not self.sft_group_weight > 0:
            raise ConfigError(f"sft_group_weight must be positive (1: every token alike), not {self.sft_group_weight}")
        for name in ("sft_max_steps", "grpo_max_steps", "save_steps", "sft_batch_size", "max_svg_tokens"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        if self.dataset != "procedural" and not Path(self.dataset).exists():
            raise InputError(
                f"dataset {self.dataset} does not exist: give 'procedural' or a JSON-lines file "
                "from `svg-agent build-dataset`"
            )


def parse_train_args(argv: list[str]) -> TrainConfig:
    """TrainConfig from `--config FILE` and `--field value` overrides; errors name the bad key."""
    from .._torchvision import ensure_torchvision

    ensure_torchvision()
    from trl import TrlParser

    if "--config" in argv:
        i = argv.index("--config")
        if i + 1 >= len(argv):
            raise ConfigError("--config needs a YAML file")
        path = Path(argv[i + 1])
        if not path.exists():
            raise InputError(f"config {path} does not exist")
    parser = TrlParser(
        [TrainConfig],
        prog="svg-agent train",
        description="Train a policy: LoRA SFT warm start, then GRPO/RLOO against the reward.",
    )
    try:
        (config,) = parser.parse_args_and_config(argv)
    except ValueError as exc:
        msg = str(exc)
        if "Unknown arguments from config file" in msg or "not used by the HfArgumentParser" in msg:
            import re

            keys = re.findall(r"--?([A-Za-z0-9_]+)", msg) or [msg]
            raise ConfigError(f"unknown config key {keys[0]!r}; `svg-agent train --help` lists every field") from None
        raise ConfigError(msg) from None
    return config


# ---------------------------------------------------------------- data


def training_records(cfg: TrainConfig) -> list[dict]:
    """(description, svg, questions) records, without the evaluation descriptions."""
    held_out = {d.strip().lower() for d in cfg.eval_descriptions}
    if cfg.dataset == "procedural":
        from vectorize.scenes import generate_scenes

        records = [
            {"description": s.description, "svg": s.svg, "questions": s.questions}
            for s in generate_scenes(cfg.dataset_size, seed=cfg.dataset_seed, flat=cfg.procedural_flat, split="train")
        ]
    else:
        from vectorize.dataset import load_records

        records = load_records(cfg.dataset)
        for i, r in enumerate(records):
            if not isinstance(r.get("description"), str) or not isinstance(r.get("svg"), str):
                raise InputError(f"{cfg.dataset} record {i + 1} needs 'description' and 'svg' strings")
    records = [r for r in records if r["description"].strip().lower() not in held_out]
    if not records:
        raise InputError("no training records left after removing the evaluation descriptions")
    return records


def _questions_column(records: list[dict]) -> list[str]:
    return [json.dumps(r.get("questions") or []) for r in records]


def sft_dataset(records: list[dict], fmt, tokenizer, max_tokens: int):
    """Prompt/completion pairs for SFTTrainer, dropping completions over `max_tokens` tokens."""
    from datasets import Dataset

    rows = []
    for r in records:
        completion = fmt.completion(r["svg"])
        text = completion if isinstance(completion, str) else completion[-1]["content"]
        if len(tokenizer(text, add_special_tokens=False)["input_ids"]) <= max_tokens:
            rows.append({"prompt": fmt.prompt(r["description"]), "completion": completion})
    if not rows:
        raise InputError(f"every training SVG is longer than max_svg_tokens={max_tokens} tokens; raise it")
    return Dataset.from_list(rows), len(records) - len(rows)


def rl_dataset(records: list[dict], fmt):
    """Prompts for GRPO/RLOO with the columns the rewards read (description, questions)."""
    from datasets import Dataset

    return Dataset.from_list(
        [
            {"prompt": fmt.prompt(r["description"]), "description": r["description"], "questions": q}
            for r, q in zip(records, _questions_column(records))
        ]
    )


# ---------------------------------------------------------------- callbacks


def _callbacks_base():
    from transformers import TrainerCallback

    return TrainerCallback


class _Callbacks:
    """Built lazily so that importing this module needs no transformers."""

    @staticmethod
    def jsonl(path: Path, stage: str):
        base = _callbacks_base()

        class JsonlLog(base):
            def on_log(self, args, state, control, logs=None, **kw):
                if state.is_world_process_zero and logs:
                    with open(path, "a") as f:
                        f.write(
                            json.dumps(
                                {
                                    "stage": stage,
                                    "step": state.global_step,
                                    "time": time.time(),
                                    **{k: v for k, v in logs.items() if isinstance(v, (int, float))},
                                }
                            )
                            + "\n"
                        )

        return JsonlLog()

    @staticmethod
    def save_vocab(vocab):
        """Write the output vocabulary into every checkpoint, beside its adapter."""
        base = _callbacks_base()

        class SaveVocab(base):
            def on_save(self, args, state, control, **kw):
                folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
                if state.is_world_process_zero and folder.is_dir():
                    vocab.save(folder)

        return SaveVocab()

    @staticmethod
    def interrupt():
        base = _callbacks_base()

        class Interrupt(base):
            """First Ctrl-C: save a checkpoint after this step and stop. Second: stop at once."""

            def __init__(self):
                self.requested = False
                self._previous = None

            def _handle(self, signum, frame):
                if self.requested:
                    raise KeyboardInterrupt
                self.requested = True
                print(
                    "\nCtrl-C: saving a checkpoint at the end of this step, then stopping "
                    "(Ctrl-C again stops at once without saving)",
                    file=sys.stderr,
                    flush=True,
                )

            def on_train_begin(self, args, state, control, **kw):
                try:
                    self._previous = signal.signal(signal.SIGINT, self._handle)
                except ValueError:  # not the main thread
                    self._previous = None

            def on_step_end(self, args, state, control, **kw):
                if self.requested:
                    control.should_save = True
                    control.should_training_stop = True

            def on_train_end(self, args, state, control, **kw):
                if self._previous is not None:
                    signal.signal(signal.SIGINT, self._previous)
                    self._previous = None

        return Interrupt()


# ---------------------------------------------------------------- helpers


def last_checkpoint(folder: Path) -> Path | None:
    ckpts = [
        p
        for p in folder.glob("checkpoint-*")
        if p.is_dir() and p.name.split("-")[-1].isdigit() and (p / "trainer_state.json").exists()
    ]
    return max(ckpts, key=lambda p: int(p.name.split("-")[-1])) if ckpts else None


def _is_main_process() -> bool:
    import os

    return int(os.environ.get("RANK", "0")) == 0


def _lora_config(cfg: TrainConfig, model=None):
    from peft import LoraConfig

    targets = cfg.lora_target_modules
    layers = None
    if cfg.lora_layers is not None:
        if cfg.lora_layers < 1:
            raise ConfigError(f"lora_layers must be at least 1 (or none for every layer), not {cfg.lora_layers}")
        n = _decoder_layers(model.config) if model is not None else None
        if n is not None:
            layers = list(range(max(0, n - cfg.lora_layers), n))
            if targets == ["all-linear"]:  # PEFT takes a layer list only with module names
                targets = _linear_names(model)
    return LoraConfig(
        r=cfg.lora_r,
        lora_alpha=cfg.lora_alpha,
        lora_dropout=cfg.lora_dropout,
        task_type="CAUSAL_LM",
        target_modules=targets[0] if targets == ["all-linear"] else targets,
        layers_to_transform=layers,
    )


def _decoder_layers(model_config) -> int | None:
    """How many decoder layers the model has (its text config's num_hidden_layers)."""
    text = getattr(model_config, "text_config", None) or model_config
    return getattr(text, "num_hidden_layers", None)


def _linear_names(model) -> list[str]:
    """The names of the linear modules inside the decoder layers (what 'all-linear' adapts)."""
    import torch

    return sorted(
        {
            name.rsplit(".", 1)[-1]
            for name, mod in model.named_modules()
            if isinstance(mod, torch.nn.Linear) and ".layers." in name
        }
    )


NOT_IN_RLOO = {"loss_type", "scale_rewards"}  # GRPO-only settings, left out for RLOO


def _config_kwargs(config_cls, **kw) -> dict:
    """The settings `config_cls` takes; a setting it lacks is an error unless it is known not to apply."""
    names = {f.name for f in dataclasses.fields(config_cls)}
    dropped = [
        k
        for k in kw
        if k not in names and k not in NOT_IN_RLOO and not (k.startswith("vllm_") and not kw.get("use_vllm"))
    ]
    if dropped:
        raise ConfigError(
            f"{config_cls.__name__} in this TRL version has no setting {dropped[0]!r}; "
            "upgrade TRL (see pyproject.toml) or leave that field at its default"
        )
    return {k: v for k, v in kw.items() if k in names}


def _from_fields(cfg: TrainConfig, **fields: str) -> dict:
    """{TRL setting: (the config field that sets it, its value)}."""
    return {k: (name, getattr(cfg, name)) for k, name in fields.items()}


def _common_args(cfg: TrainConfig, out: Path) -> tuple[dict, dict]:
    """(settings from the config's own fields, settings the project chooses) shared by both stages."""
    # gradient_checkpointing passed either way: TRL's own default is on, which recomputes every forward pass
    own = _from_fields(
        cfg,
        gradient_checkpointing="gradient_checkpointing",
        logging_steps="logging_steps",
        save_steps="save_steps",
        save_total_limit="save_total_limit",
        report_to="report_to",
        seed="seed",
        bf16="bf16",
    )
    chosen = dict(
        output_dir=str(out),
        dataloader_num_workers=0,
        dataloader_pin_memory=_cuda(),
        use_cpu=not _cuda(),
        disable_tqdm=False,
        save_only_model=False,
    )
    return own, chosen


def _sft_kwargs(cfg: TrainConfig, out: Path, config_cls) -> tuple[dict, dict]:
    own, chosen = _common_args(cfg, out)
    own |= _from_fields(
        cfg,
        max_steps="sft_max_steps",
        learning_rate="sft_learning_rate",
        per_device_train_batch_size="sft_batch_size",
        gradient_accumulation_steps="sft_gradient_accumulation_steps",
        max_length="sft_max_length",
    )
    # a step count, not a fraction: transformers 4 reads warmup_steps < 1 as zero steps, 5 as a ratio
    own["warmup_steps"] = ("sft_warmup_ratio", math.ceil(cfg.sft_warmup_ratio * cfg.sft_max_steps))
    own |= {k: ("sft_group_by_length", v) for k, v in _sampling_args(config_cls, cfg.sft_group_by_length).items()}
    chosen |= dict(lr_scheduler_type="cosine", completion_only_loss=True, packing=False)
    return own, chosen


def _rl_kwargs(cfg: TrainConfig, out: Path) -> tuple[dict, dict]:
    own, chosen = _common_args(cfg, out)
    own |= _from_fields(
        cfg,
        max_steps="grpo_max_steps",
        learning_rate="grpo_learning_rate",
        per_device_train_batch_size="grpo_batch_size",
        gradient_accumulation_steps="grpo_gradient_accumulation_steps",
        num_generations="grpo_num_generations",
        max_completion_length="grpo_max_completion_length",
        temperature="grpo_temperature",
        top_p="grpo_top_p",
        loss_type="grpo_loss_type",
        beta="grpo_beta",
        epsilon="grpo_epsilon",
        scale_rewards="grpo_scale_rewards",
        reward_weights="grpo_reward_weights",
        use_vllm="grpo_use_vllm",
        vllm_mode="grpo_vllm_mode",
        vllm_server_base_url="grpo_vllm_server_base_url",
    )
    chosen |= dict(lr_scheduler_type="constant", warmup_steps=0, log_completions=False, shuffle_dataset=True)
    return own, chosen


def _trl_kwargs(config_cls, stage: str, cfg: TrainConfig, parts: tuple[dict, dict]) -> dict:
    """A TRL config's keyword arguments: the config's own fields, the project's choices, then the
    `sft:`/`grpo:` mapping over the choices. A mapping key that one of our fields sets, or that
    `config_cls` does not have, is an error naming what to write instead."""
    own, chosen = parts
    extra = getattr(cfg, stage) or {}
    names = {f.name for f in dataclasses.fields(config_cls)}
    for key in extra:
        if key not in names:
            raise ConfigError(
                f"{stage}: {config_cls.__name__} has no setting {key!r} in this TRL version "
                f"(see TRL's {config_cls.__name__} documentation)"
            )
        if key in own:
            raise ConfigError(f"{stage}.{key} is set by the field {own[key][0]}; set that instead")
        if key == "output_dir":
            raise ConfigError(f"{stage}.output_dir is chosen by the run (output_dir/{stage}); set output_dir instead")
    kw = _config_kwargs(config_cls, **{k: v for k, (_, v) in own.items()}, **chosen)
    return kw | extra


def check_trl_settings(cfg: TrainConfig) -> None:
    """Fail before any model loads when an `sft:`/`grpo:` key is misspelt or shadows a field."""
    if not (cfg.sft or cfg.grpo):
        return
    from .._torchvision import ensure_torchvision

    ensure_torchvision()
    if cfg.sft:
        from trl import SFTConfig

        _trl_kwargs(SFTConfig, "sft", cfg, _sft_kwargs(cfg, Path(cfg.output_dir) / "sft", SFTConfig))
    if cfg.grpo:
        from trl import GRPOConfig, RLOOConfig

        Config = RLOOConfig if cfg.grpo_algorithm == "rloo" else GRPOConfig
        _trl_kwargs(Config, "grpo", cfg, _rl_kwargs(cfg, Path(cfg.output_dir) / "grpo"))


# ---------------------------------------------------------------- samples and plots


def draw_samples(model, tokenizer, fmt, cfg: TrainConfig, scorer, vocab=None) -> list[dict]:
    """One sampled completion per evaluation description, scored with the run's reward."""
    from ..selection import select_svg
    from .policy import Policy

    policy = Policy(model, tokenizer, fmt, vocab=vocab.ids.tolist() if vocab is not None else None)
    was_training = model.training
    rows = []
    try:
        outs = policy.sample(
            cfg.eval_descriptions,
            max_new_tokens=cfg.sample_max_new_tokens,
            temperature=cfg.sample_temperature,
            top_p=0.95,
            seed=cfg.seed,
            loop_guard=True,
            close_guard=True,
        )
    finally:
        model.train(was_training)
    texts = [fmt.to_svg(o[0]) for o in outs]
    records = scorer.score(texts, cfg.eval_descriptions)  # judged under the run's own validity rule
    for d, c, text, rec in zip(cfg.eval_descriptions, outs, texts, records):
        s = select_svg(text, "sanitized")  # what the grid shows: the drawing that would be submitted
        rows.append(
            {
                "description": d,
                "completion": c[0],
                "svg": s.svg,
                "raw_valid": rec.raw_valid,
                "fallback": s.fallback,
                "valid": rec.valid,
                "bytes": len(text.encode()),
                "reward": rec.reward,
                "standin_faithfulness": rec.standin_faithfulness,
                "judge_faithfulness": rec.judge_faithfulness,
                "ocr": rec.ocr,
            }
        )
    return rows


def samples_grid(start: list[dict] | None, end: list[dict] | None, path: Path) -> None:
    from ..render import render_safe
    from .demo import contact_sheet

    rows = []
    sets = [(name, s) for name, s in (("before training", start), ("after training", end)) if s]
    columns = [name for name, _ in sets]
    for i in range(len(sets[0][1])):
        images = []
        for _, s in sets:
            images.append(render_safe(s[i]["svg"]).image)
        desc = sets[0][1][i]["description"]
        notes = " | ".join(
            f"{n.split()[0]}: r={'?' if s[i]['reward'] is None else format(s[i]['reward'], '.2f')}"
            + (" no SVG, stock drawing" if s[i].get("fallback") else "" if s[i]["raw_valid"] else " raw-invalid")
            for n, s in sets
        )
        rows.append((f"{desc}  [{notes}]", images))
    contact_sheet(rows, columns).save(path)


def plot_curves(log_path: Path, path: Path) -> bool:
    """A PNG of the logged curves: SFT loss; the RL reward with its gates (raw validity, validity,
    size, OCR, quality), the judge's terms apart, and bytes."""
    if not log_path.exists():
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    sft = [r for r in rows if r["stage"] == "sft" and "loss" in r]
    rl = [r for r in rows if r["stage"] == "grpo" and any(k.startswith("rewards/") for k in r)]
    panels = []
    if sft:
        panels.append(("SFT loss", [("loss", [r["step"] for r in sft], [r["loss"] for r in sft])]))
    if rl:
        names = sorted(
            {
                k[len("rewards/") : -len("/mean")]
                for r in rl
                for k in r
                if k.startswith("rewards/") and k.endswith("/mean")
            }
        )

        def series(group):
            return [
                (
                    n,
                    [r["step"] for r in rl if f"rewards/{n}/mean" in r],
                    [r[f"rewards/{n}/mean"] for r in rl if f"rewards/{n}/mean" in r],
                )
                for n in group
            ]

        judge = [n for n in names if n.startswith("judge_")]
        scores = [n for n in names if n != "bytes" and n not in judge]
        if scores:
            panels.append(("RL reward and its gates (mean per step)", series(scores)))
        if judge:
            panels.append(("RL judge terms, a stand-in for the VQA score (mean per step)", series(judge)))
        if "bytes" in names:
            panels.append(
                (
                    "RL completion bytes",
                    [("bytes", [r["step"] for r in rl], [r.get("rewards/bytes/mean", float("nan")) for r in rl])],
                )
            )
    if not panels:
        return False
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4))
    axes = [axes] if len(panels) == 1 else list(axes)
    for ax, (title, series) in zip(axes, panels):
        for label, xs, ys in series:
            ax.plot(xs, ys, marker="o", markersize=3, label=label)
        ax.set_title(title)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        if len(series) > 1:
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# ---------------------------------------------------------------- the run


def _scorer(cfg: TrainConfig):
    from rewards.scorer import Scorer, scorer_config

    return Scorer(scorer_config(cfg, validity=cfg.reward_validity))


def _check_output_dir(cfg: TrainConfig, run: RunDir) -> None:
    out = run.path
    started = run.state_path.exists() or any(last_checkpoint(run.stage_dir(s)) for s in STAGES)
    if started and not cfg.resume:
        raise ConfigError(
            f"{out} already holds a training run; pass --resume to continue it, or choose another --output_dir"
        )
    if cfg.resume and not started:
        raise ConfigError(f"--resume: {out} holds no run to continue")
    if cfg.resume and run.config_path.exists():
        before = run.config_data()
        now = dataclasses.asdict(cfg)
        changed = [
            k
            for k in (
                "model",
                "prompt_format",
                "lora_r",
                "lora_target_modules",
                "lora_layers",
                "dataset",
                "dataset_size",
                "dataset_seed",
                "stages",
            )
            if k in before and before[k] != now[k]
        ]
        if changed:
            raise ConfigError(
                f"--resume with a different {changed[0]} ({before[changed[0]]!r} -> {now[changed[0]]!r}) "
                "than the run in output_dir; use the same config"
            )


def train(cfg: TrainConfig, keep_model: bool = False) -> dict:
    """Run the configured stages; returns the run summary (also written to output_dir/summary.json).

    With `keep_model`, the summary's "model" entry is the trained PeftModel itself (for tests and notebooks).
    """
    import os

    from .policy import PolicySpec, PromptFormat, attach_adapter, load_model

    if os.environ.get("ACCELERATE_DEEPSPEED_ZERO_STAGE") == "3":
        raise ConfigError(
            "DeepSpeed ZeRO-3 is not supported: the adapter is saved and sampled on one process. "
            "LoRA keeps the trainable state small: use configs/accelerate/zero2.yaml or ddp-1node.yaml"
        )
    run = RunDir(cfg.output_dir)
    out = run.path
    check_trl_settings(cfg)
    _check_output_dir(cfg, run)
    out.mkdir(parents=True, exist_ok=True)
    main = _is_main_process()
    if main:
        run.write_config(cfg)
    state = run.state()
    t_start = time.perf_counter()

    spec = PolicySpec.of(cfg, adapter=None, device="cpu")  # the Trainer moves it; the adapter is attached below
    model, tokenizer, _ = load_model(spec)
    fmt = PromptFormat.for_tokenizer(tokenizer, cfg.prompt_format)
    import torch

    torch.manual_seed(cfg.seed)
    records = training_records(cfg)
    scorer = _scorer(cfg)
    fast = fast_path(cfg)
    summary = {
        "model": cfg.model,
        "prompt_format": fmt.kind,
        "records": len(records),
        "stages": {},
        "world_size": int(os.environ.get("WORLD_SIZE", "1")),
        "fast_path": fast.as_dict(),
    }

    # the adapter being trained: the latest finished stage's, else the configured one, else a new one
    peft_model = None
    for stage in STAGES:
        if stage in state["completed"] and run.stage_adapter(stage) is not None:
            peft_model = run.stage_adapter(stage)
    if peft_model is not None:
        peft_model = attach_adapter(model, peft_model, trainable=True)
    elif cfg.adapter:
        peft_model = attach_adapter(model, cfg.adapter, trainable=True)
    vocab = output_vocab(cfg, out, tokenizer, fmt, records, model.get_output_embeddings().weight.shape[0])
    if vocab is not None:
        summary["output_vocab"] = len(vocab)
        if main:
            vocab.save(out)

    if (
        main and cfg.samples_before and not run.sample_records_path("start").exists()
    ):  # the policy before this run trained it
        t = time.perf_counter()
        start = draw_samples(peft_model or model, tokenizer, fmt, cfg, scorer, vocab)
        run.write_sample_records("start", start)
        summary["samples_seconds"] = round(time.perf_counter() - t, 1)

    interrupt = _Callbacks.interrupt()
    for stage in cfg.stages:
        if stage in state["completed"]:
            continue
        stage_dir = run.stage_dir(stage)
        resume_from = last_checkpoint(stage_dir) if cfg.resume else None
        if resume_from is not None and main:
            _truncate_log(run.log_path, stage, int(resume_from.name.split("-")[-1]))
        t = time.perf_counter()
        callbacks = [_Callbacks.jsonl(run.log_path, stage), interrupt]
        if vocab is not None:
            callbacks.append(_Callbacks.save_vocab(vocab))
        if stage == "sft":
            trainer, dropped = sft_trainer(
                cfg, stage_dir, peft_model or model, peft_model is None, tokenizer, fmt, records, callbacks, fast, vocab
            )
            if vocab is not None and len(vocab) != summary["output_vocab"]:  # the SFT data added tokens
                summary["output_vocab"] = len(vocab)
                if main:
                    vocab.save(out)
            summary["stages"]["sft_records_dropped_over_max_svg_tokens"] = dropped
        else:
            trainer = rl_trainer(
                cfg,
                stage_dir,
                peft_model or model,
                peft_model is None,
                tokenizer,
                fmt,
                records,
                scorer,
                callbacks,
                fast,
                vocab,
            )
        trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
        peft_model = trainer.model
        if interrupt.requested:
            ckpt = last_checkpoint(stage_dir)
            raise TrainingInterrupted(
                f"interrupted during {stage}; checkpoint saved in {ckpt}. Continue with: "
                f"svg-agent train --config ... --output_dir {out} --resume"
            )
        trainer.save_model(str(stage_dir / "adapter"))  # every process takes part; the main one writes
        if main and vocab is not None:
            vocab.save(stage_dir / "adapter")
        if main:
            state["completed"].append(stage)
            state["seconds"][stage] = round(time.perf_counter() - t, 1)
            run.write_state(state)
        summary["stages"][stage] = {"seconds": state["seconds"].get(stage), "steps": trainer.state.global_step}

    if main:
        _finish_run(cfg, run, peft_model, tokenizer, fmt, scorer, state, summary, t_start, vocab)
        if keep_model:
            summary["model"] = peft_model
    _leave_process_group()
    return summary


def _finish_run(
    cfg, run: RunDir, model, tokenizer, fmt, scorer, state: dict, summary: dict, t_start: float, vocab=None
) -> None:
    """The main process's last work: the final adapter, the samples after training, plots, summary.json."""
    model.save_pretrained(str(run.adapter_path))
    if vocab is not None:
        vocab.save(run.adapter_path)
    t = time.perf_counter()
    end = draw_samples(model, tokenizer, fmt, cfg, scorer, vocab)
    run.write_sample_records("end", end)
    start = run.sample_records("start")
    samples_grid(start, end, run.samples_path)
    plot_curves(run.log_path, run.curves_path)
    summary.update(
        seconds=round(time.perf_counter() - t_start, 1),
        stage_seconds=state["seconds"],
        samples={name: _sample_stats(rows) for name, rows in (("start", start), ("end", end)) if rows},
        adapter=str(run.adapter_path),
        end_samples_seconds=round(time.perf_counter() - t, 1),
    )
    run.write_summary(summary)


def _leave_process_group() -> None:
    """Under accelerate/torchrun: wait for the main process's last work, then close the process group.

    A process that exits while the group is still open (the other ranks finish first) aborts in
    the collective library's destructor, and the launcher then kills the main process too.
    """
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def _truncate_log(path: Path, stage: str, step: int) -> None:
    """Drop the log rows of `stage` after `step`: the resumed run logs them again."""
    if not path.exists():
        return
    keep = [
        line
        for line in path.read_text().splitlines()
        if line.strip() and not (json.loads(line)["stage"] == stage and json.loads(line)["step"] > step)
    ]
    path.write_text("".join(x + "\n" for x in keep))


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _sample_stats(rows: list[dict]) -> dict:
    n = len(rows)
    known = [r["reward"] for r in rows if r["reward"] is not None]  # None: nothing the judge could check
    return {
        "n": n,
        "reward": round(sum(known) / len(known), 4) if known else None,
        "raw_validity": round(sum(r["raw_valid"] for r in rows) / n, 4),
        "bytes": round(sum(r["bytes"] for r in rows) / n, 1),
    }


def output_vocab(cfg: TrainConfig, out: Path, tokenizer, fmt, records: list[dict], vocab_size: int):
    """The tokens the policy may write (an OutputVocab; None: all), the same on resume and for a starting adapter's run."""
    from .fastpath import OutputVocab
    from .rundir import find_adapter
    from .vocab import build_vocab, load_vocab

    if cfg.output_vocab != "svg":
        return None
    saved = load_vocab(out, vocab_size) if cfg.resume else None
    if saved is not None:
        return OutputVocab(saved, vocab_size)
    completions = []
    for r in records:
        c = fmt.completion(r["svg"])
        completions.append(
            tokenizer(c if isinstance(c, str) else c[-1]["content"], add_special_tokens=False)["input_ids"]
        )
    ids = set(build_vocab(tokenizer, completions))
    if cfg.adapter:
        ids |= set(load_vocab(find_adapter(cfg.adapter), vocab_size) or [])
    return OutputVocab(sorted(ids), vocab_size)


def fast_path(cfg: TrainConfig):
    """The CPU fast path's levers for this run (see svg_agent.app.fastpath)."""
    import os

    from .fastpath import resolve

    return resolve(
        cfg.cpu_bf16,
        cfg.fast_loss,
        cfg.fast_generation,
        cuda=_cuda(),
        world_size=int(os.environ.get("WORLD_SIZE", "1")),
        use_vllm=cfg.grpo_use_vllm,
        gradient_checkpointing=cfg.gradient_checkpointing,
    )


def _sampling_args(config_cls, group: bool) -> dict:
    """Length-grouped batches under whichever name this transformers version uses."""
    names = {f.name for f in dataclasses.fields(config_cls)}
    if not group:
        return {}
    if "train_sampling_strategy" in names:
        return {"train_sampling_strategy": "group_by_length"}
    return {"group_by_length": True} if "group_by_length" in names else {}


def sft_trainer(cfg, out, model, new_adapter, tokenizer, fmt, records, callbacks, fast=None, vocab=None):
    """The SFT stage's trainer for a config (what `train` runs; benchmarks time it): returns
    (trainer, records dropped as longer than max_svg_tokens). `new_adapter`: add a LoRA adapter."""
    from trl import SFTConfig

    from .fastpath import FastPath, sft_trainer_class

    fast = fast or FastPath()
    ds, dropped = sft_dataset(records, fmt, tokenizer, cfg.max_svg_tokens)
    args = SFTConfig(**_trl_kwargs(SFTConfig, "sft", cfg, _sft_kwargs(cfg, out, SFTConfig)))
    trainer = sft_trainer_class(
        fast, vocab, cfg.sft_group_weight, cfg.sft_group_weight_skip, cfg.sft_group_weight_head
    )(
        model=model,
        args=args,
        train_dataset=ds,
        processing_class=tokenizer,
        peft_config=_lora_config(cfg, model) if new_adapter else None,
        callbacks=callbacks,
    )
    if vocab is not None:  # every trained token must be one the policy can write (a chat template's end of turn)
        data = trainer.train_dataset
        masks = data["completion_mask"] if "completion_mask" in data.column_names else None
        seen = set()
        for i, row in enumerate(data["input_ids"]):
            seen.update(t for t, k in zip(row, masks[i] if masks is not None else [1] * len(row)) if k)
        vocab.extend(seen)
    return trainer, dropped


def rl_trainer(cfg, out, model, new_adapter, tokenizer, fmt, records, scorer, callbacks, fast=None, vocab=None):
    """The RL stage's trainer (GRPO or RLOO, TRL's) for a config, rewarded by `scorer`."""
    from rewards.registry import build_rewards

    from .fastpath import FastPath, rl_trainer_class

    fast = fast or FastPath()
    if cfg.grpo_algorithm == "rloo":
        from trl import RLOOConfig as Config
        from trl import RLOOTrainer as Base
    else:
        from trl import GRPOConfig as Config
        from trl import GRPOTrainer as Base
    Trainer = rl_trainer_class(Base, fast, vocab)
    args = Config(**_trl_kwargs(Config, "grpo", cfg, _rl_kwargs(cfg, out)))
    reward_funcs = build_rewards(cfg.grpo_rewards, scorer=scorer, to_svg=fmt.to_svg)
    return Trainer(
        model=model,
        reward_funcs=reward_funcs,
        args=args,
        train_dataset=rl_dataset(records, fmt),
        processing_class=tokenizer,
        peft_config=_lora_config(cfg, model) if new_adapter else None,
        callbacks=callbacks,
    )
