"""PaliGemma 2 VQA faithfulness and OCR, exactly as the competition scores them.

    from rewards.vqa import PaliGemmaScorer
    pg = PaliGemmaScorer("google/paligemma2-10b-mix-448", load_in_4bit=True)   # or a local folder
    pg.score(image, [{"question": ..., "choices": [...], "answer": ...}, ...])  # mean P(correct)
    pg.read(image)                                                            # OCR text

VQA: per question the prompt `<image>answer en Question: {q}\\nChoices:\\n` + `{letter}. {choice}\\n`;
questions go through the model 4 at a time (padding to the longest); the last position's logits
are restricted to the first tokens of "A" and " A" (etc.), softmaxed, each choice's probability is
the sum of its two variants, renormalised over the choices; the score is the mean probability of
the correct answers. OCR: `<image>ocr\\n`, greedy, at most 32 new tokens, decoded without special
tokens. The model loads lazily from a hub id or a local folder; 4-bit NF4 (bitsandbytes) on GPU as
in the competition.
"""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np

from svg_agent.errors import ConfigError

LETTERS = string.ascii_uppercase
QUESTIONS_PER_BATCH = 4


def format_prompt(question: str, choices: list[str]) -> str:
    """The competition's multiple-choice prompt."""
    prompt = f"<image>answer en Question: {question}\nChoices:\n"
    for i, choice in enumerate(choices):
        prompt += f"{LETTERS[i]}. {choice}\n"
    return prompt


def choice_probabilities(
    logits: np.ndarray, letter_tokens: list[tuple[int, int]], choices: list[str]
) -> dict[str, float]:
    """Renormalised choice probabilities from one row of last-position logits.

    Args:
        logits: vocabulary logits at the last position.
        letter_tokens: per choice, the first token ids of "A" and " A" (they may coincide).
        choices: the choice strings, in letter order.

    Returns:
        {choice: probability}, summing to 1 (unless every probability is 0).
    """
    logits = np.asarray(logits, dtype=np.float64)
    allowed = sorted({t for pair in letter_tokens for t in pair})
    kept = logits[allowed]
    p = np.exp(kept - kept.max())
    p /= p.sum()
    prob = dict(zip(allowed, p))
    # Summed per variant, as the metric does: a token shared by both variants counts twice,
    # which the renormalisation cancels.
    raw = {c: float(prob[a] + prob[b]) for c, (a, b) in zip(choices, letter_tokens)}
    total = sum(raw.values())
    return {c: v / total for c, v in raw.items()} if total > 0 else raw


class PaliGemmaScorer:
    """The competition's PaliGemma 2 VQA and OCR.

    Args:
        model_id: hub id or local folder (default the metric's `google/paligemma2-10b-mix-448`).
        device: "cuda", "cpu" or None (CUDA when available).
        load_in_4bit: NF4 with double quantisation and fp16 compute, as the competition (GPU only).
        model, processor: already built objects (tests, or sharing one model).
    """

    def __init__(
        self,
        model_id: str = "google/paligemma2-10b-mix-448",
        device: str | None = None,
        load_in_4bit: bool = False,
        model=None,
        processor=None,
    ):
        self.model_id, self.device, self.load_in_4bit = model_id, device, load_in_4bit
        self.model, self.processor = model, processor
        self.name = "paligemma"

    def _load(self) -> None:
        from svg_agent._torchvision import import_torch

        torch, self.device = import_torch("the PaliGemma scorer", self.device)
        from transformers import AutoProcessor, PaliGemmaForConditionalGeneration

        if self.model is None:
            local = Path(self.model_id)
            if (self.model_id.startswith((".", "/")) or local.exists()) and not (local / "config.json").exists():
                raise ConfigError(
                    f"no PaliGemma model in {self.model_id} (config.json missing); pass a hub id or a saved folder"
                )
            kwargs = {}
            if self.load_in_4bit:
                if self.device != "cuda":
                    raise ConfigError("4-bit loading needs a CUDA GPU; drop load_in_4bit on CPU")
                from transformers import BitsAndBytesConfig

                kwargs["quantization_config"] = BitsAndBytesConfig(
                    load_in_4bit=True,
                    bnb_4bit_quant_type="nf4",
                    bnb_4bit_use_double_quant=True,
                    bnb_4bit_compute_dtype=torch.float16,
                )
            elif self.device == "cuda":
                kwargs["dtype"] = torch.bfloat16
            try:
                self.processor = AutoProcessor.from_pretrained(self.model_id)
                self.model = PaliGemmaForConditionalGeneration.from_pretrained(
                    self.model_id, low_cpu_mem_usage=True, **kwargs
                )
            except OSError as exc:
                raise ConfigError(
                    f"could not load PaliGemma from {self.model_id}: {str(exc).splitlines()[0][:200]}"
                ) from None
            if not self.load_in_4bit:
                self.model = self.model.to(self.device)
        self.model.eval()

    def _to_model(self, inputs):
        inputs = inputs.to(self.model.device)
        inputs["pixel_values"] = inputs["pixel_values"].to(self.model.dtype)
        return inputs

    def _letter_tokens(self, n: int) -> list[tuple[int, int]]:
        tok = self.processor.tokenizer
        return [
            (
                tok.encode(LETTERS[i], add_special_tokens=False)[0],
                tok.encode(" " + LETTERS[i], add_special_tokens=False)[0],
            )
            for i in range(n)
        ]

    def question_scores(self, image, questions: list[dict]) -> list[float]:
        """P(correct answer) per question, batched 4 at a time as the metric does."""
        import torch
        from PIL import Image

        if self.model is None or self.processor is None:
            self._load()
        image = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))
        scores: list[float] = []
        for i in range(0, len(questions), QUESTIONS_PER_BATCH):
            batch = questions[i : i + QUESTIONS_PER_BATCH]
            prompts = [format_prompt(q["question"], list(q["choices"])) for q in batch]
            inputs = self.processor(images=[image] * len(prompts), text=prompts, return_tensors="pt", padding="longest")
            inputs = self._to_model(inputs)
            with torch.no_grad():
                logits = self.model(**inputs).logits[:, -1, :].float().cpu().numpy()
            for row, q in zip(logits, batch):
                choices = list(q["choices"])
                probs = choice_probabilities(row, self._letter_tokens(len(choices)), choices)
                scores.append(probs.get(q["answer"], 0.0))
        return scores

    def score(self, image, questions: list[dict]) -> float:
        """The VQA term: the mean probability of the correct answers."""
        if not questions:
            raise ValueError("VQA scoring needs at least one question")
        s = self.question_scores(image, questions)
        return float(sum(s) / len(s))

    def read(self, image) -> str:
        """The competition's OCR: greedy decoding of `<image>ocr\\n`, at most 32 new tokens."""
        import torch
        from PIL import Image

        if self.model is None or self.processor is None:
            self._load()
        image = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))
        inputs = self._to_model(self.processor(text="<image>ocr\n", images=image, return_tensors="pt"))
        n = inputs["input_ids"].shape[-1]
        with torch.inference_mode():
            out = self.model.generate(**inputs, max_new_tokens=32, do_sample=False)
        return self.processor.decode(out[0][n:], skip_special_tokens=True)
