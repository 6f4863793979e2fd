"""The competition's score arithmetic, and the size and validity terms of our reward.

    score  = harmonic(vqa, aesthetic, beta=0.5) * ocr                  (the competition)
    reward = score * size_factor, and 0 for an SVG that does not validate  (training)

Pure functions, no models: every scorer and report uses these, so what training optimises and
what evaluation reports cannot drift apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

BUDGET = 10_000


def harmonic_mean(a: float, b: float, beta: float = 1.0) -> float:
    """The metric's weighted harmonic mean: 0 when either value is <= 0.

    With beta = 0.5 the first value (VQA) weighs about twice the second (aesthetic).
    """
    if a <= 0 or b <= 0:
        return 0.0
    return (1 + beta**2) * (a * b) / (beta**2 * a + b)


def ocr_penalty(n_chars: int, free_chars: int = 4) -> float:
    """`min(1, exp(free_chars - n_chars))`: 4 characters are free, 5 give 0.37, 6 give 0.14."""
    return min(1.0, math.exp(free_chars - n_chars))


def competition_score(vqa: float, aesthetic: float, ocr: float) -> float:
    """One description's score exactly as the metric computes it."""
    return harmonic_mean(vqa, aesthetic, beta=0.5) * ocr


@dataclass(frozen=True)
class SizeConfig:
    """How the reward treats size.

    Args:
        budget: the hard limit in bytes (the competition's 10,000).
        soft_start: below this many bytes there is no penalty.
        at_budget: the factor reached exactly at the budget.
        overshoot_scale: past the budget (only reachable when the reward scores sanitized output
            of an over-long raw SVG) the factor decays as exp(-excess / overshoot_scale).
    """

    budget: int = BUDGET
    soft_start: int = 6_000
    at_budget: float = 0.5
    overshoot_scale: int = 2_500

    def __post_init__(self):
        if not 0 < self.soft_start <= self.budget:
            raise ValueError("soft_start must be in (0, budget]")
        if not 0 <= self.at_budget <= 1:
            raise ValueError("at_budget must be in [0, 1]")


def size_factor(n_bytes: int, config: SizeConfig = SizeConfig()) -> float:
    """1 up to `soft_start`, then a smooth (quadratic) fall to `at_budget` at the budget, then
    an exponential decay: continuous and non-increasing, so smaller is never worse."""
    c = config
    if n_bytes <= c.soft_start:
        return 1.0
    if n_bytes <= c.budget:
        t = (n_bytes - c.soft_start) / max(1, c.budget - c.soft_start)
        return 1.0 - (1.0 - c.at_budget) * t * t
    return c.at_budget * math.exp(-(n_bytes - c.budget) / c.overshoot_scale)


def reward_value(score: float, *, valid: bool, n_bytes: int, config: SizeConfig = SizeConfig()) -> float:
    """The training reward of one completion: 0 when its SVG does not validate."""
    if not valid:
        return 0.0
    return score * size_factor(n_bytes, config)
