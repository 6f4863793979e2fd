"""The CPU fast path of training: bf16 autocast, log-probabilities at completion positions only, and
RL generation from a merged bf16 copy of the policy with an exact sampler.

On a GPU, TRL's own paths are the right ones (its fused LM head runs as a Triton kernel, vLLM
generates). On a CPU they cost most of a step: TRL's fused head scores every position of the batch
(prompt and padding included) through torch-op tiles and adds per-token entropy and top-1
accuracy over the 262,144-entry vocabulary; generation runs the LoRA layers unmerged in float32
and draws each token with `torch.multinomial`, whose exponential draws over the whole vocabulary
take longer than the model's own layers.

The three levers, each decided at run time (`resolve`) and each exact in what it computes:

- **bf16 autocast** where the CPU has native bfloat16 (AVX512-BF16 or AMX): the matrix products run
  in bf16, the weights, optimizer and loss stay in float32.
- **Completion-only log-probabilities** (`completion_logps`): the backbone's hidden states are
  gathered at the positions whose next token is trained, the LM head runs on those alone, and the
  log-softmax is taken in float32. The loss and its gradients are those of the model's own
  forward (a test checks them against it). No full-vocabulary metrics per step.
- **Merged generation** (`MergedGenerator`): a copy of the model with the LoRA deltas folded into
  its weights, in bf16 where the CPU has it, refreshed after every optimizer step; tokens are drawn
  with the Gumbel-max trick (`GumbelSampler`), which samples exactly from softmax(logits / T),
  at a fifth of `torch.multinomial`'s cost. Used when sampling is plain temperature sampling (no
  top-p, top-k, min-p or repetition penalty); otherwise TRL generates as usual.
"""

from __future__ import annotations

import copy
import re
from dataclasses import asdict, dataclass
from pathlib import Path

CHOICES = ("auto", "true", "false")


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (x86 AVX512-BF16 or AMX-BF16)."""
    flags = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        try:
            flags = cpuinfo.read_text(errors="ignore")
        except OSError:
            flags = ""
    if "avx512_bf16" in flags or "amx_bf16" in flags:
        return True
    try:
        import torch

        return bool(torch.cpu._is_avx512_bf16_supported())  # where /proc/cpuinfo is not there
    except (AttributeError, RuntimeError):
        return False


@dataclass
class FastPath:
    """Which levers a run uses, and why (`reason` names what turned the fast path off)."""

    bf16_autocast: bool = False
    completion_loss: bool = False
    merged_generation: bool = False
    generation_dtype: str = "float32"
    reason: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def _choice(name: str, value) -> str:
    value = str(value).lower()
    if value not in CHOICES:
        from ..errors import ConfigError

        raise ConfigError(f"{name} must be auto, true or false, not {value!r}")
    return value


def resolve(
    cpu_bf16: str = "auto",
    fast_loss: str = "auto",
    fast_generation: str = "auto",
    *,
    cuda: bool,
    world_size: int = 1,
    use_vllm: bool = False,
    gradient_checkpointing: bool = False,
) -> FastPath:
    """The fast path's levers for a run. `auto` turns each on where it is the faster exact choice."""
    cpu_bf16, fast_loss, fast_generation = (
        _choice(n, v)
        for n, v in (("cpu_bf16", cpu_bf16), ("fast_loss", fast_loss), ("fast_generation", fast_generation))
    )
    reasons = []
    native = (not cuda) and cpu_has_native_bf16()
    bf16 = (cpu_bf16 == "true" and not cuda) or (cpu_bf16 == "auto" and native)
    if cuda:
        reasons.append("on a GPU TRL's own paths run (use bf16: true there)")
    single = world_size == 1
    if not single:
        reasons.append(f"{world_size} processes: TRL's paths keep the gradient synchronisation")
    loss = fast_loss == "true" or (fast_loss == "auto" and not cuda and single)
    gen = (fast_generation == "true" and not use_vllm) or (
        fast_generation == "auto" and not cuda and single and not use_vllm and not gradient_checkpointing
    )
    if use_vllm:
        reasons.append("vLLM generates")
    return FastPath(
        bf16_autocast=bf16,
        completion_loss=loss,
        merged_generation=gen,
        generation_dtype="bfloat16" if (bf16 or (cuda and gen)) else "float32",
        reason="; ".join(reasons),
    )


