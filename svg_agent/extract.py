"""Find the SVG documents in raw model output: chat text, markdown fences, prose, run-ons."""

from __future__ import annotations

import re

_OPEN_RE = re.compile(r"<svg(?=[\s>/])", re.I)
_CLOSE_RE = re.compile(r"</svg\s*>", re.I)
# Characters XML 1.0 forbids; NULs and other control bytes from a broken decode.
_BAD_CHARS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def to_text(raw: str | bytes) -> str:
    """Decode bytes leniently (bad bytes become U+FFFD) and drop characters XML forbids."""
    if isinstance(raw, (bytes, bytearray)):
        raw = bytes(raw).decode("utf-8", errors="replace")
    return _BAD_CHARS_RE.sub("", raw)


def extract_candidates(raw: str | bytes, limit: int = 8, clean: bool = True) -> list[str]:
    """Return the SVG documents found in `raw`, in order, at most `limit` of them.

    Each candidate runs from an `<svg` tag to its matching `</svg>` (nested <svg> elements are
    counted), or to the end of the text when the output was cut off. Text before the first tag
    (prose, fences, an XML declaration or DOCTYPE) and after the closing tag is dropped.
    `clean`: first drop the characters XML forbids (`to_text`); without it, a `str` is sliced as
    it is (bytes are still decoded), so a candidate holds exactly what was written.
    """
    text = to_text(raw) if clean or not isinstance(raw, str) else raw
    out: list[str] = []
    pos = 0
    while len(out) < limit:
        m = _OPEN_RE.search(text, pos)
        if not m:
            break
        start, depth, i = m.start(), 0, m.start()
        end = len(text)
        while True:
            o = _OPEN_RE.search(text, i)
            c = _CLOSE_RE.search(text, i)
            if c is None:
                break  # truncated output: take everything to the end
            if o is not None and o.start() < c.start():
                depth += 1
                i = o.end()
                continue
            depth -= 1
            i = c.end()
            if depth <= 0:
                end = c.end()
                break
        out.append(text[start:end])
        pos = end
    return out
