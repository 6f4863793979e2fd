"""The loop guard: it bans the continuation of an exact loop once the loop is longer than any
stretch the corpus repeats, never touches a corpus drawing (teacher-forced), and works inside
generate() and Policy.sample."""

import pytest

pytest.importorskip("torch")
from svg_agent._torchvision import ensure_torchvision  # noqa: E402

ensure_torchvision()
pytest.importorskip("transformers")

import torch  # noqa: E402

from svg_agent.app.loopguard import MAX_PERIOD, WINDOW, banned_continuations, loop_guard  # noqa: E402


@pytest.fixture(scope="module")
def policy(tiny_policy):
    return tiny_policy


def _loop(prefix: list[int], period: list[int], length: int) -> torch.Tensor:
    tail = (period * (length // len(period) + 1))[:length]
    return torch.tensor([prefix + tail])


@pytest.mark.parametrize("period", [[7], [3, 4], [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]])
def test_bans_the_continuation_only_past_the_window(period):
    p = len(period)
    prefix = [100, 101, 102, 103]
    short = _loop(prefix, period, WINDOW + p - 1)  # one match short of the window
    rows, _ = banned_continuations(short)
    assert rows.numel() == 0
    long = _loop(prefix, period, WINDOW + p)
    rows, tokens = banned_continuations(long)
    assert rows.tolist() == [0]
    assert tokens.tolist()[0] == long[0, -p].item()  # the token that would continue the loop
    scores = torch.zeros(1, 200)
    out = loop_guard()(long, scores)
    assert out[0, long[0, -p]] == float("-inf") and torch.isfinite(out[0]).sum() == 199


def test_rows_are_judged_apart():
    loop = _loop([1, 2], [3, 4], WINDOW + 2)[0]
    other = torch.arange(10, 10 + loop.numel())
    rows, tokens = banned_continuations(torch.stack([other, loop]))
    assert rows.tolist() == [1] and tokens.tolist() == [loop[-2].item()]


def _gemma_tokenizer():
    try:
        from transformers import AutoTokenizer

        from svg_agent.app.policy import resolve_model

        return AutoTokenizer.from_pretrained(resolve_model("gemma3-270m-offline"))
    except Exception:  # the offline model's package is an extra ([train]); the tiny tokenizer still runs
        return None


def test_never_touches_a_corpus_drawing(policy):
    """Teacher-forced over corpus drawings (flat and with gradients) as the tiny tokenizer's ids
    (trained on the corpus), as characters, and as the Gemma tokenizer's ids where its package is
    installed: no prefix gets the drawing's own next token banned."""
    from vectorize.scenes import generate_scenes

    gemma = _gemma_tokenizer()
    encoders = [
        lambda svg: policy.tokenizer(svg, add_special_tokens=False)["input_ids"],
        lambda svg: [ord(c) for c in svg],
    ]
    if gemma is not None:
        encoders.append(lambda svg: gemma(svg, add_special_tokens=False)["input_ids"])
    checked = 0
    for flat in (True, False):
        for scene in generate_scenes(60, seed=3, flat=flat):
            for encode in encoders:
                ids = torch.tensor([encode(scene.svg)])
                for k in range(WINDOW + 1, ids.shape[1]):
                    rows, tokens = banned_continuations(ids[:, :k])
                    assert ids[0, k].item() not in tokens.tolist(), scene.svg
                    checked += 1
    assert checked > 10_000


def test_each_ban_once_and_finished_rows_left_alone():
    loop = _loop([1, 2], [3, 4], WINDOW + 16)  # periodic at 2, 4, ..., 16: one token to ban
    rows, tokens = banned_continuations(loop)
    assert rows.tolist() == [0] and tokens.tolist() == [3]
    padded = torch.tensor([[5, 6, 7] + [0] * (WINDOW + 20)])  # a finished row: padding after EOS
    assert banned_continuations(padded)[0].numel() == 1
    assert banned_continuations(padded, skip_tokens=[0])[0].numel() == 0
    guard = loop_guard(skip_tokens=[0, None])
    assert torch.isfinite(guard(padded, torch.zeros(1, 10))).all() and guard.bans == 0


def test_breaks_a_forced_loop_inside_generate(policy):
    """A processor that makes "A B A B ..." the greedy choice (C second best): with the guard after
    it the output leaves the loop once it is WINDOW long, without it the loop runs to the limit."""
    from transformers import LogitsProcessor, LogitsProcessorList

    a, b, c = 40, 41, 42

    class Alternate(LogitsProcessor):
        def __call__(self, input_ids, scores):
            out = torch.zeros_like(scores)
            last = input_ids[:, -1]
            out[:, c] = 5.0
            out[:, a] = torch.where(last == a, 0.0, 10.0)
            out[:, b] = torch.where(last == a, 10.0, 0.0)
            return out

    enc = policy.tokenizer(["Description: x\nSVG:\n"], return_tensors="pt")
    n = WINDOW + 40

    def run(processors):
        out = policy.model.generate(
            **enc, max_new_tokens=n, min_new_tokens=n, do_sample=False, logits_processor=LogitsProcessorList(processors)
        )
        return out[0, enc["input_ids"].shape[1] :].tolist()

    plain = run([Alternate()])
    assert set(plain) == {a, b}
    guard = loop_guard()
    guarded = run([Alternate(), guard])
    assert c in guarded and guard.bans > 0
    longest = max(max((sum(1 for _ in g) for g in _runs(guarded, p)), default=0) for p in range(1, MAX_PERIOD + 1))
    assert longest <= WINDOW


def _runs(ids: list[int], p: int):
    """Runs of consecutive positions k with ids[k] == ids[k - p]."""
    run = []
    for k in range(p, len(ids)):
        if ids[k] == ids[k - p]:
            run.append(k)
        elif run:
            yield run
            run = []
    if run:
        yield run


def test_policy_sample_reports_bans(policy):
    # fewer new tokens than the window: no loop of new tokens can reach it, so the greedy text is
    # the same with and without the guard
    plain = policy.sample(["a red circle"], max_new_tokens=WINDOW - 1, do_sample=False)
    guarded = policy.sample(["a red circle"], max_new_tokens=WINDOW - 1, do_sample=False, loop_guard=True)
    assert guarded == plain and policy.last_loop_bans == 0