# ---------------------------------------------------------------- completion-only log-probabilities

_SCALES = ("logit_scale", "output_multiplier", "lm_head_multiplier", "logits_scaling")


def supports_completion_logps(model) -> bool:
    """Whether `completion_logps` computes this model's logits exactly (backbone, head, optional softcap)."""
    lm = _causal_lm(model)
    config = lm.config.get_text_config() if hasattr(lm.config, "get_text_config") else lm.config
    if any(getattr(config, name, None) not in (None, 1, 1.0) for name in _SCALES):
        return False
    head = lm.get_output_embeddings()
    return head is not None and getattr(head, "bias", None) is None and hasattr(lm, "base_model")


def _causal_lm(model):
    """The transformers causal LM under a PeftModel (LoRA layers included) or the model itself."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


class OutputVocab:
    """Token ids a policy may write (`svg_agent.app.vocab`), with the map from a token id to its row."""

    def __init__(self, ids: list[int], vocab_size: int):
        self.vocab_size = int(vocab_size)
        self._set(ids)

    def _set(self, ids) -> None:
        import torch

        self.ids = torch.tensor(sorted(set(int(i) for i in ids)), dtype=torch.long)
        if len(self.ids) and (int(self.ids[0]) < 0 or int(self.ids[-1]) >= self.vocab_size):
            raise ValueError(f"output vocabulary ids must lie in 0..{self.vocab_size - 1}")
        self.row = torch.full((self.vocab_size,), -1, dtype=torch.long)
        self.row[self.ids] = torch.arange(len(self.ids))

    def save(self, folder) -> None:
        """Write the set beside an adapter (`svg_agent.app.vocab.FILENAME`)."""
        from .vocab import save_vocab

        save_vocab(folder, self.ids.tolist(), self.vocab_size)

    def extend(self, ids) -> None:
        """Add tokens (before training starts: the set is the policy's support)."""
        new = set(int(i) for i in ids) - set(self.ids.tolist())
        if new:
            self._set(self.ids.tolist() + sorted(new))

    def __len__(self) -> int:
        return len(self.ids)

    def rows(self, token_ids):
        """Each token's row in the subset; a token outside it is an error (it has no probability)."""
        rows = self.row.to(token_ids.device)[token_ids]
        if bool((rows < 0).any()):
            bad = sorted(set(token_ids[rows < 0].tolist()))[:5]
            raise ValueError(f"tokens {bad} are outside the output vocabulary: they cannot be scored")
        return rows


def completion_logps(
    model,
    input_ids,
    attention_mask,
    label_mask,
    temperature: float = 1.0,
    entropy: bool = False,
    chunk: int = 1024,
    vocab: OutputVocab | None = None,
):
    """Log-probability of each next token where `label_mask` is set, and optionally the entropy there.

    `label_mask` is [batch, seq - 1]: position t scores token t + 1. Returns (logps, entropies) as
    [batch, seq - 1] tensors, zero where the mask is not set; entropies carry no gradient. The
    head runs on the masked positions only, in chunks of `chunk` positions; the log-softmax is
    taken in float32. With `vocab`, the softmax runs over those tokens only (the policy's support).
    """
    import torch
    import torch.nn.functional as F

    lm = _causal_lm(model)
    config = lm.config.get_text_config() if hasattr(lm.config, "get_text_config") else lm.config
    softcap = getattr(config, "final_logit_softcapping", None)
    hidden = lm.base_model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).last_hidden_state
    head = lm.get_output_embeddings()
    mask = label_mask.bool()
    targets = input_ids[:, 1:][mask]
    h = hidden[:, :-1][mask]
    weight = head.weight
    if vocab is not None:
        weight = weight[vocab.ids.to(weight.device)]
        targets = vocab.rows(targets)
    logps, ents = [], []
    for start in range(0, h.shape[0], chunk):
        logits = F.linear(h[start : start + chunk], weight)
        if softcap is not None:
            logits = torch.tanh(logits.float() / softcap) * softcap
        if temperature != 1.0:
            logits = logits / temperature
        logp = torch.log_softmax(logits, dim=-1, dtype=torch.float32)  # one fused pass, float32 out
        logps.append(logp.gather(-1, targets[start : start + chunk, None]).squeeze(-1))
        if entropy:
            with torch.no_grad():
                ents.append(-(logp.exp() * logp).sum(-1))
        del logits, logp
    flat = torch.cat(logps) if logps else h.new_zeros(0, dtype=torch.float32)
    out = torch.zeros(mask.shape, dtype=torch.float32, device=flat.device).masked_scatter(mask, flat)
    ent = None
    if entropy:
        flat_e = torch.cat(ents) if ents else flat.detach()
        ent = torch.zeros(mask.shape, dtype=torch.float32, device=flat.device).masked_scatter(mask, flat_e)
    return out, ent


