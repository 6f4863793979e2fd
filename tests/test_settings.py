"""The setting groups: one declaration per field, one reading of "none", TRL settings passed through."""

import dataclasses
import json
from pathlib import Path

import pytest

from svg_agent.errors import ConfigError
from svg_agent.settings import DataSettings, PolicySettings, RewardSettings, Settings, none_word


def _configs():
    from eval.benchmark import BenchmarkConfig
    from svg_agent.app.generate import GenerateConfig
    from svg_agent.app.policy import PolicySpec
    from svg_agent.app.train import TrainConfig

    return {"train": TrainConfig, "generate": GenerateConfig, "benchmark": BenchmarkConfig, "policy": PolicySpec}


GROUPS = {
    "train": (PolicySettings, RewardSettings, DataSettings),
    "generate": (PolicySettings, RewardSettings),
    "benchmark": (RewardSettings,),
    "policy": (PolicySettings,),
}


def _build(name, cls, **kw):
    if name == "benchmark":
        kw.setdefault("systems", [{"kind": "procedural"}])
    return cls(**kw)


@pytest.mark.parametrize("name", list(GROUPS))
def test_every_config_holds_its_groups_with_one_declaration(name):
    cls = _configs()[name]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for group in GROUPS[name]:
        assert issubclass(cls, group)
        for f in dataclasses.fields(group):
            assert f.name in fields, f"{cls.__name__} lacks {group.__name__}.{f.name}"
            assert fields[f.name].metadata.get("help"), f"{cls.__name__}.{f.name} has no help text"


@pytest.mark.parametrize("name", list(GROUPS))
@pytest.mark.parametrize("word", ["none", "None", "null", ""])
def test_none_words_mean_unset_for_every_optional_field(name, word):
    from svg_agent.app.train import parse_train_args

    parse_train_args([])  # the parser has rewritten the shared fields' types, as in any run
    cls = _configs()[name]
    # from the annotations: transformers' argument parser rewrites Field.type in place
    optional = sorted(cls.optional_fields() - {"sft", "grpo"})
    assert {"clip", "vqa", "judge"} <= set(optional) or name == "policy"
    assert "adapter" in optional or name == "benchmark"
    obj = _build(name, cls, **{k: word for k in optional})
    for k in optional:
        assert getattr(obj, k) is None, f"{cls.__name__}.{k}={word!r} was kept"


def test_none_is_read_after_the_training_parser_has_run():
    """transformers' argument parser rewrites the fields' types in place; the groups are shared."""
    from eval.benchmark import BenchmarkConfig
    from svg_agent.app.generate import GenerateConfig
    from svg_agent.app.train import parse_train_args

    cfg = parse_train_args(["--vqa", "none", "--clip", "null"])
    assert cfg.vqa is None and cfg.clip is None
    assert GenerateConfig(judge="none").judge is None
    assert BenchmarkConfig(vqa="none", systems=[{"kind": "procedural"}]).vqa is None


def test_a_non_optional_field_keeps_the_word():
    from svg_agent.app.train import TrainConfig

    cfg = TrainConfig(report_to=["none"], model="none-such")  # TRL's own "none", and a name
    assert cfg.report_to == ["none"] and cfg.model == "none-such"
    assert none_word("nonexistent") == "nonexistent" and none_word(" NULL ") is None


def test_benchmark_config_with_models_set_to_none_scores_offline(tmp_path):
    """`clip: none` and `vqa: none`, as the GPU recipe tells users to write, mean the stand-ins."""
    from eval.benchmark import load_config
    from rewards.scorer import Scorer, scorer_config

    path = tmp_path / "b.yaml"
    path.write_text("clip: none\nvqa: none\njudge: none\nocr_backend: none\nsystems:\n  - kind: procedural\n")
    cfg = load_config(path)
    sc = scorer_config(cfg)
    assert (sc.aesthetic, sc.vqa, sc.judge, sc.ocr_backend) == (None, None, None, None)
    scorer = Scorer(sc)
    assert scorer.aesthetic_model is None and scorer.vqa_model is None


def test_scorer_config_reads_any_object_with_the_reward_fields():
    from rewards.scorer import scorer_config

    class Args:  # an argparse namespace, say
        ocr_backend, clip, clip_model, vqa, vqa_4bit, judge = "tesseract", "none", "ViT-B-32", "null", False, "auto"

    sc = scorer_config(Args(), validity="sanitized")
    assert (sc.ocr_backend, sc.aesthetic, sc.clip_model, sc.vqa, sc.judge, sc.validity) == (
        "tesseract",
        None,
        "ViT-B-32",
        None,
        "auto",
        "sanitized",
    )


def test_group_pick_and_of():
    from svg_agent.app.policy import PolicySpec
    from svg_agent.app.train import TrainConfig

    cfg = TrainConfig(model="m", dtype="bfloat16", prompt_format="base", vqa="google/paligemma2-3b-mix-224")
    assert PolicySettings.pick(cfg) == {
        "model": "m",
        "adapter": None,
        "prompt_format": "base",
        "dtype": "bfloat16",
        "load_in_4bit": False,
        "attn_implementation": None,
    }
    assert RewardSettings.pick(cfg)["vqa"] == "google/paligemma2-3b-mix-224"
    spec = PolicySpec.of(cfg, device="cpu")
    assert (spec.model, spec.dtype, spec.prompt_format, spec.device) == ("m", "bfloat16", "base", "cpu")
    assert RewardSettings.pick({"vqa": "x", "lora_r": 4}) == {"vqa": "x"}
    assert issubclass(RewardSettings, Settings)


