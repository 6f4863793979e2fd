"""The CPU fast path of training computes what TRL's own path computes: the completion-only loss and
its gradients match the model's own forward, the GRPO log-probabilities match TRL's, the Gumbel-max
sampler draws from softmax(logits / T), the merged generation copy follows the trained adapter and
not a patched source, and an output vocabulary is kept from training to generation."""

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
from svg_agent._torchvision import ensure_torchvision  # noqa: E402

ensure_torchvision()
pytest.importorskip("trl")
pytest.importorskip("peft")

import torch  # noqa: E402

from svg_agent.app import fastpath  # noqa: E402
from svg_agent.app.fastpath import OutputVocab, completion_logps  # noqa: E402
from svg_agent.errors import ConfigError, InputError  # noqa: E402


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    from svg_agent.app.tiny import build_tiny_policy

    return build_tiny_policy(tmp_path_factory.mktemp("tiny") / "model")


def _peft(folder, seed=0, r=4):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    model = get_peft_model(model, LoraConfig(r=r, lora_alpha=2 * r, target_modules="all-linear", task_type="CAUSAL_LM"))
    with torch.no_grad():  # LoRA B starts at zero; give the adapter an effect
        for n, p in model.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.05)
    return model


def _batch(vocab_size, seed=0, b=3, t=14):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, vocab_size, (b, t), generator=g)
    am = torch.ones_like(ids)
    am[1, -3:] = 0  # right padding on one row
    labels = ids.masked_fill(am == 0, -100)
    labels[:, :5] = -100  # the prompt
    return ids, am, labels


def _lora_grads(model):
    return {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None}


def test_completion_loss_and_gradients_match_the_models_own(tiny_folder):
    model = _peft(tiny_folder)
    ids, am, labels = _batch(model.config.vocab_size)
    ref = model(input_ids=ids, attention_mask=am, labels=labels).loss
    ref.backward()
    ref_grads = _lora_grads(model)
    model.zero_grad()
    mask = labels[:, 1:] != -100
    logps, _ = completion_logps(model, ids, am, mask, chunk=7)  # chunks smaller than the batch's positions
    loss = -logps.sum() / mask.sum()
    loss.backward()
    grads = _lora_grads(model)
    assert abs(float(loss) - float(ref)) < 1e-5
    assert set(grads) == set(ref_grads) and len(grads) > 4
    for n in grads:
        assert torch.allclose(grads[n], ref_grads[n], atol=1e-6, rtol=1e-4), n
    assert float(logps[~mask].abs().sum()) == 0.0


def test_softcapped_logits_and_temperature(tiny_folder):
    model = _peft(tiny_folder)
    model.get_base_model().config.final_logit_softcapping = 5.0
    ids, am, labels = _batch(model.config.vocab_size, seed=1)
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=am).logits[:, :-1]  # the model applies the softcap itself
        expected = torch.log_softmax(logits / 0.7, -1).gather(-1, ids[:, 1:, None]).squeeze(-1)
        mask = labels[:, 1:] != -100
        got, ent = completion_logps(model, ids, am, mask, temperature=0.7, entropy=True)
    assert torch.allclose(got[mask], expected[mask], atol=1e-5)
    p = torch.softmax(logits / 0.7, -1)
    assert torch.allclose(ent[mask], -(p * p.log()).sum(-1)[mask], atol=1e-4)


def test_vocabulary_softmax_is_over_the_subset(tiny_folder):
    model = _peft(tiny_folder)
    ids, am, labels = _batch(model.config.vocab_size, seed=2)
    mask = labels[:, 1:] != -100
    vocab = OutputVocab(sorted(set(ids.flatten().tolist()) | {0, 1, 2}), model.config.vocab_size)
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=am).logits[:, :-1]
        sub = logits[..., vocab.ids]
        expected = torch.log_softmax(sub, -1).gather(-1, vocab.row[ids[:, 1:]][..., None]).squeeze(-1)
        got, _ = completion_logps(model, ids, am, mask, vocab=vocab)
    assert torch.allclose(got[mask], expected[mask], atol=1e-5)
    assert bool((got[mask] > expected.new_tensor(-50)).all())
    small = OutputVocab([0, 1, 2], model.config.vocab_size)
    with pytest.raises(ValueError, match="outside the output vocabulary"):
        completion_logps(model, ids, am, mask, vocab=small)