def autocast(enabled: bool):
    import torch

    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=enabled)


# ---------------------------------------------------------------- generation


def gumbel_sampler(temperature: float, generator=None, vocab: OutputVocab | None = None):
    """A logits processor that adds Gumbel noise to logits / T: its argmax is a sample of softmax(logits / T).

    With greedy decoding (`do_sample=False`) generation then samples exactly at temperature T. With
    `vocab`, every other token gets -inf: the sample is from softmax over the vocabulary.
    """
    import torch
    from transformers import LogitsProcessor

    class GumbelSampler(LogitsProcessor):
        def __call__(self, input_ids, scores):
            if vocab is None:
                u = torch.rand(scores.shape, generator=generator, device=scores.device, dtype=torch.float32)
                return scores.float() / temperature - torch.log(-torch.log(u.clamp_(min=1e-20)))
            ids = vocab.ids.to(scores.device)
            sub = scores[:, ids].float() / temperature
            u = torch.rand(sub.shape, generator=generator, device=scores.device, dtype=torch.float32)
            out = torch.full(scores.shape, float("-inf"), device=scores.device, dtype=torch.float32)
            out[:, ids] = sub - torch.log(-torch.log(u.clamp_(min=1e-20)))
            return out

    return GumbelSampler()


def allowed_tokens_processor(vocab: OutputVocab):
    """A logits processor that gives -inf to every token outside `vocab` (for plain generate())."""
    import torch
    from transformers import LogitsProcessor

    class AllowedTokens(LogitsProcessor):
        drop = None  # the mask of tokens outside the vocabulary, built on first use

        def __call__(self, input_ids, scores):
            if self.drop is None or self.drop.shape[0] != scores.shape[-1] or self.drop.device != scores.device:
                self.drop = torch.ones(scores.shape[-1], dtype=torch.bool, device=scores.device)
                self.drop[vocab.ids.to(scores.device)[vocab.ids < scores.shape[-1]]] = False
            return scores.masked_fill(self.drop, float("-inf"))

    return AllowedTokens()


