"""A decoding guard that closes a drawing before the token limit cuts it off, or when it starts to repeat.

A small policy often keeps adding elements until `max_new_tokens` cuts it off inside a tag, which
makes the whole text invalid, although every element before the cut was fine. It also falls into
writing one element again and again (the same `<path .../>` verbatim), which the loop guard
(svg_agent.app.loopguard) does not see when the repeat is longer than its period. This guard watches
each row at element boundaries (the text just ended in `>`, perhaps followed by the `<` of the next
tag) and, when

- **budget**: fewer than `margin` new tokens are left (by the token limit, or by generate's `max_time`
  at the time each step has taken so far), or
- **repeat**: the element just written is a verbatim copy of an earlier one in the same completion,

it forces the tokens that close every open element and the root (`</g></svg>`), then EOS. And when
the model begins a closing tag (`</`) whose likeliest next token does not name the element that is
open (**match**: `</svg>` with a `<defs>` still open, a stray `</defs>`), it writes that element's
name (and EOS after the root's). And a row may not end while its root is open (**end**): where
the model's likeliest token is EOS at an element boundary, the guard writes the closing text before
it; elsewhere EOS is taken out of the choice, so the model finishes what it began (an EOS whose
probability is under `END_FLOOR` is left alone, which spares decoding the text at every step).
And a path's data may not run on past `MAX_SUBPATHS` subpaths (**subpaths**: the run-on
`M112 250v22M112 240v22...` that no exact loop catches, since its numbers change): past it, a
token that would begin another subpath is taken out of the choice, and where it is the likeliest
the guard writes the value's closing quote instead, and the model goes on with the element.
And path data may not run into the token limit (**data**): where fewer than `DATA_MARGIN` new
tokens are left and the text ends inside a `d` or `points` value, the guard writes the value's
closing quote, so that the model has the room to finish the element (its fill, `/>`), after which
the budget rule closes the drawing; cut off inside its data, the whole drawing would be invalid.
The text is still the model's own up to there; the guard only decides where elements end.

Comments, CDATA and quoted attribute values are stepped over whole; text that does not nest, or an
unfinished construct, is never closed. The thresholds are measured on the procedural corpus: over
4,000 of its drawings (flat and with gradients) no drawing repeats an element verbatim (gradient
`<stop>`s may, and do not count), and 90 % of elements take at most 48 Gemma tokens
(the default margin); `tests/test_closeguard.py` checks the first on the corpus, teacher-forced.

    guard = close_guard(tokenizer, max_new_tokens=352)
    model.generate(**enc, max_new_tokens=352, logits_processor=LogitsProcessorList([guard]))
    guard.closes  # {"budget": ..., "repeat": ..., "match": ..., "end": ..., "subpaths": ..., "data": ...}
"""

from __future__ import annotations

import re

MARGIN = 48
MIN_REPEAT_CHARS = 16
# the most subpaths one path's data may hold: the corpus's most is 22 (a grid's lines; 3,000
# drawings, `generate_scenes(3000, seed=5)`), so the rule never touches a drawing like its own
MAX_SUBPATHS = 24
# new tokens left under which open path data is ended: room for the element's other attributes
# (` fill="#aabbcc"/>` is 8 Gemma tokens, a stroke with its width and `fill="none"` some 16) and the
# closing tags that the budget rule then writes
DATA_MARGIN = 28
REASONS = ("budget", "repeat", "match", "end", "subpaths", "data")  # the keys of CloseGuard.closes
END_FLOOR = -12.0  # log-probability of EOS under which the end rule does not look at a row
NOT_REPEATS = frozenset({"stop"})  # elements that legitimately recur verbatim (two gradients' end stops)

# markup the scan steps over whole: comments, CDATA, processing instructions, declarations, tags
# (quote-aware: a `>` inside an attribute value does not end a tag)
_MARKUP = re.compile(
    r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<![A-Za-z][^<>]*>"
    r"|<(?P<close>/?)(?P<name>[A-Za-z][\w:.-]*)(?:[^<>\"']|\"[^\"]*\"|'[^']*')*?(?P<self>/?)>",
    re.S,
)


