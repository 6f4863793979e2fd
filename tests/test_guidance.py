"""Description guidance (classifier-free guidance against the prompt without its description): each
guided step is the formula over full forward passes, with left-padded batches and an output
vocabulary; 1 is plain decoding; bad scales are config errors."""

import pytest

pytest.importorskip("torch")
from svg_agent._torchvision import ensure_torchvision  # noqa: E402

ensure_torchvision()
pytest.importorskip("transformers")

import torch  # noqa: E402

from svg_agent.app.guidance import check_scale, description_guidance  # noqa: E402
from svg_agent.errors import ConfigError  # noqa: E402


@pytest.fixture(scope="module")
def policy(tiny_policy):
    return tiny_policy


def _logp(policy, text_ids):
    with torch.no_grad():
        return torch.log_softmax(policy.model(input_ids=torch.tensor([text_ids])).logits[0, -1].float(), -1)


def _ids(policy, description):
    tok = policy.tokenizer
    return tok(policy.format.prompt_text(tok, description), add_special_tokens=True)["input_ids"]


def _generate(policy, descs, processors, **kw):
    from transformers import LogitsProcessorList

    tok = policy.tokenizer
    tok.padding_side = "left"
    enc = tok([policy.format.prompt_text(tok, d) for d in descs], return_tensors="pt", padding=True)
    with torch.no_grad():
        out = policy.model.generate(
            **enc, logits_processor=LogitsProcessorList(processors), pad_token_id=tok.pad_token_id, **kw
        )
    return out[:, enc["input_ids"].shape[1] :]


@pytest.mark.parametrize("scale", [2.0, 4.0])
def test_each_guided_greedy_step_is_the_formula_over_full_passes(policy, scale):
    descs = ["a red circle on a blue background", "two green squares"]  # different lengths: left padding
    guide = description_guidance(policy.model, policy.tokenizer, policy.format, len(descs), scale)
    gen = _generate(policy, descs, [guide], do_sample=False, max_new_tokens=10, min_new_tokens=10)
    uncond = _ids(policy, "")
    plain_picks = 0
    for d, row in zip(descs, gen.tolist()):
        cond = _ids(policy, d)
        for t, token in enumerate(row):
            c, u = _logp(policy, cond + row[:t]), _logp(policy, uncond + row[:t])
            guided = u + scale * (c - u)
            # the batched, left-padded, cached passes of generate() differ from a lone full pass by
            # float noise; a tiny random model's logits are near ties, so allow a little of it
            assert guided[token] >= guided.max() - 0.03 * scale, (d, t, float(guided[token]), float(guided.max()))
            plain_picks += int(c.argmax()) == token
    assert plain_picks < 2 * 10  # guidance changed at least one choice: the test can tell it is on


def test_sample_with_guidance_one_is_plain_decoding_and_above_it_is_not(policy):
    descs = ["a red circle on a blue background", "two green squares"]
    plain = policy.sample(descs, max_new_tokens=12, do_sample=False)
    assert policy.sample(descs, max_new_tokens=12, do_sample=False, guidance=1.0) == plain
    assert policy.sample(descs, max_new_tokens=12, do_sample=False, guidance=4.0) != plain
    sampled = policy.sample(descs, num_return_sequences=2, max_new_tokens=12, seed=0, guidance=2.0)
    assert [len(x) for x in sampled] == [2, 2]


def test_guidance_keeps_to_the_output_vocabulary(policy):
    from svg_agent.app.fastpath import OutputVocab, allowed_tokens_processor

    tok = policy.tokenizer
    allowed = sorted({*tok('<rect fill="red"/></svg>', add_special_tokens=False)["input_ids"], tok.eos_token_id})
    guide = description_guidance(policy.model, tok, policy.format, 4, 3.0)
    keep = allowed_tokens_processor(OutputVocab(allowed, policy.model.config.vocab_size))
    torch.manual_seed(0)
    gen = _generate(
        policy,
        ["a red circle", "sky"],
        [keep, guide],
        do_sample=True,
        top_k=0,
        num_return_sequences=2,
        max_new_tokens=10,
    )
    assert set(gen.flatten().tolist()) <= set(allowed) | {tok.pad_token_id}


def test_bad_scales_are_config_errors():
    assert check_scale(1) == 1.0 and check_scale("2.5") == 2.5
    for bad in (0.5, -1, float("nan")):
        with pytest.raises(ConfigError, match="guidance"):
            check_scale(bad)
