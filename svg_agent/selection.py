"""Which SVG a completion stands for: decided once, by one rule, before anything judges it.

    from svg_agent.selection import select_svg
    sel = select_svg(model_text, "extracted")     # the first SVG, as written
    sel.svg, sel.valid, sel.raw_valid, sel.bytes

Rules:
    extracted   the first SVG in the text, exactly as written (chat text and fences around it
                aside): what the competition renders when the model's answer is submitted. It
                is judged only if it validates.
    sanitized   the sanitizer's best valid SVG from the text (the stock drawing when nothing
                usable is there, `fallback`): what `svg-agent generate` submits.
    submitted   the text itself is the SVG (a submission's file or CSV cell), judged as it stands.

Whatever the rule, `raw_valid` says one thing: the completion's text, surrounding whitespace
aside, is itself a valid SVG under the byte budget.
"""

from __future__ import annotations

from dataclasses import dataclass

from .constraints import MAX_SVG_BYTES, validate
from .extract import extract_candidates, to_text

RULES = ("extracted", "sanitized", "submitted")
_XML_SPACE = " \t\r\n"


@dataclass(frozen=True)
class Selection:
    """The SVG a completion stands for and what is known about it before it is judged."""

    svg: str  # the SVG to judge ("" when the text holds none)
    rule: str
    valid: bool  # `svg` passes the constraints (it still has to render)
    raw_valid: bool  # the completion text itself passes them
    bytes: int  # of `svg`
    fallback: bool = False  # sanitized rule: nothing usable was found, `svg` is the stock drawing
    error: str | None = None  # why `svg` is not valid


def raw_validity(text: str | bytes | None, max_bytes: int = MAX_SVG_BYTES, gateway: bool = False) -> bool:
    """The one raw-validity rule: the text, surrounding whitespace aside, is a valid SVG."""
    if not text:
        return False
    # XML's own whitespace only (str.strip would also take NBSP and the like, which XML rejects);
    # bytes stay bytes: validate decodes them, no character is dropped first
    stripped = _strip(text)
    return bool(stripped) and validate(stripped, max_bytes=max_bytes, gateway=gateway).valid


def _strip(text: str | bytes) -> str | bytes:
    return text.strip(_XML_SPACE if isinstance(text, str) else _XML_SPACE.encode())


def select_svg(text: str | bytes, rule: str = "extracted", max_bytes: int = MAX_SVG_BYTES) -> Selection:
    """The SVG that `text` stands for under `rule` (see the module docstring)."""
    if rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(RULES)}, not {rule!r}")
    if rule == "sanitized":
        from .sanitize import sanitize

        s = sanitize(text, max_bytes=max_bytes)  # its raw_valid is raw_validity(text)
        return Selection(
            s.svg,
            rule,
            not s.fallback,
            s.raw_valid,
            s.bytes,
            fallback=s.fallback,
            error="; ".join(s.notes) if s.fallback else None,
        )
    if rule == "submitted":
        verdict = validate(text, max_bytes=max_bytes)  # as it stands, bytes as bytes: nothing dropped or replaced
        svg = text if isinstance(text, str) else to_text(text)  # what is shown; judged only if the verdict holds
    else:
        written = text
        if isinstance(text, (bytes, bytearray)):
            try:
                written = bytes(text).decode("utf-8")
            except UnicodeDecodeError:
                written = None
        if written is None:  # not UTF-8: the competition's parser would reject it
            found = extract_candidates(text, limit=1)
            svg = found[0] if found else ""
            n = len(svg.encode("utf-8", "surrogatepass"))
            return Selection(svg, rule, False, raw_validity(text, max_bytes), n, error="the text is not valid UTF-8")
        found = extract_candidates(written, limit=1, clean=False)  # the first SVG exactly as written
        svg = found[0] if found else ""
        verdict = validate(svg, max_bytes=max_bytes)
    judged = text if rule == "submitted" else svg
    # the usual case, a completion that is its SVG and nothing else: that verdict is the raw one
    raw_valid = verdict.valid if judged and judged == _strip(text) else raw_validity(text, max_bytes)
    return Selection(
        svg, rule, verdict.valid, raw_valid, verdict.bytes, error=None if verdict.valid else verdict.summary
    )
