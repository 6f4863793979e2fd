"""The setting groups every config holds: which policy, which reward, which training data.

`TrainConfig`, `GenerateConfig`, `BenchmarkConfig` and `PolicySpec` are built from these groups
(as dataclass bases, so a YAML file and the command line keep their flat keys: `model: ...`,
`vqa: none`). Each field is declared, documented and defaulted once, here, and one place reads
the words "none" and "null" (and an empty string) as "not set" for every optional field.

    from svg_agent.settings import PolicySettings, RewardSettings
    RewardSettings.pick(train_config)      # the reward fields of any config, as a dict
    rewards.scorer.scorer_config(config)   # the ScorerConfig a config's reward fields describe
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field

NONE_WORDS = ("none", "null", "")


def setting(help: str, **kw):
    """A dataclass field with its help text (what `--help` prints)."""
    return field(metadata={"help": help}, **kw)


def none_word(value):
    """None for the words that mean "not set" in a YAML file or on the command line; else the value."""
    if isinstance(value, str) and value.strip().lower() in NONE_WORDS:
        return None
    return value


@functools.cache
def _optional_fields(cls) -> frozenset[str]:
    """The fields of `cls` whose annotation allows None, read from the class annotations (not from
    `Field.type`, which transformers' argument parser rewrites in place)."""
    seen: dict[str, bool] = {}
    for klass in cls.__mro__:
        for name, annotation in vars(klass).get("__annotations__", {}).items():
            seen.setdefault(name, "None" in str(annotation))
    return frozenset(name for name, optional in seen.items() if optional)


@dataclass
class Settings:
    """Base of every setting group and config: optional fields read "none" as None."""

    def __post_init__(self):
        for name in _optional_fields(type(self)):
            setattr(self, name, none_word(getattr(self, name)))

    @classmethod
    def optional_fields(cls) -> frozenset[str]:
        """The fields that may be None (and read "none" as None)."""
        return _optional_fields(cls)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def pick(cls, source) -> dict:
        """This group's fields from a config object or a mapping (those it has)."""
        if isinstance(source, dict):
            return {k: source[k] for k in cls.field_names() if k in source}
        return {k: getattr(source, k) for k in cls.field_names() if hasattr(source, k)}

    @classmethod
    def redefault(cls, name: str, default):
        """The field `name` of this group with another default (its help text kept)."""
        return field(metadata=cls.__dataclass_fields__[name].metadata, default=default)

    @classmethod
    def of(cls, source, **overrides):
        """This group built from another config's fields (plus overrides)."""
        return cls(**(cls.pick(source) | overrides))


@dataclass
class PolicySettings(Settings):
    """Which language model draws, with which adapter, in which precision and prompt format."""

    model: str = setting(
        "hub id, local folder, 'gemma3-270m-offline' or 'tiny-random-gemma3'", default="gemma3-270m-offline"
    )
    adapter: str | None = setting(
        "a saved LoRA adapter: a training run's output_dir or its adapter/ folder", default=None
    )
    prompt_format: str = setting("auto (chat if the tokenizer has a chat template), chat or base", default="auto")
    dtype: str = setting("weights: float32, bfloat16, float16 or auto", default="float32")
    load_in_4bit: bool = setting("QLoRA: load the base model in 4-bit NF4 (CUDA, bitsandbytes)", default=False)
    attn_implementation: str | None = setting(
        "eager, sdpa or flash_attention_2 (default: transformers' choice)", default=None
    )


@dataclass
class RewardSettings(Settings):
    """Which models the reward runs. A model left unset is replaced by its offline stand-in, named so."""

    ocr_backend: str | None = setting("rapidocr, tesseract or none", default="rapidocr")
    clip: str | None = setting(
        "CLIP weights for the real aesthetic term ('openai' or a checkpoint); none: stand-in", default=None
    )
    clip_model: str = setting("open_clip architecture", default="ViT-L-14")
    vqa: str | None = setting("PaliGemma hub id or folder for the real VQA term; none: stand-in", default=None)
    vqa_4bit: bool = setting("load PaliGemma in 4-bit (CUDA)", default=False)
    judge: str | None = setting(
        "without vqa: the offline judge (a stand-in) that answers the questions: auto "
        "(cached, trained on first use), a saved judge, or none (the pixel stand-in)",
        default="auto",
    )
    judge_object_gate: bool = setting(
        "the judge's answer to a question about a named object's colour or count counts only as "
        "far as it believes that object is there (else it is a don't-know)",
        default=False,
    )


@dataclass
class DataSettings(Settings):
    """The (description, SVG) records a policy trains on."""

    dataset: str = setting(
        "'procedural' (generated scenes) or a JSON-lines file from `svg-agent build-dataset`", default="procedural"
    )
    dataset_size: int = setting("procedural records to generate", default=512)
    dataset_seed: int = setting("seed of the procedural generator", default=0)
    procedural_flat: bool = setting(
        "procedural backdrops in one colour instead of a gradient (fewer tokens)", default=True
    )
    max_svg_tokens: int = setting("drop SFT records whose completion is longer than this many tokens", default=256)
