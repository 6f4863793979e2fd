"""eval.conditioning measures how much a policy takes from the description: its per-token loss is
the model's own, its paint mask covers the paint values and nothing else, a policy trained to paint
what it is told has a clear paint gap, and an untrained one has almost none."""

import pytest

pytest.importorskip("torch")
from svg_agent._torchvision import ensure_torchvision  # noqa: E402

ensure_torchvision()

import torch  # noqa: E402

from eval.conditioning import paint_mask, prompt_reliance, token_losses  # noqa: E402

RECORDS = [
    ("a red square on white", '<svg><rect width="384" height="384" fill="white"/><rect fill="red"/></svg>'),
    ("a blue circle on black", '<svg><rect width="384" height="384" fill="black"/><circle fill="blue"/></svg>'),
    ("a green star on gray", '<svg><rect width="384" height="384" fill="gray"/><path fill="green"/></svg>'),
]


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    from svg_agent.app.tiny import build_tiny_policy

    return build_tiny_policy(tmp_path_factory.mktemp("tiny") / "model")


def _policy(folder):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from svg_agent.app.policy import Policy, PromptFormat

    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    return Policy(model, tok, PromptFormat("base"))


def _svg(body: str) -> str:
    from svg_agent.app.policy import SVG_OPEN

    return SVG_OPEN + body[len("<svg>") :]


def test_paint_mask_covers_the_paint_values_only(tiny_folder):
    policy = _policy(tiny_folder)
    text = '<rect fill="white"/><path d="M0 0h9" stroke="navy" stroke-width="3"/><stop stop-color="#abc"/>'
    ids, mask = paint_mask(policy.tokenizer, text)
    assert len(ids) == len(mask) and any(mask) and not all(mask)
    painted = policy.tokenizer.decode([i for i, m in zip(ids, mask) if m])
    for value in ("white", "navy", "abc"):
        assert value in painted
    for other in ("rect", "path", "M0", "stroke-width"):
        assert other not in painted


def test_token_losses_are_the_models_own_loss(tiny_folder):
    policy = _policy(tiny_folder)
    description, body = RECORDS[0]
    svg = _svg(body)
    losses, mask = token_losses(policy, description, svg)
    tok = policy.tokenizer
    prompt = tok(policy.format.prompt_text(tok, description), add_special_tokens=True)["input_ids"]
    completion = tok(policy.format.completion(svg), add_special_tokens=False)["input_ids"]
    ids = torch.tensor([prompt + completion])
    labels = ids.clone()
    labels[0, : len(prompt)] = -100
    with torch.no_grad():
        own = policy.model(input_ids=ids, labels=labels).loss
    assert losses.shape == mask.shape == (len(completion),)
    assert torch.isclose(losses.mean(), own, atol=1e-5)


def _train(policy, records, steps=240):
    tok = policy.tokenizer
    batches = []
    for description, svg in records:
        prompt = tok(policy.format.prompt_text(tok, description), add_special_tokens=True)["input_ids"]
        completion = tok(policy.format.completion(svg), add_special_tokens=False)["input_ids"]
        ids = torch.tensor([prompt + completion])
        labels = ids.clone()
        labels[0, : len(prompt)] = -100
        batches.append((ids, labels))
    opt = torch.optim.Adam(policy.model.parameters(), lr=3e-3)
    policy.model.train()
    for step in range(steps):
        ids, labels = batches[step % len(batches)]
        opt.zero_grad()
        policy.model(input_ids=ids, labels=labels).loss.backward()
        opt.step()


def test_a_policy_that_paints_what_it_is_told_relies_on_the_prompt(tiny_folder):
    records = [(d, _svg(b)) for d, b in RECORDS]
    untrained = prompt_reliance(_policy(tiny_folder), records)
    trained_policy = _policy(tiny_folder)
    _train(trained_policy, records)
    trained = prompt_reliance(trained_policy, records)
    assert trained.records == 3 and trained.paint_tokens > 0
    # trained: the colours come from the description, so a wrong one costs nats at the paint tokens
    assert trained.paint_loss_right < 0.5
    assert trained.paint_gap > 1.0
    assert trained.gap > 0
    # untrained: the description changes next to nothing
    assert abs(untrained.paint_gap) < 0.5 * trained.paint_gap
    assert untrained.as_dict()["paint_gap"] == untrained.paint_gap


def test_bad_pairings_are_refused(tiny_folder):
    policy = _policy(tiny_folder)
    records = [(d, _svg(b)) for d, b in RECORDS]
    with pytest.raises(ValueError, match="at least two"):
        prompt_reliance(policy, records[:1])
    with pytest.raises(ValueError, match="itself"):
        prompt_reliance(policy, records, shift=3)
