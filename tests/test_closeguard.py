"""The close guard: it ends a drawing at an element boundary, with every open element closed, when
the token limit nears or an element is repeated verbatim; it never fires on a corpus drawing
(teacher-forced); and inside generate() it turns a drawing the limit would cut off into a valid one."""

import re

import pytest

pytest.importorskip("torch")
from svg_agent._torchvision import ensure_torchvision  # noqa: E402

ensure_torchvision()
pytest.importorskip("transformers")

import torch  # noqa: E402
from lxml import etree  # noqa: E402

from svg_agent.app.closeguard import (  # noqa: E402
    DATA_MARGIN,
    MARGIN,
    MAX_SUBPATHS,
    REASONS,
    _suffix_tokens,
    close_guard,
    close_reason,
    closing_text,
    in_path_data,
    open_subpaths,
)
from svg_agent.app.policy import BASE_OPEN, PromptFormat  # noqa: E402
from svg_agent.selection import raw_validity  # noqa: E402


def _closes(**counts) -> dict[str, int]:
    """A guard's `closes` with the given counts and every other reason at 0."""
    assert REASONS == ("budget", "repeat", "match", "end", "subpaths", "data")  # the keys guard.closes has
    return dict(dict.fromkeys(REASONS, 0), **counts)


E1 = '<rect width="384" height="384" fill="navy"/>'
E2 = '<circle cx="120" cy="90" r="30" fill="gold"/>'
E3 = '<path d="M0 300h384v84H0z" fill="darkgreen"/>'


def test_closing_text_closes_what_is_open():
    assert closing_text(E1) == "</svg>"
    assert closing_text('<g fill="red">' + E2) == "</g></svg>"
    assert closing_text('<defs><linearGradient id="a"><stop offset="0"/>') == "</linearGradient></defs></svg>"
    assert closing_text("<g>" + E1 + "</g>") == "</svg>"
    assert closing_text(E1 + "</svg>") is None  # already closed
    assert closing_text("<g></defs>") is None  # tags that do not nest: closing cannot help
    assert closing_text('<svg viewBox="0 0 384 384"><g>', root=False) == "</g></svg>"  # chat: the root is written


def test_close_reason_only_at_boundaries():
    far = 10_000
    assert close_reason(E1 + E2, far) is None  # room left, no repeat
    assert close_reason(E1 + E2, MARGIN - 1) == ("budget", "</svg>")
    assert close_reason(E1 + E2 + "<", MARGIN - 1) == ("budget", "/svg>")  # "/><" is one token
    assert close_reason(E1 + E2 + "</", MARGIN - 1) == ("budget", "svg>")
    assert close_reason(E1 + E2 + " <", MARGIN - 1) == ("budget", "/svg>")
    assert close_reason(E1 + '<circle cx="1', MARGIN - 1) is None  # inside an element
    assert close_reason(E1 + "<p", MARGIN - 1) is None  # a tag has begun
    assert close_reason(E1 + E2 + E3 + E2, far) == ("repeat", "</svg>")
    assert close_reason(E1 + E2 + E3, far) is None
    assert close_reason(E1 + "<g>" + E2 + E2, far) == ("repeat", "</g></svg>")
    assert close_reason('<g fill="red">', MARGIN - 1) == ("budget", "</g></svg>")


def test_a_closing_tag_names_the_open_element():
    assert close_reason(E1 + "<defs>" + E2 + "</", 10_000) == ("match", "defs>")
    assert close_reason(E1 + "</", 10_000) == ("match", "svg>")
    assert close_reason(E1 + "<defs>" + E2 + "</", MARGIN - 1) == ("budget", "defs></svg>")  # the budget first


