"""Captions for images that come without descriptions (BLIP-2 class models through transformers).

    Captioner("Salesforce/blip2-opt-2.7b")(image)   # -> "a red barn in a green field"

Loaded lazily from a hub id or a local folder; fp16 on CUDA. Used by `svg-agent build-dataset
--source images --captioner ID` to describe a folder of images before tracing them.
"""

from __future__ import annotations

import numpy as np

from svg_agent.errors import ConfigError


class Captioner:
    """Image -> short description.

    Args:
        model_id: hub id or folder of an image-to-text model (BLIP-2, BLIP, GIT, ...).
        device: "cuda", "cpu" or None (CUDA when available).
        max_new_tokens: caption length limit.
        prompt: optional text prompt (e.g. "a picture of"); None for plain captioning.
        model, processor: already built objects (tests).
    """

    def __init__(
        self,
        model_id: str = "Salesforce/blip2-opt-2.7b",
        device: str | None = None,
        max_new_tokens: int = 30,
        prompt: str | None = None,
        model=None,
        processor=None,
    ):
        self.model_id, self.device, self.max_new_tokens, self.prompt = model_id, device, max_new_tokens, prompt
        self.model, self.processor = model, processor

    def _load(self) -> None:
        from svg_agent._torchvision import import_torch

        torch, self.device = import_torch("captioning", self.device)
        from transformers import AutoModelForImageTextToText, AutoProcessor

        if self.model is None:
            try:
                self.processor = AutoProcessor.from_pretrained(self.model_id)
                dtype = torch.float16 if self.device == "cuda" else torch.float32
                self.model = AutoModelForImageTextToText.from_pretrained(self.model_id, dtype=dtype)
            except (OSError, ValueError) as exc:
                raise ConfigError(
                    f"could not load the captioning model {self.model_id}: {str(exc).splitlines()[0][:200]}"
                ) from None
        self.model = self.model.to(self.device).eval()

    def __call__(self, image) -> str:
        import torch
        from PIL import Image

        if self.model is None or self.processor is None or self.device is None:
            self._load()
        image = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))
        kwargs = {"images": image.convert("RGB"), "return_tensors": "pt"}
        if self.prompt:
            kwargs["text"] = self.prompt
        inputs = self.processor(**kwargs).to(self.model.device)
        if "pixel_values" in inputs:
            inputs["pixel_values"] = inputs["pixel_values"].to(self.model.dtype)
        with torch.no_grad():
            out = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False)
        text = self.processor.batch_decode(out, skip_special_tokens=True)[0]
        if self.prompt and text.startswith(self.prompt):
            text = text[len(self.prompt) :]
        return " ".join(text.split())[:200]
