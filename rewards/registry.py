"""Reward callables for TRL, built by name; all of one step share one scoring pass.

    from rewards.registry import build_rewards
    reward_funcs = build_rewards(["reward", "validity", "size", "ocr", "standin_faithfulness"])
    GRPOTrainer(..., reward_funcs=reward_funcs, args=GRPOConfig(reward_weights=[1, 0, 0, 0, 0]))

Each callable has TRL's signature `(prompts, completions, **dataset_columns) -> list[float | None]`
and a `__name__` for the logs. TRL calls each reward separately; the first call of a step scores
every completion (sanitize, one render with defenses, every term) and the others read the cached
records, so a completion is rendered once however many terms are logged. Dataset columns used:
`description` (else the prompt text), optional `questions` and `seed`.
"""

from __future__ import annotations

import json
from collections import OrderedDict

from svg_agent.errors import ConfigError

from .judge import KINDS
from .scorer import Scorer, ScorerConfig, ScoreRecord

GETTERS = {
    "reward": lambda r: r.reward,  # the combined reward: formula x size, 0 when invalid, None when unknown
    "validity": lambda r: 1.0 if r.valid else 0.0,
    "raw_validity": lambda r: 1.0 if r.raw_valid else 0.0,
    "size": lambda r: r.size_factor,
    "ocr": lambda r: r.ocr,
    "hidden_text": lambda r: -1.0 if r.hidden_text else 0.0,
    "standin_faithfulness": lambda r: r.standin_faithfulness,
    "standin_quality": lambda r: r.standin_quality,
    "bytes": lambda r: float(r.bytes),  # for the logs (weight 0): bytes of the SVG judged
    "aesthetic": lambda r: r.aesthetic,
    "vqa": lambda r: r.vqa,
    # The offline judge (a stand-in for PaliGemma): chance-corrected answers (the offline VQA
    # term), the plain mean P(correct), and the answers by kind of question, for the logs.
    "judge_faithfulness": lambda r: r.judge_faithfulness,
    "judge_vqa": lambda r: r.judge_vqa,
    **{f"judge_{k}": (lambda r, _k=f"judge_{k}": r.components.get(_k)) for k in KINDS},
}


def _text(completion) -> str:
    """A completion as TRL passes it: a string, or chat messages (the last one's content)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        return str(completion[-1].get("content", ""))
    return str(completion)


class RewardContext:
    """Scores each (completion, description) once and keeps the records for the other terms."""

    def __init__(self, scorer: Scorer, cache_items: int = 4096, to_svg=None):
        self.scorer = scorer
        self.to_svg = to_svg
        self.cache_items = cache_items
        self._cache: OrderedDict[tuple, ScoreRecord] = OrderedDict()
        self.passes = 0  # scoring passes run (for tests and logs)

    def records(self, prompts, completions, **columns) -> list[ScoreRecord]:
        texts = [_text(c) for c in completions]
        if self.to_svg is not None:
            texts = [self.to_svg(t) for t in texts]
        descriptions = columns.get("description") or [_text(p) for p in (prompts or [""] * len(texts))]
        questions = columns.get("questions") or [None] * len(texts)
        questions = [json.loads(q) if isinstance(q, str) else q for q in questions]  # JSON text in Arrow datasets
        seeds = columns.get("seed")
        keys = [(t, d, None if seeds is None else seeds[i]) for i, (t, d) in enumerate(zip(texts, descriptions))]
        todo = [i for i, k in enumerate(keys) if k not in self._cache]
        if todo:
            self.passes += 1
            recs = self.scorer.score(
                [texts[i] for i in todo],
                [descriptions[i] for i in todo],
                seeds=None if seeds is None else [seeds[i] for i in todo],
                questions=[questions[i] for i in todo],
            )
            for i, rec in zip(todo, recs):
                self._cache[keys[i]] = rec
            while len(self._cache) > self.cache_items:
                self._cache.popitem(last=False)
        return [self._cache[k] for k in keys]


ALWAYS = {"validity", "raw_validity", "size", "bytes", "hidden_text"}  # defined for invalid SVGs too


def _value(name: str, getter, record: ScoreRecord):
    """The term's value; an invalid SVG scores 0 on every image term, as it scores 0 in the metric."""
    if not record.valid and name not in ALWAYS:
        return 0.0
    return getter(record)


def build_rewards(
    names: list[str], config: ScorerConfig | None = None, scorer: Scorer | None = None, to_svg=None
) -> list:
    """Build only the named reward callables, sharing one scorer and one record cache.

    Args:
        names: any of GETTERS' keys.
        config: the scorer's settings (ignored when `scorer` is given).
        scorer: an existing Scorer to share.
        to_svg: maps a completion's text to the SVG text it stands for (a base model's prompt opens
            the root tag, so its completions need it back); default: the text as is.

    Returns:
        Callables in the order of `names`.
    """
    unknown = [n for n in names if n not in GETTERS]
    if unknown:
        raise ConfigError(f"unknown reward {unknown[0]!r}; choose from {', '.join(GETTERS)}")
    ctx = RewardContext(scorer or Scorer(config), to_svg=to_svg)
    funcs = []
    for name in names:
        getter = GETTERS[name]

        def reward(prompts=None, completions=None, _getter=getter, _name=name, **columns):
            return [_value(_name, _getter, r) for r in ctx.records(prompts, completions, **columns)]

        reward.__name__ = name
        reward.context = ctx
        funcs.append(reward)
    return funcs