def test_gumbel_sampler_draws_from_the_tempered_softmax():
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0, 0.5]])
    t = 0.8
    n = 40000
    proc = fastpath.gumbel_sampler(t, torch.Generator().manual_seed(0))
    counts = torch.zeros(5)
    for _ in range(n // 2000):
        scores = proc(None, logits.expand(2000, -1).clone())
        counts += torch.bincount(scores.argmax(-1), minlength=5).float()
    p = torch.softmax(logits[0] / t, -1)
    chi2 = float((((counts - n * p) ** 2) / (n * p)).sum())
    assert chi2 < 20.5  # 4 degrees of freedom: p < 0.0005 of failing by chance
    # with a vocabulary, tokens outside it are never drawn and the rest keep their ratios
    vocab = OutputVocab([0, 2, 4], 5)
    proc = fastpath.gumbel_sampler(t, torch.Generator().manual_seed(1), vocab)
    picks = torch.cat([proc(None, logits.expand(2000, -1).clone()).argmax(-1) for _ in range(10)])
    counts = torch.bincount(picks, minlength=5).float()
    assert counts[1] == 0 and counts[3] == 0
    q = torch.softmax(logits[0, [0, 2, 4]] / t, -1) * len(picks)
    assert float((((counts[[0, 2, 4]] - q) ** 2) / q).sum()) < 13.9  # 2 degrees of freedom


def test_merged_copy_follows_the_adapter_not_a_patched_source(tiny_folder):
    model = _peft(tiny_folder, seed=3)
    ids, am, _ = _batch(model.config.vocab_size, seed=3)
    gen = fastpath.MergedGenerator(model, "float32")
    gen.sync(0)
    with torch.no_grad():
        assert torch.allclose(
            gen.copy(input_ids=ids, attention_mask=am).logits, model(input_ids=ids, attention_mask=am).logits, atol=1e-4
        )
        for n, p in model.named_parameters():  # a training step changes the adapter
            if "lora_A" in n:
                p.add_(0.1)
        before = gen.copy(input_ids=ids, attention_mask=am).logits.clone()
        gen.sync(0)  # same step: nothing to do
        assert torch.equal(gen.copy(input_ids=ids, attention_mask=am).logits, before)
        gen.sync(1)
        assert torch.allclose(
            gen.copy(input_ids=ids, attention_mask=am).logits, model(input_ids=ids, attention_mask=am).logits, atol=1e-4
        )
    # TRL patches the source's forward with a closure over it; the copy must not run the source
    base = model.get_base_model()
    calls = []
    original = base.forward

    def patched(*a, **kw):
        calls.append(1)
        return original(*a, **kw)

    base.forward = patched
    copy2 = fastpath.MergedGenerator(model, "float32")
    with torch.no_grad():
        copy2.copy(input_ids=ids, attention_mask=am)
    assert calls == []


def test_merged_generation_with_a_vocabulary_writes_only_its_tokens(tiny_folder):
    model = _peft(tiny_folder, seed=4)
    allowed = list(range(0, model.config.vocab_size, 3))
    vocab = OutputVocab(allowed, model.config.vocab_size)
    gen = fastpath.MergedGenerator(model, "bfloat16", vocab)
    gen.sync(0)
    ids = torch.tensor([[2, 10, 11, 12]] * 4)
    out = gen.generate(ids, torch.ones_like(ids), max_new_tokens=12, temperature=1.0, eos_token_id=[1], pad_token_id=0)
    new = out[:, ids.shape[1] :]
    assert new.shape[1] >= 1
    assert set(new.flatten().tolist()) <= set(allowed)


def test_grpo_log_probabilities_match_trls(tiny_folder, tmp_path):
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    tok = AutoTokenizer.from_pretrained(tiny_folder)
    model = _peft(tiny_folder, seed=5)
    args = GRPOConfig(
        output_dir=str(tmp_path),
        per_device_train_batch_size=2,
        num_generations=2,
        max_completion_length=8,
        use_cpu=True,
        bf16=False,
        report_to=[],
        temperature=0.9,
    )
    ds = Dataset.from_list([{"prompt": "Description: a red circle\nSVG:\n"}] * 2)
    fast = fastpath.FastPath(completion_loss=True)
    cls = fastpath.rl_trainer_class(GRPOTrainer, fast)
    trainer = cls(
        model=model,
        reward_funcs=[lambda completions, **kw: [0.0] * len(completions)],
        args=args,
        train_dataset=ds,
        processing_class=tok,
    )
    ids, am, _ = _batch(model.config.vocab_size, seed=6, b=5, t=14)
    am[0, :2] = 0  # a left-padded prompt
    for row, pad in ((1, 4), (2, 0), (3, 6), (4, 2)):  # completions of different lengths, padded on the right
        am[row] = 1
        if pad:
            am[row, -pad:] = 0
    with torch.no_grad():  # ours: rows sorted by length in chunks, each cut after its longest completion
        ours, ent, _ = trainer._get_per_token_logps_and_entropies(trainer.model, ids, am, 8, compute_entropy=True)
        fast.completion_loss = False
        theirs, ent_t, _ = trainer._get_per_token_logps_and_entropies(trainer.model, ids, am, 8, compute_entropy=True)
    m = am[:, -8:].bool()
    assert ours.shape == theirs.shape == (5, 8)
    assert torch.allclose(ours[m], theirs[m], atol=1e-4)
    assert torch.allclose(ent[m], ent_t[m], atol=1e-3)
    assert float(ours[~m].abs().sum()) == 0.0


def test_resolve_decides_per_machine_and_rejects_bad_values(monkeypatch):
    monkeypatch.setattr(fastpath, "cpu_has_native_bf16", lambda: True)
    f = fastpath.resolve(cuda=False)
    assert f.bf16_autocast and f.completion_loss and f.merged_generation and f.generation_dtype == "bfloat16"
    monkeypatch.setattr(fastpath, "cpu_has_native_bf16", lambda: False)
    f = fastpath.resolve(cuda=False)
    assert not f.bf16_autocast and f.completion_loss and f.generation_dtype == "float32"
    f = fastpath.resolve(cuda=True)
    assert not (f.bf16_autocast or f.completion_loss or f.merged_generation) and "GPU" in f.reason
    f = fastpath.resolve(cuda=False, world_size=2)
    assert not (f.completion_loss or f.merged_generation)
    assert not fastpath.resolve(cuda=False, use_vllm=True).merged_generation
    with pytest.raises(ConfigError, match="auto, true or false"):
        fastpath.resolve("maybe", cuda=False)


def test_svg_tokens():
    from svg_agent.app.vocab import is_svg_token, svg_words

    words = svg_words()
    for t in ("<rect", "▁fill", '="#', "ff00", "▁stroke-width", "ZM", "0.5", "</svg>", "crimson", "\n"):
        assert is_svg_token(t, words), t
    for t in ("lighthouse", "▁cannot", "▁Sure", "<0x0A>", "日本", "sailboat", "€"):
        assert not is_svg_token(t, words), t


def test_vocabulary_files_fail_clearly(tmp_path):
    from svg_agent.app.vocab import load_vocab, save_vocab

    assert load_vocab(tmp_path) is None
    save_vocab(tmp_path, [1, 5, 7], 10)
    assert load_vocab(tmp_path, 10) == [1, 5, 7]
    with pytest.raises(InputError, match="another model"):
        load_vocab(tmp_path, 8)
    (tmp_path / "output_vocab.json").write_text("{not json")
    with pytest.raises(InputError, match="not an output vocabulary"):
        load_vocab(tmp_path)
    (tmp_path / "output_vocab.json").write_text(json.dumps({"vocab_size": 4, "ids": [1, 9]}))
    with pytest.raises(InputError, match="outside"):
        load_vocab(tmp_path)


def test_training_with_the_svg_vocabulary_keeps_it_to_generation(tiny_folder, tmp_path):
    from svg_agent.app.policy import PolicySpec, load_policy
    from svg_agent.app.train import TrainConfig, train
    from svg_agent.app.vocab import load_vocab

    cfg = TrainConfig(
        model=str(tiny_folder),
        prompt_format="base",
        output_dir=str(tmp_path / "run"),
        dataset_size=16,
        report_to=["none"],
        eval_descriptions=["a red circle on a blue background"],
        sample_max_new_tokens=12,
        sft_max_steps=2,
        sft_batch_size=2,
        grpo_max_steps=1,
        grpo_num_generations=2,
        grpo_batch_size=2,
        grpo_max_completion_length=16,
        grpo_rewards=["bytes"],
        grpo_reward_weights=[1.0],
        ocr_backend=None,
        judge=None,
        save_steps=1,
        lora_r=4,
        lora_alpha=8,
        output_vocab="svg",
        fast_generation="true",
        fast_loss="true",
    )
    summary = train(cfg)
    out = Path(cfg.output_dir)
    ids = load_vocab(out / "adapter")
    assert ids is not None and summary["output_vocab"] == len(ids)
    assert ids == load_vocab(out / "sft" / "adapter") == load_vocab(out)
    assert load_vocab(next((out / "grpo").glob("checkpoint-*"))) == ids
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_folder)
    assert len(ids) < len(tok) and tok.eos_token_id in ids
    policy = load_policy(PolicySpec(model=str(tiny_folder), adapter=str(out), prompt_format="base", device="cpu"))
    assert policy.vocab == ids
    outs = policy.sample(["a red circle on a blue background"], num_return_sequences=3, max_new_tokens=24, seed=0)
    assert len(outs[0]) == 3
    allowed = set(ids)
    # the generated ids stay inside the set (the merged policy's head computes those logits only)
    enc = tok([policy.format.prompt_text(tok, "a red circle")], return_tensors="pt")
    with torch.no_grad():
        raw = policy.model.generate(**enc, max_new_tokens=20, do_sample=True, top_k=0, pad_token_id=tok.pad_token_id)
    assert set(raw[0, enc["input_ids"].shape[1] :].tolist()) <= allowed