def test_match_forces_the_open_elements_name_only_against_the_model(policy):
    """Called directly on a row that has just begun `</` inside an open <defs>: when the model's
    likeliest token would write `svg`, the guard writes `defs>` instead and then watches the row
    again; when the likeliest token already writes `defs`, it leaves the row alone."""
    tok = policy.tokenizer
    prompt = tok([PromptFormat("base").prompt("a night")], return_tensors="pt")["input_ids"][0].tolist()
    body = [t for p in (E1, "<defs>", E2, "</") for t in tok(p, add_special_tokens=False)["input_ids"]]
    text = tok.decode(body)
    assert text.rstrip().endswith("</")

    def likeliest(piece: str) -> torch.Tensor:
        scores = torch.zeros(1, len(tok))
        scores[0, _suffix_tokens(tok, body, text, piece)[0]] = 5.0
        return scores

    guard = close_guard(tok, 400, skip_tokens=[tok.pad_token_id])
    guard(torch.tensor([prompt]), torch.zeros(1, len(tok)))  # the first step: the prompt length
    ids = prompt + body
    out = guard(torch.tensor([ids]), likeliest("svg>"))
    assert guard.closes["match"] == 1
    for _ in range(8):
        token = int(out[0].argmax())
        assert torch.isfinite(out[0]).sum() == 1  # forced
        ids.append(token)
        if tok.decode(ids[len(prompt) :]).endswith("</defs>"):
            break
        out = guard(torch.tensor([ids]), torch.zeros(1, len(tok)))
    assert tok.decode(ids[len(prompt) :]).endswith("</defs>")
    free = torch.randn(1, len(tok))
    out = guard(torch.tensor([ids]), free)  # watched again: nothing to force, but no EOS with the root open
    assert out[0, tok.eos_token_id] == float("-inf") and guard.closes["end"] == 0
    assert torch.equal(out[0, : tok.eos_token_id], free[0, : tok.eos_token_id])
    assert torch.equal(out[0, tok.eos_token_id + 1 :], free[0, tok.eos_token_id + 1 :])
    left_alone = close_guard(tok, 400, skip_tokens=[tok.pad_token_id])
    left_alone(torch.tensor([prompt]), torch.zeros(1, len(tok)))
    scores = likeliest("defs>")
    scores[0, tok.eos_token_id] = float("-inf")
    assert torch.equal(left_alone(torch.tensor([prompt + body]), scores), scores)
    assert left_alone.closes["match"] == 0


def test_markup_that_is_not_an_element():
    far = 10_000
    # a `>` inside an attribute value does not end the tag
    assert close_reason(E1 + '<text font-family="a>b', MARGIN - 1) is None
    assert close_reason(E1 + '<circle r="2" title="a>b"/>', MARGIN - 1) == ("budget", "</svg>")
    # comments and CDATA are stepped over whole; inside an unfinished one nothing closes
    assert close_reason(E1 + "<!-- <g> -->", MARGIN - 1) == ("budget", "</svg>")
    assert close_reason(E1 + "<!-- <circle r='1'/>", MARGIN - 1) is None
    assert close_reason("<style><![CDATA[ a<b ]]></style>" + E1, MARGIN - 1) == ("budget", "</svg>")
    # two gradients may end in the same stop: not a repeat
    stop = '<stop offset="1" stop-color="#fff"/>'
    grads = f'<defs><linearGradient id="a">{stop}</linearGradient><linearGradient id="b">{stop}'
    assert close_reason(grads, far) is None
    assert closing_text(grads) == "</linearGradient></defs></svg>"


def test_where_the_root_is():
    far = 10_000
    own = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 384 384">' + E1
    assert closing_text(own) == "</svg>"  # a base completion that writes its own root: one </svg>
    assert close_reason(own + "</svg>", MARGIN - 1) is None
    chat = "Here is <b>the</b> drawing:\n" + own + "<g>" + E2
    assert closing_text(chat, root=False) == "</g></svg>"  # tags before the root are left alone
    assert close_reason("Here is <b>the</b> drawing", MARGIN - 1, root=False) is None  # no root open yet
    assert close_reason(chat + E2, far, root=False) == ("repeat", "</g></svg>")


def test_never_fires_on_a_corpus_drawing():
    """At every element boundary of corpus drawings (flat and with gradients, as the base prompt's
    completion), with the budget far away, the guard never closes: no corpus drawing repeats an
    element; and every closing tag the corpus writes is the one the guard would write."""
    from vectorize.scenes import generate_scenes

    fmt = PromptFormat("base")
    boundaries = tags = 0
    for flat in (True, False):
        for scene in generate_scenes(150, seed=4, flat=flat):
            body = fmt.completion(scene.svg)
            for k, ch in enumerate(body[:-6]):
                if ch == ">":
                    assert close_reason(body[: k + 1], 10_000) is None, body[: k + 1]
                    boundaries += 1
                if body.startswith("</", k):  # a closing tag names what the drawing itself closes
                    reason, name = close_reason(body[: k + 2], 10_000)
                    assert reason == "match" and body.startswith(name, k + 2), body[: k + 2]
                    tags += 1
    assert boundaries > 2_000 and tags > 300


