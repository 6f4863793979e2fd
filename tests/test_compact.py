import numpy as np
import pytest

from svg_agent.compact import fmt, format_path, format_transform, join_numbers, parse_path, shortest_color


@pytest.mark.parametrize(
    "x, p, out",
    [
        (0.5, 2, ".5"),
        (-0.5, 2, "-.5"),
        (10.0, 2, "10"),
        (1.23456, 2, "1.23"),
        (-0.001, 2, "0"),
        (1e9, 0, "1000000"),
        (float("nan"), 1, "0"),
    ],
)
def test_fmt(x, p, out):
    assert fmt(x, p) == out


def test_join_numbers_uses_minus_and_dot_as_separators():
    assert join_numbers(["1", "-2", ".5", ".5", "3"]) == "1-2 .5.5 3"


def _points(d):
    segs = parse_path(d)
    return np.array([v for _, a in segs for v in a], dtype=float)


@pytest.mark.parametrize(
    "d",
    [
        "M10 10 L20 10 L20 20 Z",
        "m10,10 l5,5 5,5 h10 v-3 c1,2,3,4,5,6 s1,1,2,2 q1 1 2 2 t3 3 z m5 5 l1 1",
        "M 0.5 0.5 L 1.5 -0.5 100 2",
        "M10 10 A 30 20 15 1 0 50 60 a5 5 0 0 1 10 10",
        "M1e2 1e1 L-5e-1 3",
    ],
)
def test_path_round_trip_keeps_geometry(d):
    segs = parse_path(d)
    for precision in (3, 1, 0):
        again = parse_path(format_path(segs, precision))
        assert [c for c, _ in again] == [c for c, _ in segs]
        assert np.abs(_points(format_path(segs, precision)) - _points(d)).max() <= 0.5 * 10**-precision + 1e-9


def test_path_output_is_shorter_and_stops_at_junk():
    d = "M 10.000 10.000 L 20.000 10.000 L 20.000 20.000 L 10.000 20.000 Z"
    assert format_path(parse_path(d), 2) == "m10 10h10v10H10z"
    assert [c for c, _ in parse_path("M0 0 L10 10 L 20 x 30 L 5 5")] == ["M", "L"]
    assert parse_path("L 10 10") == []  # no current point: nothing to draw
    assert parse_path("M0 0 A 5 5 0 011 10 10") == [("M", [0.0, 0.0]), ("A", [5.0, 5.0, 0.0, 0.0, 1.0, 1.0, 10.0])]


def test_shortest_color_and_transform():
    assert shortest_color("#FFFFFF") == "#fff"
    assert shortest_color("rgb(255, 0, 0)") == "red"
    assert shortest_color("#123456") == "#123456"
    assert shortest_color("url(#g)") == "url(#g)"
    assert format_transform("translate(0,0) rotate(45.55 10 10) scale(0.5)", 0) == "rotate(45.5 10 10)scale(.5)"
