"""Turn `<style>` rules and `style="..."` declarations into presentation attributes.

The scorer forbids both `style` and `<style>`, but models write them often; moving simple rules
(`tag`, `.class`, `#id`, `tag.class`, `*`, comma lists) onto the elements keeps the drawing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_COMMENT_RE = re.compile(r"/\*.*?\*/", re.S)
_RULE_RE = re.compile(r"([^{}@]+)\{([^{}]*)\}")
_SELECTOR_RE = re.compile(r"^(?P<tag>[A-Za-z][\w-]*|\*)?(?:#(?P<id>[\w-]+))?(?P<cls>(?:\.[\w-]+)*)$")


@dataclass(frozen=True)
class Rule:
    tag: str | None
    id: str | None
    classes: frozenset[str]
    specificity: tuple[int, int, int, int]  # (ids, classes, tags, source order)
    declarations: tuple[tuple[str, str], ...]


def parse_declarations(text: str) -> list[tuple[str, str]]:
    """'fill: red; stroke:blue !important' -> [('fill', 'red'), ('stroke', 'blue')]."""
    out = []
    for decl in _COMMENT_RE.sub("", text or "").split(";"):
        if ":" not in decl:
            continue
        name, value = decl.split(":", 1)
        name = name.strip().lower()
        value = re.sub(r"!\s*important\s*$", "", value.strip(), flags=re.I).strip()
        if name and value:
            out.append((name, value))
    return out


def parse_stylesheet(text: str) -> list[Rule]:
    """The simple-selector rules of a stylesheet; rules it cannot apply are skipped."""
    rules: list[Rule] = []
    for order, m in enumerate(_RULE_RE.finditer(_COMMENT_RE.sub("", text or ""))):
        decls = tuple(parse_declarations(m.group(2)))
        if not decls:
            continue
        for sel in m.group(1).split(","):
            s = _SELECTOR_RE.match(sel.strip())
            if not s or not sel.strip():
                continue
            tag = s.group("tag") if s.group("tag") not in (None, "*") else None
            classes = frozenset(c for c in s.group("cls").split(".") if c)
            spec = (1 if s.group("id") else 0, len(classes), 1 if tag else 0, order)
            rules.append(Rule(tag, s.group("id"), classes, spec, decls))
    rules.sort(key=lambda r: r.specificity)
    return rules


def apply_styles(tag: str, attrs: dict[str, str], rules: list[Rule]) -> dict[str, str]:
    """Attributes after stylesheet rules and the inline `style` (which win, as in CSS).

    Returns a new dict without `style` and `class`.
    """
    out = {k: v for k, v in attrs.items() if k not in ("style", "class")}
    if rules:
        classes = set((attrs.get("class") or "").split())
        ident = attrs.get("id")
        for rule in rules:
            if rule.tag and rule.tag != tag:
                continue
            if rule.id and rule.id != ident:
                continue
            if not rule.classes <= classes:
                continue
            out.update(rule.declarations)
    if "style" in attrs:
        out.update(parse_declarations(attrs["style"]))
    return out
