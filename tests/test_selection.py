"""Select, then judge: one function decides which SVG a completion stands for, under one raw-validity
rule; the scorer judges what it is given and selects nothing twice."""

import importlib

import pytest

from svg_agent.constraints import validate
from svg_agent.sanitize import FALLBACK_SVG, sanitize
from svg_agent.selection import RULES, Selection, raw_validity, select_svg
from svg_agent.svgset import NS

SVG = f'<svg {NS} viewBox="0 0 384 384"><rect width="384" height="384" fill="#1d5fd6"/><circle cx="192" cy="192" r="90" fill="#d62828"/></svg>'
STYLED = SVG.replace("<circle", '<circle style="opacity:1"')  # invalid as written, sanitizable

TEXTS = {
    "bare": SVG,
    "padded": "\n  " + SVG + "\n\n",
    "declaration": '<?xml version="1.0"?>\n' + SVG,
    "fenced": "Here it is:\n```svg\n" + SVG + "\n```",
    "truncated": SVG[: len(SVG) // 2],
    "styled": STYLED,
    "prose": "I cannot draw that.",
    "empty": "",
    "bytes": SVG.encode(),
    "two": SVG + SVG,
}


@pytest.mark.parametrize("name", list(TEXTS))
def test_raw_validity_is_one_rule_everywhere(name):
    text = TEXTS[name]
    expected = raw_validity(text)
    assert {select_svg(text, rule).raw_valid for rule in RULES} == {expected}
    assert sanitize(text).raw_valid == expected
    stripped = text.strip() if text else text
    assert expected == (bool(stripped) and validate(stripped).valid)


def test_raw_validity_examples():
    assert raw_validity(SVG) and raw_validity("  " + SVG + "\n") and raw_validity(SVG.encode())
    assert (
        not raw_validity(TEXTS["fenced"])
        and not raw_validity(STYLED)
        and not raw_validity("")
        and not raw_validity(None)
    )


def test_the_three_rules():
    fenced = TEXTS["fenced"]
    ex = select_svg(fenced, "extracted")
    assert ex.svg == SVG and ex.valid and not ex.raw_valid  # the SVG as written, chat text aside
    sub = select_svg(fenced, "submitted")
    assert sub.svg == fenced and not sub.valid and sub.error  # a submission is judged as it stands
    san = select_svg(STYLED, "sanitized")
    assert san.valid and validate(san.svg).valid and san.svg != STYLED and not san.fallback
    assert not select_svg(STYLED, "extracted").valid  # as written it breaks the rules
    none = select_svg("I cannot draw that.", "sanitized")
    assert none.fallback and not none.valid and none.svg == FALLBACK_SVG and none.error
    assert select_svg("no svg here", "extracted").svg == ""
    assert select_svg(TEXTS["two"], "extracted").svg == SVG  # the first one
    with pytest.raises(ValueError, match="rule must be"):
        select_svg(SVG, "best")


def test_submitted_text_keeps_every_character():
    bad = SVG.replace("<circle", "\x01<circle")
    assert not select_svg(bad, "submitted").valid  # a control character the competition would reject


@pytest.fixture()
def scorer(pool):
    from rewards.scorer import Scorer, ScorerConfig

    return Scorer(ScorerConfig(ocr_backend=None, judge=None), pool=pool)


def test_the_scorer_judges_selections_as_given(scorer, monkeypatch):
    import rewards.scorer as scorer_module

    sels = [select_svg(t, "sanitized") for t in (STYLED, "I cannot draw that.")]
    calls = []
    monkeypatch.setattr(scorer_module, "select_svg", lambda *a, **k: calls.append(a) or select_svg(*a, **k))
    recs = scorer.score(sels, ["a red circle on a blue background"] * 2)
    assert calls == []  # nothing selected again
    assert recs[0].svg == sels[0].svg and recs[0].valid and recs[0].reward > 0
    assert recs[1].fallback and not recs[1].valid and recs[1].reward == 0.0
    recs = scorer.score([STYLED], ["x"], rule="sanitized")
    assert len(calls) == 1 and recs[0].valid


@pytest.mark.parametrize("rule", RULES)
def test_the_scorer_follows_the_rule(scorer, rule):
    rec = scorer.score([TEXTS["fenced"]], ["a red circle on a blue background"], rule=rule)[0]
    assert rec.valid == select_svg(TEXTS["fenced"], rule).valid
    assert rec.raw_valid is False
    if rule == "submitted":
        assert rec.reward == 0.0 and rec.error


def test_generate_sanitizes_each_candidate_once(pool, monkeypatch):
    from test_generate import BLANK, GOOD, FakePolicy

    from rewards.scorer import Scorer, ScorerConfig
    from svg_agent.app.generate import GenerateConfig, Generator

    sanitize_module = importlib.import_module("svg_agent.sanitize")  # the package exports a function of that name
    calls = []
    real = sanitize_module.sanitize
    monkeypatch.setattr(sanitize_module, "sanitize", lambda *a, **k: calls.append(1) or real(*a, **k))
    scorer = Scorer(ScorerConfig(ocr_backend=None, validity="sanitized", judge=None), pool=pool)
    gen = Generator(GenerateConfig(n=4, batch_size=2, time_budget=30), policy=FakePolicy([BLANK, GOOD]), scorer=scorer)
    r = gen.generate("a red circle on a blue background")
    assert len(r.candidates) == 4 and not r.fallback
    assert len(calls) == 4  # one per candidate: the scorer judged the sanitized SVG it was handed
    assert isinstance(select_svg(GOOD, "sanitized"), Selection)


def test_extracted_is_exactly_what_was_written():
    """A character XML forbids, or bytes that are not UTF-8, make the SVG invalid, as in the competition."""
    control = SVG.replace("<circle", "<!-- \x01 --><circle")
    sel = select_svg("Here:\n" + control, "extracted")
    assert not sel.valid and "\x01" in sel.svg
    assert not select_svg(control.encode(), "submitted").valid
    not_utf8 = SVG.encode().replace(b"<circle", b"<!-- \xff --><circle")
    for rule in ("extracted", "submitted"):
        assert not select_svg(not_utf8, rule).valid, rule
    assert select_svg(SVG.encode(), "extracted").valid and select_svg(SVG.encode(), "submitted").valid


def test_raw_validity_strips_only_xml_whitespace():
    assert raw_validity(" \t\r\n" + SVG + "\n")
    assert not raw_validity("\xa0" + SVG)  # a no-break space before the root: the XML parser rejects it
    assert not select_svg("\xa0" + SVG, "submitted").valid
