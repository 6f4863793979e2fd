"""The SVG output vocabulary: the tokens a policy may write when it is trained with `output_vocab: svg`.

An SVG under the competition's allowlist is made of digits, punctuation, whitespace, element and
attribute names, a few keywords (transform functions, units, line caps, `none`), hex and CSS
colour names. Of Gemma's 262,144 tokens, a few thousand are made only of those; the rest are
words and scripts no drawing needs. A policy restricted to them:

- trains and samples several times faster on a CPU (the LM head and its softmax run over the
  subset; see `svg_agent.app.fastpath`);
- cannot write prose (a refusal, an explanation, the description's words as text), so every
  completion is markup.

The policy is then softmax over the subset, in training and in use alike: the token ids are saved
beside the adapter (`output_vocab.json`), every loader of that adapter restricts generation to
them (`Policy`), and a test checks that generation never leaves the set.

A token is in the set when its text (SentencePiece's `▁` read as a space) has only ASCII digits,
punctuation and whitespace, and letter runs that are hex digits, path commands or parts of the SVG
words below.
The tokens of the training completions themselves (end of sequence included) are always added.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import InputError

FILENAME = "output_vocab.json"

_KEYWORDS = (
    "svg xmlns http www w3 org xlink href url none currentColor inherit transparent "
    "translate rotate scale matrix skewX skewY round butt square miter bevel nonzero evenodd "
    "userSpaceOnUse objectBoundingBox pad reflect repeat rgb rgba hsl hsla px em pt deg "
    "normal multiply screen overlay darken lighten SourceGraphic SourceAlpha auto strokeWidth "
    "M L H V C S Q T A Z"
)
_ALLOWED_CHARS = re.compile(r"^[0-9A-Za-z\s#.,;:=<>/\"'()%\-_+*!?\[\]{}|&@~^$`\\]+$")
_LETTERS = re.compile(r"[A-Za-z]+")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_BYTE = re.compile(r"^<0x[0-9A-Fa-f]{2}>$")
_PATH = re.compile(r"^[MLHVCSQTAZmlhvcsqtaz]+$")  # path commands side by side ("ZM", "lc")


def svg_words() -> set[str]:
    """Lower-cased names an SVG may contain: the allowlist's elements and attributes, keywords, CSS colours."""
    from PIL import ImageColor

    from ..constraints import GATEWAY_ELEMENTS

    words = set(GATEWAY_ELEMENTS) | {a for attrs in GATEWAY_ELEMENTS.values() for a in attrs}
    words |= set(_KEYWORDS.split()) | set(ImageColor.colormap)
    out = set()
    for w in words:
        out.add(w.lower())
        out.update(part.lower() for part in re.split(r"[-:]", w) if part)
    return out


def _letters_ok(run: str, words: set[str]) -> bool:
    low = run.lower()
    return bool(_HEX.match(run) or _PATH.match(run)) or any(low in w for w in words)


def is_svg_token(text: str, words: set[str] | None = None) -> bool:
    """Whether a token's text belongs in SVG markup (see the module docstring)."""
    words = svg_words() if words is None else words
    text = text.replace("\u2581", " ")
    if not text or _BYTE.match(text) or not _ALLOWED_CHARS.match(text):
        return False
    return all(_letters_ok(run, words) for run in _LETTERS.findall(text))


def build_vocab(tokenizer, completions: list[list[int]] | None = None) -> list[int]:
    """The SVG token ids of `tokenizer`, plus every id in `completions` and the end-of-sequence id."""
    words = svg_words()
    special = set(getattr(tokenizer, "all_special_ids", []) or [])
    tokens = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    ids = {i for i, t in enumerate(tokens) if t is not None and i not in special and is_svg_token(t, words)}
    for seq in completions or []:
        ids.update(int(t) for t in seq)
    eos = tokenizer.eos_token_id
    for e in eos if isinstance(eos, list) else [eos]:
        if e is not None:
            ids.add(int(e))
    return sorted(ids)


def save_vocab(folder: str | Path, ids: list[int], vocab_size: int) -> Path:
    path = Path(folder) / FILENAME
    path.write_text(json.dumps({"vocab_size": int(vocab_size), "count": len(ids), "ids": [int(i) for i in ids]}))
    return path


def load_vocab(folder: str | Path | None, vocab_size: int | None = None) -> list[int] | None:
    """The output vocabulary saved beside an adapter, or None when the adapter writes any token."""
    if folder is None:
        return None
    path = Path(folder) / FILENAME
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
        ids = [int(i) for i in data["ids"]]
        size = int(data["vocab_size"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"{path} is not an output vocabulary ({exc}); delete it to let the adapter write any token, "
            "or copy it again from the training run"
        ) from None
    if vocab_size is not None and size > vocab_size:
        raise InputError(
            f"{path} was saved for a vocabulary of {size} tokens, but this model has {vocab_size}: "
            "the adapter belongs to another model"
        )
    if not ids or min(ids) < 0 or max(ids) >= size:
        raise InputError(f"{path} holds token ids outside 0..{size - 1}")
    return ids