def test_bad_vocabulary_settings_are_config_errors():
    from svg_agent.app.train import TrainConfig

    with pytest.raises(ConfigError, match="output_vocab"):
        TrainConfig(output_vocab="tiny")
    with pytest.raises(ConfigError, match="fast path"):
        TrainConfig(output_vocab="svg", fast_generation="false")
    with pytest.raises(ConfigError, match="fast_loss must be"):
        TrainConfig(fast_loss="yes")


def test_allowed_tokens_processor_and_subset_head_agree_with_a_masked_softmax():
    vocab = OutputVocab([0, 3, 4, 9], 10)
    scores = torch.randn(2, 10)
    out = fastpath.allowed_tokens_processor(vocab)(None, scores.clone())
    keep = torch.zeros(10, dtype=torch.bool)
    keep[[0, 3, 4, 9]] = True
    assert torch.isinf(out[:, ~keep]).all() and torch.equal(out[:, keep], scores[:, keep])
    head = torch.nn.Linear(6, 10, bias=False)
    h = torch.randn(3, 6)
    sub = fastpath.subset_head(head, vocab)(h)
    full = head(h)
    assert torch.isinf(sub[:, ~keep]).all()
    assert torch.allclose(torch.softmax(sub, -1)[:, keep], torch.softmax(full[:, keep], -1), atol=1e-6)