def test_open_subpaths_counts_the_open_path_data_only_and_the_corpus_stays_under_the_limit():
    from vectorize.scenes import generate_scenes

    assert open_subpaths(E1 + '<path d="M0 0h9M5 5v9m2 2') == 3
    assert open_subpaths(E1 + '<path d="M0 0h9M5 5v9"') == 0  # the value is closed
    assert open_subpaths(E1 + E3) == 0 and open_subpaths('<path fill="red" d="') == 0
    most = 0
    for flat in (True, False):
        for scene in generate_scenes(300, seed=8, flat=flat):
            for m in re.finditer(r' d="([^"]*)"', scene.svg):
                prefix = scene.svg[: m.end(1)]
                most = max(most, open_subpaths(prefix))
    assert 10 < most < MAX_SUBPATHS


def test_a_run_on_path_is_ended_at_its_limit(policy):
    """Called directly on a row inside path data with MAX_SUBPATHS subpaths: a likeliest token that
    begins another subpath is replaced by the closing quote; a less likely one is taken out of the
    choice; under the limit, nothing changes."""
    tok = policy.tokenizer
    prompt = tok([PromptFormat("base").prompt("a knit hat")], return_tensors="pt")["input_ids"][0].tolist()

    def row(n: int) -> list[int]:
        data = "".join(f"M{100 + 2 * i} 250v22" for i in range(n))
        return prompt + tok(E1 + f'<path d="{data}', add_special_tokens=False)["input_ids"]

    move = tok("M", add_special_tokens=False)["input_ids"][-1]
    digit = tok("7", add_special_tokens=False)["input_ids"][-1]
    assert "M" in tok.convert_ids_to_tokens(move)

    def step(ids, likeliest, also=None):
        guard = close_guard(tok, 1000, skip_tokens=[tok.pad_token_id])
        guard(torch.tensor([prompt]), torch.zeros(1, len(tok)))
        scores = torch.zeros(1, len(tok))
        scores[0, likeliest] = 9.0
        if also is not None:
            scores[0, also] = 6.0
        return guard, guard(torch.tensor([ids]), scores.clone()), scores

    guard, out, scores = step(row(MAX_SUBPATHS), move)
    assert guard.closes["subpaths"] == 1 and torch.isfinite(out[0]).sum() == 1
    assert tok.decode([int(out[0].argmax())]).strip() == '"'
    guard, out, scores = step(row(MAX_SUBPATHS), digit, also=move)
    assert guard.closes["subpaths"] == 0 and out[0, move] == float("-inf") and out[0, digit] == 9.0
    guard, out, scores = step(row(MAX_SUBPATHS - 2), move)
    assert guard.closes["subpaths"] == 0 and torch.equal(out[0, move], scores[0, move])


def test_in_path_data_sees_open_data_values_only():
    assert in_path_data(E1 + '<path d="M0 0h9')
    assert in_path_data(E1 + '<path fill="red" d="M0 0h9M5 5')
    assert in_path_data(E1 + '<polygon points="1,2 3,4')
    assert not in_path_data(E1 + '<path d="M0 0h9"')  # the value is closed
    assert not in_path_data(E1 + '<path d="M0 0h9" fill="re')  # inside another attribute
    assert not in_path_data(E1 + '<rect width="38')
    assert not in_path_data(E1 + E3)


def test_path_data_near_the_limit_is_ended(policy):
    """Called directly on a row inside path data: with fewer than DATA_MARGIN tokens left the next
    token is the closing quote; with more left, or outside path data, nothing changes."""
    tok = policy.tokenizer
    prompt = tok([PromptFormat("base").prompt("a knit hat")], return_tensors="pt")["input_ids"][0].tolist()
    inside = prompt + tok(E1 + '<path d="M100 250v22M102 250v', add_special_tokens=False)["input_ids"]
    outside = prompt + tok(E1 + '<rect width="38', add_special_tokens=False)["input_ids"]
    digit = tok("7", add_special_tokens=False)["input_ids"][-1]

    def step(ids, left):
        # the limit puts the row `left` tokens before it
        guard = close_guard(tok, len(ids) - len(prompt) + left, skip_tokens=[tok.pad_token_id])
        guard(torch.tensor([prompt]), torch.zeros(1, len(tok)))
        scores = torch.zeros(1, len(tok))
        scores[0, digit] = 30.0  # EOS is too unlikely for the end rule to look at the row
        return guard, guard(torch.tensor([ids]), scores.clone()), scores

    guard, out, _ = step(inside, DATA_MARGIN - 1)
    assert guard.closes["data"] == 1 and torch.isfinite(out[0]).sum() == 1
    assert tok.decode([int(out[0].argmax())]).strip() == '"'
    guard, out, scores = step(inside, DATA_MARGIN)
    assert guard.closes["data"] == 0 and torch.equal(out, scores)
    guard, out, scores = step(outside, DATA_MARGIN - 1)
    assert guard.closes["data"] == 0 and torch.equal(out, scores)


