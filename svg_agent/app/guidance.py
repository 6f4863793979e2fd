"""Description guidance: classifier-free guidance for a causal LM, against the prompt without its description.

    from svg_agent.app.guidance import description_guidance
    processor = description_guidance(model, tokenizer, fmt, batch_rows=4, scale=2.0)
    model.generate(**enc, logits_processor=LogitsProcessorList([processor]))

At every step the next-token log-probabilities under the description (`cond`) are pushed away from
those under the same prompt with an empty description (`uncond`):

    guided = uncond + scale * (cond - uncond)

(Sanchez et al., "Stay on topic with classifier-free guidance", 2023). `scale` 1 is plain decoding;
above 1, tokens that the description makes likelier (its colours, its object's parts) gain, and
those the policy writes whatever it is asked (the corpus's commonest background) lose. The
unconditional pass runs beside generation with its own key-value cache, one token a step, so a
guided step costs about two plain ones. Tokens that either pass rules out (-inf: outside the
policy's output vocabulary) stay ruled out.
"""

from __future__ import annotations

from ..errors import ConfigError


def check_scale(scale: float) -> float:
    scale = float(scale)
    if not scale >= 1.0:  # also refuses NaN
        raise ConfigError(f"guidance must be 1 (off) or more, not {scale!r}")
    return scale


def _cache_keyword(model) -> str:
    """`cache` (transformers 5.x) or `past_key_values` (earlier), as the model's forward names it."""
    import inspect

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "cache" if "cache" in inspect.signature(base.forward).parameters else "past_key_values"


def description_guidance(model, tokenizer, fmt, batch_rows: int, scale: float):
    """A logits processor guiding `batch_rows` sequences of `model.generate` by their description.

    `fmt` is the policy's PromptFormat; the unconditional prompt is its prompt for an empty
    description. Build one per generate() call: it keeps the unconditional pass's cache.
    """
    import torch
    from transformers import LogitsProcessor

    scale = check_scale(scale)
    cache_kw = _cache_keyword(model)
    text = fmt.prompt_text(tokenizer, "")
    ids = tokenizer(text, return_tensors="pt", add_special_tokens=fmt.kind == "base")["input_ids"]

    class DescriptionGuidance(LogitsProcessor):
        def __init__(self):
            self.cache = None
            self.mask = None
            self.seen = None  # generated tokens already fed to the unconditional pass

        def _uncond_logits(self, input_ids):
            device = input_ids.device
            if self.cache is None:
                feed = ids.to(device).expand(input_ids.shape[0], -1)
                self.mask = torch.ones_like(feed)
                self.seen = input_ids.shape[1]
            else:
                feed = input_ids[:, self.seen :]
                self.mask = torch.cat([self.mask, torch.ones_like(feed)], dim=1)
                self.seen = input_ids.shape[1]
            out = model(input_ids=feed, attention_mask=self.mask, use_cache=True, **{cache_kw: self.cache})
            self.cache = getattr(out, "cache", None) or getattr(out, "past_key_values", None)
            return out.logits[:, -1].float()

        def __call__(self, input_ids, scores):
            if input_ids.shape[0] != batch_rows:
                raise ValueError(f"guidance was built for {batch_rows} rows, generate() has {input_ids.shape[0]}")
            cond = torch.log_softmax(scores.float(), dim=-1)
            uncond = torch.log_softmax(self._uncond_logits(input_ids), dim=-1)
            guided = uncond + scale * (cond - uncond)
            ok = torch.isfinite(cond) & torch.isfinite(uncond)
            return torch.where(ok, guided, torch.full_like(cond, float("-inf"))).to(scores.dtype)

    return DescriptionGuidance()