def _scan(text: str, root: bool):
    """(open elements, end of the last complete markup, the length of the last markup when it is a
    self-closing element that copies an earlier one verbatim, else 0) or None when the tags do not nest, the root is
    already closed, or no root is open (chat text before its `<svg`)."""
    # base prompts open the root, unless the completion writes its own (as PromptFormat.to_svg allows)
    stack = ["svg"] if root and not text.lstrip().startswith("<svg") else []
    seen: set[str] = set()
    end, repeat, opened = 0, 0, bool(stack)
    for m in _MARKUP.finditer(text):
        if "<" in text[end : m.start()]:  # a `<` that starts no complete markup: the text is broken
            return None
        end, repeat = m.end(), 0
        name = m.group("name")
        if name is None:
            continue  # comment, CDATA, processing instruction, declaration
        if not opened:  # chat: everything before the root is left as is
            if name == "svg" and not m.group("close"):
                opened = True
                stack.append(name)
            continue
        if m.group("self"):
            element = m.group(0)
            repeat = len(element) if element in seen and name not in NOT_REPEATS else 0
            seen.add(element)
        elif not m.group("close"):
            stack.append(name)
        elif stack and stack[-1] == name:
            stack.pop()
            if not stack:  # the root itself was closed
                return None
        else:
            return None
    if not stack:
        return None
    return stack, end, repeat


_OPEN_PATH_DATA = re.compile(r"""\sd\s*=\s*"([^"<>]*)$""")
_OPEN_DATA = re.compile(r"""<(?:path|polygon|polyline)(?:\s[^<>]*?)?\s(?:d|points)\s*=\s*"[^"<>]*$""")


def in_path_data(text: str) -> bool:
    """Whether `text` ends inside the data of a path (`d="...`) or the points of a polygon or polyline."""
    return _OPEN_DATA.search(text[-4000:]) is not None


def open_subpaths(text: str) -> int:
    """How many subpaths (moveto commands) the path data that `text` ends inside holds so far; 0
    when `text` does not end inside a `d="..."` value."""
    m = _OPEN_PATH_DATA.search(text[-4000:])
    return len(re.findall(r"[Mm]", m.group(1))) if m else 0


def closing_text(text: str, root: bool = True) -> str | None:
    """The text that closes every element left open in `text` (and the root `svg` when `root`:
    the completion follows an opening tag the prompt wrote), or None when the tags do not nest
    (closing cannot make such text valid) or the root is already closed."""
    scan = _scan(text, root)
    if scan is None or "<" in text[scan[1] :]:
        return None
    return "".join(f"</{name}>" for name in reversed(scan[0]))


def close_reason(
    text: str, tokens_left: int, margin: int = MARGIN, min_repeat_chars: int = MIN_REPEAT_CHARS, root: bool = True
):
    """Why the completion `text` (so far) should be closed now, with the text that closes it:
    ("budget" | "repeat", suffix), or ("match", name + ">") when a closing tag has begun (`</`) and
    must name the element that is open, or None. Only at an element boundary: the text ends with complete
    markup, perhaps followed by whitespace and the start of a closing tag (`<` or `</`), which the
    suffix then completes. `root`: the root `<svg>` was opened before the completion (base prompts),
    not inside it (chat)."""
    scan = _scan(text, root)
    if scan is None:
        return None
    stack, end, repeat = scan
    rest = text[end:].lstrip()  # whitespace between elements is allowed
    close = "".join(f"</{name}>" for name in reversed(stack))
    if end == 0 or not close.startswith(rest):
        return None
    suffix = close[len(rest) :]
    if tokens_left < margin:
        return "budget", suffix
    if repeat >= max(min_repeat_chars, 1):
        return "repeat", suffix
    if rest == "</":  # a closing tag has begun: it closes the element that is open
        return "match", stack[-1] + ">"
    return None


def _suffix_tokens(tokenizer, ids: list[int], text: str, suffix: str) -> list[int] | None:
    """Token ids that, appended to `ids` (which decode to `text`), decode to `text + suffix`; None
    when neither the suffix's plain encoding nor that encoding without a leading space token does
    (a tokenizer that prepends a word marker, as SentencePiece's Metaspace does)."""
    encoded = tokenizer.encode(suffix, add_special_tokens=False)
    candidates = [encoded]
    k = 0
    while k < len(encoded) and not tokenizer.decode(encoded[: k + 1]).strip():
        k += 1
    if k:
        candidates.append(encoded[k:])
    for tokens in candidates:
        if tokens and tokenizer.decode(ids + tokens, skip_special_tokens=True) == text + suffix:
            return list(tokens)
    return None


def _pieces_holding(tokenizer, chars: str) -> list[int]:
    """Ids of the tokens whose text holds any of `chars` (byte pieces too), cached on the tokenizer."""
    key = "_svg_agent_ids_" + "".join(sorted(chars)).encode().hex()
    cached = getattr(tokenizer, key, None)
    if cached is None:
        pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
        cached = [i for i, p in enumerate(pieces) if p is not None and any(c in p for c in chars)]
        try:
            setattr(tokenizer, key, cached)
        except AttributeError:  # a tokenizer that takes no new attributes: recompute next time
            pass
    return cached