def test_a_drawing_whose_path_runs_into_the_limit_ends_valid(policy):
    """A model that writes path data until something ends it, then its fill, then more circles:
    the limit cuts it off inside the data; with the guard, the data is ended, the model finishes the
    element, and the budget rule closes the drawing."""
    from transformers import LogitsProcessor

    tok = policy.tokenizer
    enc = tok([PromptFormat("base").prompt("a knit hat")], return_tensors="pt")
    n = enc["input_ids"].shape[1]
    head = tok(E1 + '<path d="', add_special_tokens=False)["input_ids"]
    data = tok("M100 250v22" * 3, add_special_tokens=False)["input_ids"]
    tail = tok(' fill="red"/>' + E2 * 20, add_special_tokens=False)["input_ids"]

    class Writer(LogitsProcessor):
        """Path data for as long as the text is inside it, then the rest of the element."""

        def __init__(self):
            self.tail_from = None

        def __call__(self, input_ids, scores):
            k = input_ids.shape[1] - n
            if k < len(head):
                token = head[k]
            elif self.tail_from is None and in_path_data(tok.decode(input_ids[0, n:], skip_special_tokens=True)):
                token = data[(k - len(head)) % len(data)]
            else:
                self.tail_from = k if self.tail_from is None else self.tail_from
                token = tail[min(k - self.tail_from, len(tail) - 1)]
            out = torch.full_like(scores, float("-inf"))
            out[:, token] = 0.0
            return out

    plain, _ = _generate_with(policy, enc, Writer(), 160, guard=False)
    assert not _valid(plain) and in_path_data(plain)  # cut off inside the data
    guarded, closer = _generate_with(policy, enc, Writer(), 160, guard=True)
    assert _valid(guarded) and closer.closes["data"] == 1 and closer.closes["budget"] == 1
    assert re.search(r'v22[^"]*" fill="red"/>', guarded) and guarded.endswith("</svg>")


@pytest.fixture(scope="module")
def policy(tiny_policy):
    return tiny_policy


def _scripted(policy, script: list[int], prompt_length: int):
    """A processor that makes `script` the only choice, one token per step (the policy's own choice
    stands in for a model that never closes its drawing)."""
    from transformers import LogitsProcessor

    class Script(LogitsProcessor):
        def __call__(self, input_ids, scores):
            k = input_ids.shape[1] - prompt_length
            out = torch.full_like(scores, float("-inf"))
            out[:, script[min(k, len(script) - 1)]] = 0.0
            return out

    return Script()


def _generate_with(policy, enc, processor, max_new_tokens: int, guard: bool):
    """Greedy generate() under `processor` (a script standing in for the model), with the close
    guard after it when `guard`: (the completion's text, the guard or None)."""
    from transformers import LogitsProcessorList

    tok = policy.tokenizer
    closer = close_guard(tok, max_new_tokens, skip_tokens=[tok.pad_token_id]) if guard else None
    out = policy.model.generate(
        **enc,
        max_new_tokens=max_new_tokens,
        do_sample=False,
        pad_token_id=tok.pad_token_id,
        logits_processor=LogitsProcessorList([processor] + ([closer] if closer else [])),
    )
    return tok.decode(out[0, enc["input_ids"].shape[1] :], skip_special_tokens=True), closer


def _generate(policy, body: str, max_new_tokens: int, guard: bool):
    from transformers import LogitsProcessorList

    tok = policy.tokenizer
    enc = tok([PromptFormat("base").prompt("a night")], return_tensors="pt")
    n = enc["input_ids"].shape[1]
    # element by element, so that a token ends where each element does (the Gemma tokenizer's
    # `"/><` does; the tiny tokenizer would merge `"/><path` into one token)
    pieces = re.findall(r"<[^<>]*>", body)
    assert "".join(pieces) == body
    script = [t for p in pieces for t in tok(p, add_special_tokens=False)["input_ids"]]
    processors = [_scripted(policy, script, n)]
    closer = None
    if guard:
        closer = close_guard(tok, max_new_tokens, skip_tokens=[tok.pad_token_id, tok.eos_token_id])
        processors.append(closer)
    out = policy.model.generate(
        **enc,
        max_new_tokens=max_new_tokens,
        do_sample=False,
        pad_token_id=tok.pad_token_id,
        logits_processor=LogitsProcessorList(processors),
    )
    return tok.decode(out[0, n:], skip_special_tokens=True), closer