def test_group_spans_and_token_weights_follow_the_groups(tiny_folder):
    from transformers import AutoTokenizer

    assert fastpath.group_spans('<rect/><g id="a"><g><path/></g></g></g><g>x') == [(7, 35), (39, 43)]
    assert fastpath.group_spans('<rect/><g id="a"><g><path/></g></g></g><g>x', skip=frozenset({"a"})) == [(39, 43)]
    assert fastpath.group_spans('<g id="sea"><path/></g><g id="kite"/>', skip=frozenset({"sea"})) == []
    tok = AutoTokenizer.from_pretrained(tiny_folder)
    text = (
        '<rect width="384" height="384" fill="#36c"/><g id="hot-air-balloon"><circle cx="9" r="3" fill="red"/>'
        '<g id="basket"><path d="M1 2h4"/></g></g><path d="M0 0z" fill="tan"/>'
    )
    enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
    ids = enc["input_ids"]
    weights = fastpath.GroupWeights(tok, 3.0).row(ids)
    start, end = text.index("<g "), text.index("</g></g>") + len("</g></g>")
    expected = [3.0 if a < end and b > start else 1.0 for a, b in enc["offset_mapping"]]
    joined = "".join(fastpath.GroupWeights(tok, 3.0).piece(t) for t in ids)
    assert joined in (text, " " + text)  # a Metaspace tokenizer reads a space before the first word
    assert weights == expected and 1.0 in weights and 3.0 in weights
    head = fastpath.GroupWeights(tok, 3.0, head=4).row(ids)  # the first 4 tokens after the opening tag
    opened = text.index('"hot-air-balloon">') + len('"hot-air-balloon">')
    firsts = [i for i, (a, b) in enumerate(enc["offset_mapping"]) if b > opened][:4]
    assert [i for i, v in enumerate(head) if v == 3.0] == firsts
    with pytest.raises(ValueError, match="positive"):
        fastpath.GroupWeights(tok, 0)
    with pytest.raises(ValueError, match="0 or more"):
        fastpath.GroupWeights(tok, 2.0, head=-1)