def _pieces_with_gt(tokenizer) -> set[int]:
    """Ids of the tokens whose text may contain `>`, `<` or `/`: the steps after which the text can
    be at a boundary, or a closing tag can have begun."""
    return set(_pieces_holding(tokenizer, "<>/"))


def _pieces_with_moveto(tokenizer) -> list[int]:
    """Ids of the tokens whose text holds `M` or `m`: inside path data, each begins a subpath."""
    return _pieces_holding(tokenizer, "Mm")


def close_guard(
    tokenizer,
    max_new_tokens: int,
    margin: int = MARGIN,
    min_repeat_chars: int = MIN_REPEAT_CHARS,
    skip_tokens=(),
    root: bool = True,
    eos_token_ids=None,
    max_time: float | None = None,
    data_margin: int = DATA_MARGIN,
):
    """A logits processor that closes each row's drawing near the token limit or on a verbatim repeat
    (see the module docstring). Rows whose last token is in `skip_tokens` or `eos_token_ids` (default:
    the tokenizer's EOS) are left alone; the close ends with the first of `eos_token_ids`. `root` says
    the prompt opened the `<svg>` root (base prompts) rather than the completion (chat). With
    `max_time` (seconds from this call, as generate's own limit counts them), the budget is also what
    the measured time per step leaves; `data_margin`: the tokens left under which path data is ended
    (the data rule). Make one per generate() call (greedy or sampled, no beams); put it after the
    other processors: a forced token overrides every other score of its row."""
    import time

    from transformers import LogitsProcessor

    if max_new_tokens < 1 or margin < 0:
        raise ValueError("max_new_tokens must be at least 1 and margin at least 0")
    if eos_token_ids is None:
        eos_token_ids = tokenizer.eos_token_id
    eos_ids = [
        int(t) for t in (eos_token_ids if isinstance(eos_token_ids, list | tuple) else [eos_token_ids]) if t is not None
    ]
    if not eos_ids:
        raise ValueError("the close guard needs an EOS token")
    skip = {int(t) for t in skip_tokens if t is not None} | set(eos_ids)
    gt_ids = _pieces_with_gt(tokenizer)
    moveto_ids = _pieces_with_moveto(tokenizer)
    moveto_set = set(moveto_ids)
    started = time.perf_counter()

    eos_index = moveto_index = None

    class CloseGuard(LogitsProcessor):
        def __init__(self):
            self.prompt_length = None
            self.first_step = None  # (time, length) at the first call: the prompt is read by then
            self.queues: dict[int, list[int]] = {}  # row -> tokens still to force
            self.resume: set[int] = set()  # rows whose queue ends in no EOS (a matched closing tag)
            self.closes = dict.fromkeys(REASONS, 0)

        def _tokens_left(self, length: int) -> int:
            left = max_new_tokens - (length - self.prompt_length)
            if max_time is not None and length > self.first_step[1]:
                now = time.perf_counter()
                per_step = (now - self.first_step[0]) / (length - self.first_step[1])
                left = min(left, int((started + max_time - now) / max(per_step, 1e-6)))
            return left

        def _end(self, row, input_ids, scores, ids, text, banned):
            """The end rule for a row that may choose EOS with its root open: ("end", closing text,
            ids, text) where EOS is the likeliest token at a boundary; else EOS is banned (the row
            is appended to `banned`) and None returned; None too where ending is the model's to choose."""
            import torch

            nonlocal eos_index
            if eos_index is None:
                eos_index = torch.tensor(eos_ids, device=scores.device)
            row_scores = scores[row]
            if float(torch.logsumexp(row_scores[eos_index], 0) - torch.logsumexp(row_scores, 0)) < END_FLOOR:
                return None
            if ids is None:
                ids = input_ids[row, self.prompt_length :].tolist()
                text = tokenizer.decode(ids, skip_special_tokens=True)
            scan = _scan(text, root)
            if scan is None:  # the root is closed (or never opened, or the tags do not nest): ending is fine
                return None
            stack, end, _ = scan
            if end and not text[end:].strip() and int(row_scores.argmax()) in eos_ids:
                return "end", closing_text(text, root), ids, text
            banned.append(row)
            return None

        def _subpaths(self, row, input_ids, scores, may_move, stopped) -> int | None:
            """The subpaths rule for a row whose next token may begin a subpath: the token to force
            when it writes the value's closing quote (the row's queue holds the rest), else None, and
            the row is in `stopped` where it must not begin one."""
            ids = input_ids[row, self.prompt_length :].tolist()
            text = tokenizer.decode(ids, skip_special_tokens=True)
            if open_subpaths(text) < MAX_SUBPATHS:
                return None
            if int(scores[row].argmax()) in may_move:
                token = self._end_value(row, ids, text, "subpaths")
                if token is not None:
                    return token
            stopped.append(row)
            return None

        def _end_value(self, row, ids, text, reason) -> int | None:
            """The first token of the closing quote of the value that `text` ends inside (the row's
            queue holds the rest, and the model goes on after it), counted under `reason`; None where
            the tokenizer cannot write the quote there."""
            tokens = _suffix_tokens(tokenizer, ids, text, '"')
            if not tokens:
                return None
            self.queues[row] = tokens[1:]
            self.resume.add(row)
            self.closes[reason] += 1
            return tokens[0]

        def _data(self, row, ids, text) -> int | None:
            """The data rule for a row near the token limit: the token to force when the text ends
            inside path data (the row's queue holds the rest of the closing quote), else None."""
            return self._end_value(row, ids, text, "data") if in_path_data(text) else None

        def __call__(self, input_ids, scores):
            import torch

            nonlocal moveto_index
            length = input_ids.shape[1]
            if self.prompt_length is None:
                self.prompt_length = length
                self.first_step = (time.perf_counter(), length)
            tokens_left = self._tokens_left(length)
            last_tokens = input_ids[:, -1].tolist()
            forced, banned, stopped = {}, [], []
            moving = None
            if length > self.prompt_length and moveto_ids:
                if moveto_index is None:
                    moveto_index = torch.tensor(moveto_ids, device=scores.device)
                # rows where a subpath may begin now (its tokens hold at least 0.1 % of the probability)
                moving = (torch.logsumexp(scores[:, moveto_index], -1) - torch.logsumexp(scores, -1) > -7.0).tolist()
            for row, last in enumerate(last_tokens):
                queue = self.queues.get(row)
                if queue is not None:
                    if queue:
                        forced[row] = queue.pop(0)
                        continue
                    if row not in self.resume:
                        continue  # closed for good
                    del self.queues[row]  # a matched tag is written: watch the row again
                    self.resume.discard(row)
                if length > self.prompt_length and last in skip:
                    continue  # the row has ended
                ids = text = None
                if length > self.prompt_length and last in gt_ids:
                    ids = input_ids[row, self.prompt_length :].tolist()
                    text = tokenizer.decode(ids, skip_special_tokens=True)
                    found = close_reason(text, tokens_left, margin, min_repeat_chars, root)
                else:
                    found = None
                if found is None and moving is not None and moving[row]:
                    token = self._subpaths(row, input_ids, scores, moveto_set, stopped)
                    if token is not None:
                        forced[row] = token
                        continue
                if found is None and length > self.prompt_length and tokens_left < data_margin:
                    if ids is None:
                        ids = input_ids[row, self.prompt_length :].tolist()
                        text = tokenizer.decode(ids, skip_special_tokens=True)
                    token = self._data(row, ids, text)
                    if token is not None:
                        forced[row] = token
                        continue
                if found is None:
                    found = self._end(row, input_ids, scores, ids, text, banned)
                    if found is None:
                        continue
                    ids, text = found[2], found[3]
                    found = found[:2]
                reason, suffix = found
                if reason == "match":  # left to the model when its likeliest token names the open element
                    likeliest = tokenizer.decode(ids + [int(scores[row].argmax())], skip_special_tokens=True)
                    if (text + suffix).startswith(likeliest) or likeliest.startswith(text + suffix):
                        continue
                tokens = _suffix_tokens(tokenizer, ids, text, suffix)
                if tokens is None or len(tokens) > max(tokens_left, 0):
                    continue  # the tokenizer cannot write the suffix here, or there is no room left
                if reason != "match" or closing_text(text + suffix, root) is None:  # the root is closed
                    tokens.append(eos_ids[0])  # past the token limit the limit itself ends the row
                    self.queues[row] = tokens[1:]
                else:  # the element is closed: the model goes on from there
                    self.queues[row] = tokens[1:]
                    self.resume.add(row)
                self.closes[reason] += 1
                forced[row] = tokens[0]
            if forced or banned or stopped:
                scores = scores.clone()
                for row in banned:
                    scores[row, eos_ids] = float("-inf")
                for row in stopped:
                    scores[row, moveto_index] = float("-inf")
                for row, token in forced.items():
                    scores[row, :] = float("-inf")
                    scores[row, token] = 0.0
            return scores

    return CloseGuard()