def test_closes_before_generates_time_limit(policy):
    """Under generate's max_time, the budget is what the measured time per step leaves: a drawing that
    would run past the time limit is closed while there is time to close it."""
    import time

    from transformers import LogitsProcessor, LogitsProcessorList

    tok = policy.tokenizer
    enc = tok([PromptFormat("base").prompt("a night")], return_tensors="pt")
    n = enc["input_ids"].shape[1]
    pieces = [f'<circle cx="{20 + 7 * i}" cy="{40 + 3 * i}" r="{5 + i}" fill="gold"/>' for i in range(200)]
    script = [t for p in pieces for t in tok(p, add_special_tokens=False)["input_ids"]]

    class Slow(LogitsProcessor):
        def __call__(self, input_ids, scores):
            time.sleep(0.01)
            return scores

    def run(guarded: bool):
        closer = close_guard(tok, 2000, skip_tokens=[tok.pad_token_id], max_time=2.0) if guarded else None
        out = policy.model.generate(
            **enc,
            max_new_tokens=2000,
            max_time=2.0,
            do_sample=False,
            pad_token_id=tok.pad_token_id,
            logits_processor=LogitsProcessorList([_scripted(policy, script, n), Slow()] + ([closer] if closer else [])),
        )
        return tok.decode(out[0, n:], skip_special_tokens=True), closer

    plain, _ = run(False)
    assert not _valid(plain)  # the time limit cut it off
    guarded, closer = run(True)
    assert _valid(guarded) and closer.closes == _closes(budget=1)