def test_group_weighted_sft_loss_is_the_weighted_mean(tiny_folder, tmp_path):
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import SFTConfig

    tok = AutoTokenizer.from_pretrained(tiny_folder)
    rows = [
        {
            "prompt": "Description: a red kite\nSVG:\n",
            "completion": '<g id="kite"><path d="M1 2l3 4z" fill="red"/></g>',
        },
        {
            "prompt": "Description: a blue sea\nSVG:\n",
            "completion": '<rect fill="blue"/><g id="sea"><path d="M0 9h9"/></g>',
        },
    ]
    args = SFTConfig(output_dir=str(tmp_path), per_device_train_batch_size=2, use_cpu=True, report_to=[], bf16=False)
    losses = {}
    for w in (1.0, 4.0):
        model = _peft(tiny_folder, seed=3)
        cls = fastpath.sft_trainer_class(fastpath.FastPath(completion_loss=True), None, w)
        trainer = cls(model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tok)
        batch = next(iter(trainer.get_train_dataloader()))
        losses[w] = float(trainer.compute_loss(trainer.model, batch))
        mask = batch["labels"][:, 1:] != -100
        with torch.no_grad():
            logps, _ = completion_logps(trainer.model, batch["input_ids"], batch["attention_mask"], mask)
        weights = fastpath.GroupWeights(tok, w)(batch["input_ids"], mask)
        inside = weights[mask] > 1.0
        assert (w == 1.0) == (not bool(inside.any()))
        ref = -(weights * logps)[mask].sum() / weights[mask].sum()
        assert abs(losses[w] - float(ref)) < 1e-5
    assert abs(losses[1.0] - losses[4.0]) > 1e-4  # the weight moves the loss
