import json

import pytest
from reference_scorer import scorer_accepts

from svg_agent.constraints import GATEWAY_ELEMENTS, validate
from svg_agent.svgset import BILLION_LAUGHS, EXTERNAL_DTD, EXTERNAL_HREF, NS, XXE, random_scene

OK = f'<svg {NS} viewBox="0 0 384 384"><rect width="384" height="384" fill="#fff"/><circle cx="9" cy="9" r="5"/></svg>'


def kinds(result):
    return sorted(v.kind for v in result.errors)


def test_valid_drawing():
    r = validate(OK)
    assert r.valid and r.errors == () and r.bytes == len(OK)


@pytest.mark.parametrize(
    "svg, kind",
    [
        (f"<svg {NS}><text>hi</text></svg>", "element"),
        (f"<svg {NS}><script>alert(1)</script></svg>", "element"),
        (f'<svg {NS}><rect width="1" height="1" style="fill:red"/></svg>', "attribute"),
        (f'<svg {NS}><rect width="1" height="1" onclick="x()"/></svg>', "attribute"),
        (f'<svg {NS}><rect width="1" height="1" fill="url(DATA:image/png,AAAA)"/></svg>', "data-uri"),
        (f'<svg {NS}><rect width="1" height="1" fill="x;base64,AAAA"/></svg>', "base64"),
        (f'<svg {NS}><use href="http://example.com/a.svg#x"/></svg>', "href"),
        (f'<svg {NS}><clipPath id="c"><rect width="1" height="1"/></clipPath></svg>', "element"),
        ("<svg><rect></svg>", "parse"),
        (BILLION_LAUGHS, "parse"),
        (XXE, "parse"),
        (EXTERNAL_DTD, "parse"),
    ],
)
def test_single_violation_kinds(svg, kind):
    r = validate(svg)
    assert not r.valid
    assert kind in kinds(r)
    assert scorer_accepts(svg) is False


def test_every_violation_is_listed_with_element_and_attribute():
    svg = (
        f'<svg {NS}><text x="1">a</text><rect width="1" height="1" style="fill:red" onload="x"/>'
        '<use href="https://x.org/y"/><circle r="1" fill="url(data:x)"/></svg>'
    )
    r = validate(svg)
    found = {(v.kind, v.element, v.attribute) for v in r.errors}
    assert ("element", "text", None) in found
    assert ("attribute", "rect", "style") in found
    assert ("attribute", "rect", "onload") in found
    assert ("href", "use", "href") in found
    assert ("data-uri", "circle", "fill") in found
    assert len(r.errors) == 5


def test_size_boundary_with_multibyte_characters():
    head = f'<svg {NS}><rect width="1" height="1"/></svg>'
    # 'é' is 2 bytes in UTF-8: the limit counts bytes, not characters.
    pad = 10_000 - len(head.encode()) - len("<!---->")
    at_limit = head.replace("</svg>", "<!--" + "é" * (pad // 2) + "x" * (pad % 2) + "--></svg>")
    assert len(at_limit.encode("utf-8")) == 10_000
    assert len(at_limit) < 10_000  # characters undercount
    assert validate(at_limit).valid and scorer_accepts(at_limit)
    over = at_limit.replace("x-->", "xé-->") if pad % 2 else at_limit.replace("é-->", "éx-->")
    assert len(over.encode("utf-8")) in (10_001, 10_002)
    r = validate(over)
    assert not r.valid and kinds(r) == ["size"]
    assert scorer_accepts(over) is False


def test_xlink_href_prefix_is_stripped():
    internal = f'<svg {NS} xmlns:xlink="http://www.w3.org/1999/xlink"><defs><circle id="c" r="3"/></defs><use xlink:href="#c"/></svg>'
    assert validate(internal).valid
    r = validate(EXTERNAL_HREF)
    assert not r.valid and kinds(r) == ["href", "href"]


def test_cdata_comments_and_processing_instructions_are_ignored_like_the_scorer():
    svg = f'<?xml version="1.0"?><!-- c --><svg {NS}><?pi x?><!-- in --><g><![CDATA[ text ]]></g></svg>'
    assert validate(svg).valid == scorer_accepts(svg) is True


def test_non_utf8_bytes_nul_and_lone_surrogates():
    assert validate(OK.encode("latin-1") + b"\xff").errors[0].kind == "encoding"
    r = validate(OK.replace("<circle", "\x00<circle"))
    assert not r.valid and kinds(r) == ["parse"]
    r = validate(OK.replace("#fff", "\ud800"))
    assert not r.valid and r.errors[0].kind == "encoding"
    assert validate(OK.encode("utf-8")).valid


def test_encoding_declaration_other_than_utf8_is_refused():
    svg = f'<?xml version="1.0" encoding="UTF-16"?><svg {NS}><rect width="1" height="1"/></svg>'
    assert not validate(svg).valid and not scorer_accepts(svg)


def test_gateway_allowlist_is_an_option():
    svg = f'<svg {NS}><filter id="f"><feGaussianBlur stdDeviation="2"/></filter><rect width="5" height="5" filter="url(#f)"/></svg>'
    assert not validate(svg).valid
    assert validate(svg, gateway=True).valid
    assert scorer_accepts(svg, GATEWAY_ELEMENTS)


def test_scorer_quirk_common_element_is_accepted():
    svg = f'<svg {NS}><common fill="red"/></svg>'
    assert validate(svg).valid == scorer_accepts(svg) is True


def test_verdict_agrees_with_reference_on_varied_inputs():
    cases = [random_scene(s, 30) for s in range(10)]
    cases += [c.replace("<rect", "<rect style='x:y'", 1) for c in cases[:3]]
    cases += [c.replace("<circle", "<image", 1).replace("</svg>", "</svg>") for c in cases[3:6]]
    cases += [c * 3 for c in cases[:2]]
    for c in cases:
        assert validate(c).valid == scorer_accepts(c), c[:200]


def test_to_dict_is_json():
    d = validate(f"<svg {NS}><text/></svg>").to_dict()
    assert json.loads(json.dumps(d))["errors"][0]["element"] == "text"