def _valid(text: str) -> bool:
    try:
        etree.fromstring((BASE_OPEN + text).encode(), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return False
    return raw_validity(BASE_OPEN + text)


def test_closes_a_drawing_the_limit_would_cut_off(policy):
    elements = "".join(f'<circle cx="{20 + 7 * i}" cy="{40 + 3 * i}" r="{5 + i}" fill="gold"/>' for i in range(60))
    body = '<g opacity=".8">' + E1 + elements
    plain, _ = _generate(policy, body, 160, guard=False)
    assert not _valid(plain)  # cut off inside an element
    guarded, closer = _generate(policy, body, 160, guard=True)
    assert _valid(guarded) and guarded.endswith("</g></svg>")
    assert closer.closes == _closes(budget=1)
    assert guarded.startswith(plain[: len(guarded) - len("</g></svg>")])  # the model's own text up to the close
    assert len(policy.tokenizer(guarded, add_special_tokens=False)["input_ids"]) <= 160


def test_closes_a_verbatim_repeat(policy):
    body = E1 + E2 + E3 + E3 * 30
    guarded, closer = _generate(policy, body, 400, guard=True)
    assert re.sub(r">\s+<", "><", guarded) == E1 + E2 + E3 + E3 + "</svg>"
    assert closer.closes == _closes(repeat=1)
    assert _valid(guarded)


def test_leaves_a_closed_drawing_alone(policy):
    body = E1 + E2 + "</svg>"
    plain, _ = _generate(policy, body, 120, guard=False)
    guarded, closer = _generate(policy, body, 120, guard=True)
    assert guarded == plain and closer.closes == _closes()
    assert re.sub(r">\s+<", "><", guarded).startswith(body)


def test_policy_sample_closes_each_row(policy, monkeypatch):
    """Policy.sample with close_guard: a scripted model that repeats its last element forever, in a
    batch of two descriptions x two samples with left padding; every row ends closed and valid."""
    tok = policy.tokenizer
    pieces = [E1, E2, E3] + [E3] * 30
    script = [t for p in pieces for t in tok(p, add_special_tokens=False)["input_ids"]]
    generate = policy.model.generate

    def scripted_generate(**kwargs):
        n = kwargs["input_ids"].shape[1]
        from transformers import LogitsProcessorList

        kwargs.setdefault("logits_processor", LogitsProcessorList()).insert(0, _scripted(policy, script, n))
        return generate(**kwargs)

    monkeypatch.setattr(policy.model, "generate", scripted_generate)
    outs = policy.sample(
        ["a night", "a long night over the sea"],
        num_return_sequences=2,
        max_new_tokens=300,
        seed=0,
        close_guard=True,
    )
    assert policy.last_closes == _closes(repeat=4)
    for text in (t for row in outs for t in row):
        assert re.sub(r">\s+<", "><", text) == E1 + E2 + E3 + E3 + "</svg>" and _valid(text)
    outs = policy.sample(["a night"], max_new_tokens=300, seed=0)
    assert policy.last_closes == _closes() and not _valid(outs[0][0])


def _ending_early(policy, pieces: list[str], eos_at: set[int], guard: bool):
    """Greedy generate under a script that offers each next token of `pieces` (then EOS) and, at the
    steps in `eos_at`, EOS above it: a model that wants to end before its drawing is closed."""
    from transformers import LogitsProcessor

    tok = policy.tokenizer
    enc = tok([PromptFormat("base").prompt("a night")], return_tensors="pt")
    n = enc["input_ids"].shape[1]
    script = [t for p in pieces for t in tok(p, add_special_tokens=False)["input_ids"]] + [tok.eos_token_id]

    class Script(LogitsProcessor):
        def __call__(self, input_ids, scores):
            k = input_ids.shape[1] - n
            out = torch.full_like(scores, float("-inf"))
            out[:, script[min(k, len(script) - 1)]] = 0.0
            if k in eos_at:
                out[:, tok.eos_token_id] = 1.0
            return out

    text, closer = _generate_with(policy, enc, Script(), 200, guard)
    return text, closer, script


def test_a_drawing_does_not_end_with_its_elements_open(policy):
    """End rule: EOS as the likeliest token at an element boundary, with elements open, gets the
    closing text first; EOS inside a tag is taken out of the choice, and the model goes on."""
    tok = policy.tokenizer
    k1 = len(tok('<g fill="red">', add_special_tokens=False)["input_ids"]) + len(
        tok(E1, add_special_tokens=False)["input_ids"]
    )
    pieces = ['<g fill="red">', E1, E2, "</g>"]
    plain, _, _ = _ending_early(policy, pieces, {k1}, guard=False)
    assert re.sub(r">\s+<", "><", plain) == '<g fill="red">' + E1 and not _valid(plain)
    guarded, closer, _ = _ending_early(policy, pieces, {k1}, guard=True)
    assert re.sub(r">\s+<", "><", guarded) == '<g fill="red">' + E1 + "</g></svg>" and _valid(guarded)
    assert closer.closes == _closes(end=1)
    # EOS wanted two tokens into E2: banned there; the drawing goes on to the end of its script,
    # where EOS (with </g> written, the root still open) is answered by </svg>
    plain, _, _ = _ending_early(policy, pieces, {k1 + 2}, guard=False)
    assert not _valid(plain)
    guarded, closer, _ = _ending_early(policy, pieces, {k1 + 2}, guard=True)
    assert re.sub(r">\s+<", "><", guarded) == '<g fill="red">' + E1 + E2 + "</g></svg>" and _valid(guarded)
    assert closer.closes["end"] == 1
    # a drawing that closes its root ends as it likes
    guarded, closer, _ = _ending_early(policy, pieces + ["</svg>"], set(), guard=True)
    assert re.sub(r">\s+<", "><", guarded) == '<g fill="red">' + E1 + E2 + "</g></svg>"
    assert closer.closes["end"] == 0


def test_closes_at_the_gemma_tokenizers_element_boundaries():
    """With the Gemma tokenizer (where its package is installed), at every token boundary of corpus
    drawings where the text can be closed, the closing tokens decode to exactly the closing text."""
    from svg_agent.app.closeguard import _suffix_tokens
    from vectorize.scenes import generate_scenes

    try:
        from transformers import AutoTokenizer

        from svg_agent.app.policy import resolve_model

        tok = AutoTokenizer.from_pretrained(resolve_model("gemma3-270m-offline"))
    except Exception:
        pytest.skip("the offline Gemma 3 270M package is an extra ([train])")
    fmt = PromptFormat("base")
    closed = 0
    for scene in generate_scenes(20, seed=6, flat=False):
        ids = tok(fmt.completion(scene.svg), add_special_tokens=False)["input_ids"]
        for k in range(1, len(ids) - 3):
            text = tok.decode(ids[:k])
            found = close_reason(text, 0)
            if found is not None:
                tokens = _suffix_tokens(tok, ids[:k], text, found[1])
                assert tokens is not None and _valid(tok.decode(ids[:k] + tokens)), text
                closed += 1
    assert closed > 100