def test_generate_config_from_a_training_run_takes_its_policy_and_reward(tmp_path):
    import yaml

    from svg_agent.app.generate import load_generate_config
    from svg_agent.app.train import TrainConfig

    run = tmp_path / "run"
    (run / "adapter").mkdir(parents=True)
    tc = TrainConfig(
        model="gemma3-270m-offline",
        prompt_format="base",
        ocr_backend="tesseract",
        judge="none",
        adapter="some/other/start",
    )
    (run / "train_config.yaml").write_text(yaml.safe_dump(dataclasses.asdict(tc)))
    g = load_generate_config(None, {"n": 2}, adapter=str(run))
    assert (g.model, g.prompt_format, g.ocr_backend, g.judge, g.n) == (
        "gemma3-270m-offline",
        "base",
        "tesseract",
        None,
        2,
    )
    assert g.adapter == str(run)  # the run's own adapter, not the one it started from


# ---------------------------------------------------------------- TRL pass-through


def _train_cfg(**kw):
    from svg_agent.app.train import TrainConfig

    return TrainConfig(**kw)


def test_sft_mapping_reaches_the_trl_config(tmp_path):
    from trl import SFTConfig

    from svg_agent.app.train import _sft_kwargs, _trl_kwargs

    cfg = _train_cfg(
        sft={"max_grad_norm": 0.25, "lr_scheduler_type": "linear"},
        sft_max_steps=40,
        sft_warmup_ratio=0.05,
        output_dir=str(tmp_path),
    )
    args = SFTConfig(**_trl_kwargs(SFTConfig, "sft", cfg, _sft_kwargs(cfg, tmp_path / "sft", SFTConfig)))
    assert args.max_grad_norm == 0.25
    assert args.lr_scheduler_type == "linear"  # the project's choice (cosine) is overridable
    assert args.max_steps == 40 and args.learning_rate == cfg.sft_learning_rate
    assert args.warmup_steps == 2  # 5 percent of 40 steps, as a step count under any transformers version


def test_grpo_mapping_reaches_the_trl_config(tmp_path):
    from trl import GRPOConfig

    from svg_agent.app.train import _rl_kwargs, _trl_kwargs

    cfg = _train_cfg(grpo={"mask_truncated_completions": True}, output_dir=str(tmp_path))
    args = GRPOConfig(**_trl_kwargs(GRPOConfig, "grpo", cfg, _rl_kwargs(cfg, tmp_path / "grpo")))
    assert args.mask_truncated_completions is True
    assert args.num_generations == cfg.grpo_num_generations


@pytest.mark.parametrize(
    "mapping, message",
    [
        ({"max_grad_nrm": 1.0}, "has no setting 'max_grad_nrm'"),
        ({"learning_rate": 1e-3}, "set by the field sft_learning_rate"),
        ({"warmup_steps": 3}, "set by the field sft_warmup_ratio"),
        ({"output_dir": "/elsewhere"}, "chosen by the run"),
    ],
)
def test_bad_sft_keys_are_errors_before_any_model_loads(mapping, message):
    from svg_agent.app.train import check_trl_settings

    with pytest.raises(ConfigError, match=message):
        check_trl_settings(_train_cfg(sft=mapping))


def test_sft_and_grpo_from_yaml_and_command_line(tmp_path):
    from svg_agent.app.train import parse_train_args

    path = tmp_path / "c.yaml"
    path.write_text("sft:\n  max_grad_norm: 0.5\ngrpo:\n  mask_truncated_completions: true\n")
    cfg = parse_train_args(["--config", str(path)])
    assert cfg.sft == {"max_grad_norm": 0.5} and cfg.grpo == {"mask_truncated_completions": True}
    cfg = parse_train_args(["--config", str(path), "--sft", json.dumps({"max_grad_norm": 0.1})])
    assert cfg.sft == {"max_grad_norm": 0.1}
    with pytest.raises(ConfigError, match="JSON mapping"):
        parse_train_args(["--sft", "max_grad_norm=0.1"])
    path.write_text("sft: [1, 2]\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        parse_train_args(["--config", str(path)])


def test_warmup_ratio_is_a_fraction():
    with pytest.raises(ConfigError, match="between 0 and 1"):
        _train_cfg(sft_warmup_ratio=5)


def test_shipped_recipes_still_parse():
    from svg_agent.app.train import parse_train_args

    recipes = sorted((Path(__file__).resolve().parents[1] / "configs" / "train").glob("*.yaml"))
    assert len(recipes) >= 4
    for path in recipes:
        cfg = parse_train_args(["--config", str(path)])
        assert cfg.sft == {} and cfg.grpo == {}, path


def test_optional_numbers_take_none_on_the_command_line():
    from svg_agent.app.train import parse_train_args

    assert parse_train_args(["--lora_layers", "none"]).lora_layers is None
    assert parse_train_args(["--lora_layers", "3"]).lora_layers == 3
    with pytest.raises(ConfigError, match="whole number"):
        parse_train_args(["--lora_layers", "three"])


def test_a_grpo_only_key_under_rloo_says_rloo_lacks_it():
    from svg_agent.app.train import check_trl_settings

    with pytest.raises(ConfigError, match="RLOOConfig has no setting 'loss_type'"):
        check_trl_settings(_train_cfg(grpo_algorithm="rloo", grpo={"loss_type": "dr_grpo"}))