def subset_head(head, vocab: OutputVocab):
    """An LM head that computes the logits of `vocab` only and -inf elsewhere (same output shape)."""
    import torch

    class SubsetHead(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("ids", vocab.ids.to(head.weight.device), persistent=False)
            self.weight = torch.nn.Parameter(head.weight.detach()[self.ids].clone(), requires_grad=False)
            self.vocab_size = head.weight.shape[0]

        def forward(self, h):
            sub = torch.nn.functional.linear(h, self.weight)
            out = sub.new_full((*sub.shape[:-1], self.vocab_size), float("-inf"))
            out[..., self.ids] = sub
            return out

    return SubsetHead()


def _lora_layers(peft_model) -> list[tuple[str, object]]:
    from peft.tuners.lora import Linear as LoraLinear

    return [(name, m) for name, m in peft_model.named_modules() if isinstance(m, LoraLinear)]


def supports_merged_generation(model) -> bool:
    """Plain LoRA on linear layers, one active adapter, nothing merged, no DoRA: the deltas fold exactly."""
    if not hasattr(model, "get_base_model"):
        return True  # no adapter: the copy is the model itself
    layers = _lora_layers(model)
    head = _causal_lm(model).get_output_embeddings()
    if any(m is head for _, m in layers):
        return False
    for _, m in layers:
        if m.merged or len(m.active_adapters) != 1 or any(m.use_dora.get(a, False) for a in m.active_adapters):
            return False
    from peft.tuners.tuners_utils import BaseTunerLayer

    others = [m for _, m in model.named_modules() if isinstance(m, BaseTunerLayer) and m not in {x for _, x in layers}]
    return not others


class MergedGenerator:
    """A generation copy of a (PEFT) model: LoRA deltas folded in, cast to `dtype`, refreshed on `sync()`."""

    def __init__(self, model, dtype: str = "bfloat16", vocab: OutputVocab | None = None):
        import torch

        self.source = model
        self.vocab = vocab
        self.dtype = {"bfloat16": torch.bfloat16, "float32": torch.float32, "float16": torch.float16}[dtype]
        peft = hasattr(model, "get_base_model")
        copy_ = copy.deepcopy(model)
        self.copy = (copy_.merge_and_unload() if peft else copy_).to(self.dtype).eval()
        for m in self.copy.modules():
            # A patched forward (TRL's fused head, accelerate's wrappers) is a closure over the *source*
            # model, which deepcopy does not follow: the copy would run the source. Use the class's own.
            m.__dict__.pop("forward", None)
        for p in self.copy.parameters():
            p.requires_grad_(False)
        if vocab is not None:  # the head computes the vocabulary's logits only
            self.copy.set_output_embeddings(subset_head(self.copy.get_output_embeddings(), vocab))
        self._targets = []
        if peft:
            modules = dict(self.copy.named_modules())
            prefix = "base_model.model."
            for name, layer in _lora_layers(model):
                self._targets.append((layer, modules[name[len(prefix) :] if name.startswith(prefix) else name]))
        self.synced_at = None

    def sync(self, step=None) -> None:
        """Copy the source's current weights (base + LoRA delta) into the generation copy."""
        import torch

        if step is not None and step == self.synced_at:
            return
        with torch.no_grad():
            for layer, target in self._targets:
                (adapter,) = layer.active_adapters
                w = layer.base_layer.weight.float() + layer.get_delta_weight(adapter).float()
                target.weight.copy_(w.to(self.dtype))
        self.synced_at = step

    def generate(
        self,
        input_ids,
        attention_mask,
        max_new_tokens: int,
        temperature: float,
        eos_token_id,
        pad_token_id,
        generator=None,
    ):
        """Sampled continuations at temperature T (Gumbel-max), as generate() returns them (prompt included)."""
        import torch
        from transformers import GenerationConfig, LogitsProcessorList

        config = GenerationConfig(
            max_new_tokens=max_new_tokens,
            do_sample=False,
            eos_token_id=eos_token_id,
            pad_token_id=pad_token_id,
            use_cache=True,
        )
        with torch.no_grad():
            return self.copy.generate(
                input_ids=input_ids,
                attention_mask=attention_mask,
                generation_config=config,
                logits_processor=LogitsProcessorList([gumbel_sampler(temperature, generator, self.vocab)]),
            )


# ---------------------------------------------------------------- trainers


_GROUP_TAG = re.compile(r"<g\b[^>]*>|</g\s*>")
_GROUP_ID = re.compile(r"""\bid\s*=\s*["']([^"']*)["']""")


def _groups(text: str, skip: frozenset[str] = frozenset()) -> list[tuple[int, int, int]]:
    """(start, end of the opening tag, end) of each outermost `<g>...</g>` in `text` whose id is not
    in `skip`; an unclosed group runs to the end, an empty `<g/>` holds nothing."""
    out, depth, start, opened, keep = [], 0, 0, 0, True
    for m in _GROUP_TAG.finditer(text):
        if m.group().startswith("</"):
            if depth == 0:
                continue
            depth -= 1
            if depth == 0 and keep:
                out.append((start, opened, m.end()))
        elif not m.group().endswith("/>"):
            if depth == 0:
                start, opened = m.start(), m.end()
                ident = _GROUP_ID.search(m.group())
                keep = not (ident and ident.group(1) in skip)
            depth += 1
    if depth and keep:
        out.append((start, opened, len(text)))
    return out


def group_spans(text: str, skip: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
    """The character spans of the outermost `<g>...</g>` elements in `text`, tags included (an
    unclosed group runs to the end), leaving out groups whose id is in `skip`."""
    return [(a, c) for a, _, c in _groups(text, skip)]


class GroupWeights:
    """Per-token loss weights: `weight` on the tokens that fall inside a `<g>` element (in the
    corpus, a group whose id names what the description names: the object, the garment, the
    shapes, the terrain) unless its id is in `skip`, 1 elsewhere. With `head`, only the first
    `head` tokens after each group's opening tag: where the drawing of the named thing starts,
    the tokens that decide what is drawn (the rest follow from them). Token texts come from the
    tokenizer's own pieces, so the offsets are those of the concatenated pieces."""

    def __init__(self, tokenizer, weight: float, skip=(), head: int = 0):
        if weight <= 0:
            raise ValueError(f"the named-group loss weight must be positive, not {weight}")
        if head < 0:
            raise ValueError(f"the group head is a number of tokens, 0 or more, not {head}")
        self.tokenizer, self.weight, self._text = tokenizer, float(weight), {}
        self.skip, self.head = frozenset(skip), int(head)
        self._anchor = tokenizer("a", add_special_tokens=False)["input_ids"][-1:]
        self._anchor_text = self._decode(self._anchor)

    def _decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)

    def piece(self, token_id: int) -> str:
        """The token's text as it reads inside a sequence (decoding it after another token keeps
        the leading space that a decoder drops at the start of a text)."""
        text = self._text.get(token_id)
        if text is None:
            both = self._decode(self._anchor + [token_id])
            head = self._anchor_text
            text = both[len(head) :] if both.startswith(head) else self._decode([token_id])
            self._text[token_id] = text
        return text

    def row(self, ids: list[int]) -> list[float]:
        pieces = [self.piece(t) for t in ids]
        starts, at = [], 0
        for p in pieces:
            starts.append(at)
            at += len(p)
        out = [1.0] * len(pieces)
        for start, opened, end in _groups("".join(pieces), self.skip):
            taken = 0
            for i, (s, p) in enumerate(zip(starts, pieces)):
                if s >= end or (self.head and taken >= self.head):
                    break
                e = s + max(len(p), 1)
                if e <= (opened if self.head else start):
                    continue
                out[i] = self.weight
                taken += 1
        return out

    def __call__(self, input_ids, label_mask):
        """[batch, seq - 1] weights for the targets `input_ids[:, 1:]` where `label_mask` is set."""
        import torch

        w = torch.ones(label_mask.shape, dtype=torch.float32)
        for b in range(label_mask.shape[0]):
            pos = label_mask[b].nonzero().flatten()
            if pos.numel():
                ids = input_ids[b, 1:][pos].tolist()
                w[b, pos.cpu()] = torch.tensor(self.row(ids))
        return w.to(label_mask.device)


def sft_trainer_class(
    fast: FastPath, vocab: OutputVocab | None = None, group_weight: float = 1.0, group_skip=(), group_head: int = 0
):
    """TRL's SFTTrainer, computing the loss with `completion_logps` under the fast path's autocast.
    `group_weight` != 1 weights the tokens inside `<g>` elements (but those with an id in
    `group_skip`; with `group_head`, their first tokens only) by it (`GroupWeights`): the loss is
    then the weighted mean of the token losses (it needs the completion-only loss)."""
    import torch
    from trl import SFTTrainer

    class FastSFTTrainer(SFTTrainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            compact = fast.completion_loss and not return_outputs and supports_completion_logps(model)
            if vocab is not None and not compact:
                raise ValueError("an output vocabulary needs the completion-only loss (fast_loss) on this model")
            if group_weight != 1.0 and not compact:
                raise ValueError("a named-group loss weight needs the completion-only loss (fast_loss) on this model")
            if not compact:
                with autocast(fast.bf16_autocast):
                    return super().compute_loss(
                        model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch
                    )
            mode = "train" if self.model.training else "eval"
            labels = inputs["labels"]
            mask = labels[:, 1:] != -100
            with autocast(fast.bf16_autocast):
                logps, _ = completion_logps(model, inputs["input_ids"], inputs["attention_mask"], mask, vocab=vocab)
            count = mask.sum()
            if group_weight != 1.0:
                if not hasattr(self, "_group_weights"):
                    self._group_weights = GroupWeights(self.processing_class, group_weight, group_skip, group_head)
                # the weighted mean over the batch's completion tokens, so the loss keeps the plain
                # one's scale (measured: the weighted sum over the token count, a larger step on the
                # same learning rate, lowered the reward, the raw validity and the objects recognised;
                # benchmarks/results/policy_grouphead*)
                w = self._group_weights(inputs["input_ids"], mask)
                logps = logps * w * (count / w[mask].sum().clamp(min=1e-6))
            denom = num_items_in_batch if num_items_in_batch is not None else count.clamp(min=1)
            loss = -logps.sum() / torch.as_tensor(denom).clamp(min=1)
            if mode == "train":
                self._total_train_tokens += int(inputs["attention_mask"].sum())
            self._metrics[mode]["num_tokens"] = [self._total_train_tokens]
            return loss

    return FastSFTTrainer


def rl_trainer_class(base, fast: FastPath, vocab: OutputVocab | None = None):
    """TRL's GRPOTrainer or RLOOTrainer with the fast path's log-probabilities and generation."""
    import torch

    rloo = base.__name__.startswith("RLOO")

    class FastRLTrainer(base):
        _merged = None

        def _get_per_token_logps_and_entropies(
            self,
            model,
            input_ids,
            attention_mask,
            logits_to_keep,
            batch_size=None,
            compute_entropy=False,
            compute_aux_loss=False,
            **multimodal,
        ):
            plain = not any(v is not None for v in multimodal.values()) and not compute_aux_loss
            compact = fast.completion_loss and plain and supports_completion_logps(model)
            if vocab is not None and not compact:
                raise ValueError("an output vocabulary needs the completion-only log-probabilities (fast_loss)")
            if not compact:
                with autocast(fast.bf16_autocast):
                    return super()._get_per_token_logps_and_entropies(
                        model,
                        input_ids,
                        attention_mask,
                        logits_to_keep,
                        batch_size=batch_size,
                        compute_entropy=compute_entropy,
                        compute_aux_loss=compute_aux_loss,
                        **multimodal,
                    )
            # Rows in order of completion length, in chunks, each cut after its longest completion: the
            # padding after a row's end changes nothing before it (causal attention), only costs time.
            n = input_ids.size(0)
            if not batch_size:
                batch_size = (n + 1) // 2 if n >= 4 else n
            order = torch.argsort(attention_mask[:, -logits_to_keep:].sum(1), stable=True)
            all_logps, all_ents = [], []
            for start in range(0, n, batch_size):
                rows = order[start : start + batch_size]
                ids, am = input_ids[rows], attention_mask[rows]
                used = am.any(0).nonzero()
                cut = am.size(1) - (int(used[-1]) + 1 if len(used) else am.size(1))
                keep = logits_to_keep - min(cut, logits_to_keep - 1)
                width = am.size(1) - (logits_to_keep - keep)
                ids, am = ids[:, :width], am[:, :width]
                mask = am[:, 1:].bool().clone()
                mask[:, :-keep] = False  # only the completion tokens are scored
                with autocast(fast.bf16_autocast):
                    logps, ents = completion_logps(
                        model, ids, am, mask, temperature=self.temperature, entropy=compute_entropy, vocab=vocab
                    )
                pad = logits_to_keep - keep
                all_logps.append(torch.nn.functional.pad(logps[:, -keep:], (0, pad)))
                if compute_entropy:
                    all_ents.append(torch.nn.functional.pad(ents[:, -keep:], (0, pad)))
            back = torch.argsort(order)
            return (torch.cat(all_logps)[back], (torch.cat(all_ents)[back] if compute_entropy else None), None)

        def _fast_generation_applies(self, multimodal_fields) -> bool:
            gc = self.generation_config
            plain_sampling = (
                (gc.top_p is None or gc.top_p >= 1.0)
                and not gc.top_k
                and gc.min_p is None
                and (gc.repetition_penalty is None or gc.repetition_penalty == 1.0)
            )
            return (
                fast.merged_generation
                and plain_sampling
                and not multimodal_fields
                and not self.use_vllm
                and not getattr(self, "use_transformers_continuous_batching", False)
                and not getattr(self, "tools", None)
                and not self.args.generation_kwargs
                and supports_merged_generation(self.model)
            )

        def _generate_single_turn(self, prompt_ids, images, multimodal_fields, *args, **kwargs):
            if not self._fast_generation_applies(multimodal_fields):
                if vocab is not None:
                    raise ValueError(
                        "an output vocabulary needs the merged generation (fast_generation, plain "
                        "temperature sampling, no vLLM)"
                    )
                return super()._generate_single_turn(prompt_ids, images, multimodal_fields, *args, **kwargs)
            completion_ids = self._merged_generate(prompt_ids)
            return completion_ids if rloo else (completion_ids, None)  # GRPO also returns (no) sampling logprobs

        def _merged_generate(self, prompt_ids) -> list[list[int]]:
            from trl.trainer.utils import pad

            if self._merged is None:
                self._merged = MergedGenerator(self.accelerator.unwrap_model(self.model), fast.generation_dtype, vocab)
            self._merged.sync(self.state.global_step)
            device = self.accelerator.device
            tensors = [torch.tensor(ids) for ids in prompt_ids]
            padded = pad(tensors, padding_value=self._tokenizer.pad_token_id, padding_side="left").to(device)
            am = pad([torch.ones_like(t) for t in tensors], padding_value=0, padding_side="left").to(device)
            out = self._merged.generate(
                padded,
                am,
                max_new_tokens=self.generation_config.max_new_tokens,
                temperature=self.temperature,
                eos_token_id=self.eos_token_ids,
                pad_token_id=self._tokenizer.pad_token_id,
            )
            completion_ids = out[:, padded.size(1) :]
            # everything after the first EOS is dropped, as TRL does
            is_eos = torch.isin(completion_ids, torch.tensor(self.eos_token_ids, device=device))
            eos_idx = torch.full((is_eos.size(0),), is_eos.size(1), dtype=torch.long, device=device)
            eos_idx[is_eos.any(dim=1)] = is_eos.int().argmax(dim=1)[is_eos.any(dim=1)]
            keep = torch.arange(is_eos.size(1), device=device).expand(is_eos.size(0), -1) <= eos_idx.unsqueeze(1)
            return [c[m].tolist() for c, m in zip(completion_ids.cpu(), keep.cpu())]

    FastRLTrainer.__name__ = "Fast" + base.__name__
    return FastRLTrainer
