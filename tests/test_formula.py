import math

import pytest

from rewards.formula import SizeConfig, competition_score, harmonic_mean, ocr_penalty, reward_value, size_factor


def test_harmonic_mean_by_hand():
    # (1 + .25) * .8 * .5 / (.25 * .8 + .5) = .5 / .7
    assert harmonic_mean(0.8, 0.5, beta=0.5) == pytest.approx(0.5 / 0.7)
    assert harmonic_mean(0.6, 0.6, beta=0.5) == pytest.approx(0.6)
    assert harmonic_mean(0.0, 0.9) == 0.0 and harmonic_mean(0.9, -0.1) == 0.0
    # beta = 0.5 weighs the first value more: raising VQA helps more than raising aesthetic
    assert harmonic_mean(0.9, 0.5, 0.5) > harmonic_mean(0.5, 0.9, 0.5)


def test_ocr_penalty_curve():
    assert [ocr_penalty(n) for n in range(5)] == [1.0] * 5
    assert ocr_penalty(5) == pytest.approx(math.exp(-1)) and round(ocr_penalty(5), 2) == 0.37
    assert round(ocr_penalty(6), 2) == 0.14
    assert ocr_penalty(40) < 1e-15


def test_competition_score():
    assert competition_score(0.8, 0.5, 1.0) == pytest.approx(0.5 / 0.7)
    assert competition_score(0.8, 0.5, ocr_penalty(6)) == pytest.approx(0.5 / 0.7 * math.exp(-2))


def test_size_factor_is_smooth_and_monotone():
    c = SizeConfig()
    assert size_factor(100) == size_factor(6_000) == 1.0
    assert size_factor(8_000) == pytest.approx(1 - 0.5 * 0.25)
    assert size_factor(10_000) == pytest.approx(0.5)
    assert size_factor(12_500) == pytest.approx(0.5 * math.exp(-1))
    values = [size_factor(b, c) for b in range(0, 20_000, 50)]
    assert all(x >= y for x, y in zip(values, values[1:]))
    # continuous at both joins
    assert abs(size_factor(6_001) - 1) < 1e-6 and abs(size_factor(10_001) - 0.5) < 1e-3
    with pytest.raises(ValueError):
        SizeConfig(soft_start=20_000)


def test_invalid_svg_earns_nothing():
    assert reward_value(0.9, valid=False, n_bytes=500) == 0.0
    assert reward_value(0.9, valid=True, n_bytes=500) == 0.9
    assert reward_value(0.9, valid=True, n_bytes=10_000) == pytest.approx(0.45)
