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

from svg_agent.app.closeguard import MARGIN, close_guard, close_reason, closing_text  # noqa: E402
from svg_agent.app.policy import BASE_OPEN, PromptFormat  # noqa: E402
from svg_agent.selection import raw_validity  # noqa: E402

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


def test_never_fires_on_a_corpus_drawing():
    """At every element boundary of corpus drawings (flat and with gradients, as the base prompt's
    completion), with the budget far away, the guard never closes: no corpus drawing repeats an element."""
    from vectorize.scenes import generate_scenes

    fmt = PromptFormat("base")
    boundaries = 0
    for flat in (True, False):
        for scene in generate_scenes(150, seed=4, flat=flat):
            body = fmt.completion(scene.svg)
            for k, ch in enumerate(body[:-6]):
                if ch == ">":
                    assert close_reason(body[: k + 1], 10_000) is None, body[: k + 1]
                    boundaries += 1
    assert boundaries > 2_000


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
    assert closer.closes == {"budget": 1, "repeat": 0}
    assert guarded.startswith(plain[: len(guarded) - len("</g></svg>")])  # the model's own text up to the close
    assert len(policy.tokenizer(guarded, add_special_tokens=False)["input_ids"]) <= 160


def test_closes_a_verbatim_repeat(policy):
    body = E1 + E2 + E3 + E3 * 30
    guarded, closer = _generate(policy, body, 400, guard=True)
    assert re.sub(r">\s+<", "><", guarded) == E1 + E2 + E3 + E3 + "</svg>"
    assert closer.closes == {"budget": 0, "repeat": 1}
    assert _valid(guarded)


def test_leaves_a_closed_drawing_alone(policy):
    body = E1 + E2 + "</svg>"
    plain, _ = _generate(policy, body, 120, guard=False)
    guarded, closer = _generate(policy, body, 120, guard=True)
    assert guarded == plain and closer.closes == {"budget": 0, "repeat": 0}
    assert re.sub(r">\s+<", "><", guarded).startswith(body)


def test_policy_sample_reports_closes(policy):
    outs = policy.sample(["a red circle"], num_return_sequences=2, max_new_tokens=24, seed=0, close_guard=True)
    assert len(outs[0]) == 2
    assert set(policy.last_closes) == {"budget", "repeat"} and all(v >= 0 for v in policy.last_closes.values())
    policy.sample(["a red circle"], max_new_tokens=4, seed=0)
    assert policy.last_closes == {"budget": 0, "repeat": 0}


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
