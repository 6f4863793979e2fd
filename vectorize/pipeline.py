"""The vectorizer baseline: description -> diffusion image -> k-means -> contours -> SVG in budget.

    svg-agent vectorize --prompt "a lighthouse overlooking the ocean" -o out.svg [--model ID] [--steps 25]
    svg-agent vectorize photo.png -o out.svg

    pipe = VectorizerPipeline(DiffusionConfig(model="segmind/SSD-1B"))
    out = pipe("a purple forest at dusk")       # VectorizerOutput(svg, image, ...)

Step 1 draws the image with a diffusers text-to-image pipeline (Stable Diffusion 1.5/2.x, SDXL,
SDXL-Turbo, SSD-1B, ... from a hub id or a local folder; SDXL optionally finishing in its refiner),
with the controls people know from the web UIs: a prompt template tuned for flat vector-friendly pictures, negative prompt, scheduler,
steps, CFG scale, size, seed, images per prompt, LoRA and textual-inversion weights. Or the image
is given. Steps 2-4 (quantise, trace, fit the budget) are `vectorize.trace.vectorize_image`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from svg_agent.errors import ConfigError, InputError

from .trace import TraceSettings, vectorize_image

SCHEDULERS = {
    "ddim": "DDIMScheduler",
    "euler": "EulerDiscreteScheduler",
    "euler_a": "EulerAncestralDiscreteScheduler",
    "dpm++": "DPMSolverMultistepScheduler",
    "pndm": "PNDMScheduler",
    "lms": "LMSDiscreteScheduler",
    "unipc": "UniPCMultistepScheduler",
    "lcm": "LCMScheduler",
}


@dataclass
class DiffusionConfig:
    """Text-to-image settings (the usual web-UI controls)."""

    model: str = "segmind/SSD-1B"
    prompt_template: str = (
        "{description}, flat vector illustration, simple geometric shapes, bold solid colors, "
        "minimal, clean edges, centered composition"
    )
    negative_prompt: str = (
        "text, letters, words, watermark, signature, photo, realistic, noise, texture, blurry, clutter"
    )
    scheduler: str | None = None  # keep the model's own when None
    steps: int = 25
    guidance_scale: float = 7.0
    width: int = 512
    height: int = 512
    seed: int = 0
    images_per_prompt: int = 1
    lora: str | None = None  # a LoRA / DreamBooth-LoRA weights file or folder
    textual_inversion: str | None = None
    refiner: str | None = None  # SDXL refiner (hub id or folder): the last steps run there
    refiner_split: float = 0.8  # share of the denoising done by the base model
    device: str | None = None

    def __post_init__(self):
        if self.scheduler is not None and self.scheduler not in SCHEDULERS:
            raise ConfigError(f"unknown scheduler {self.scheduler!r}; choose one of {', '.join(SCHEDULERS)}")
        if self.steps < 1 or self.width % 8 or self.height % 8:
            raise ConfigError("steps must be >= 1, width and height multiples of 8")
        if not 0 < self.refiner_split < 1:
            raise ConfigError("refiner_split must be between 0 and 1")


class ImageGenerator:
    """A diffusers text-to-image pipeline, loaded on first use."""

    def __init__(self, config: DiffusionConfig, pipe=None):
        self.config = config
        self.pipe = pipe
        self.refiner = None
        self.last_prompt = ""

    def _load(self):
        from svg_agent._torchvision import import_torch

        c = self.config
        torch, device = import_torch("the diffusion step", c.device)
        import diffusers

        if self.pipe is None:
            try:
                self.pipe = diffusers.AutoPipelineForText2Image.from_pretrained(
                    c.model, torch_dtype=torch.float16 if device == "cuda" else torch.float32
                )
            except (OSError, ValueError) as exc:
                raise ConfigError(
                    f"could not load the diffusion model {c.model}: {str(exc).splitlines()[0][:200]}"
                ) from None
        if c.scheduler:
            cls = getattr(diffusers, SCHEDULERS[c.scheduler])
            self.pipe.scheduler = cls.from_config(self.pipe.scheduler.config)
        try:
            if c.lora:
                self.pipe.load_lora_weights(c.lora)  # needs peft
            if c.textual_inversion:
                self.pipe.load_textual_inversion(c.textual_inversion)
        except (ImportError, ValueError, OSError, KeyError) as exc:
            raise ConfigError(
                f"could not load the style weights ({c.lora or c.textual_inversion}): "
                f"{str(exc).splitlines()[0][:200]}; LoRA needs `pip install peft`"
            ) from None
        self.pipe = self.pipe.to(device)
        self.pipe.set_progress_bar_config(disable=True)
        if c.refiner and self.refiner is None:
            try:  # shares the base model's second text encoder and VAE, as the SDXL recipe does
                self.refiner = diffusers.AutoPipelineForImage2Image.from_pretrained(
                    c.refiner,
                    text_encoder_2=self.pipe.text_encoder_2,
                    vae=self.pipe.vae,
                    torch_dtype=torch.float16 if device == "cuda" else torch.float32,
                ).to(device)
            except (OSError, ValueError, AttributeError) as exc:
                raise ConfigError(f"could not load the refiner {c.refiner}: {str(exc).splitlines()[0][:200]}") from None
            self.refiner.set_progress_bar_config(disable=True)
        self._device = device

    def __call__(self, description: str, seed: int | None = None) -> list:
        """PIL images for a description (images_per_prompt of them)."""
        import torch

        if self.pipe is None or not hasattr(self, "_device"):
            self._load()
        c = self.config
        self.last_prompt = c.prompt_template.format(description=description)
        generator = torch.Generator(device="cpu").manual_seed(c.seed if seed is None else seed)
        common = dict(
            prompt=self.last_prompt,
            negative_prompt=c.negative_prompt or None,
            num_inference_steps=c.steps,
            guidance_scale=c.guidance_scale,
            generator=generator,
        )
        if self.refiner is None:
            out = self.pipe(**common, width=c.width, height=c.height, num_images_per_prompt=c.images_per_prompt)
            return list(out.images)
        latents = self.pipe(
            **common,
            width=c.width,
            height=c.height,
            num_images_per_prompt=c.images_per_prompt,
            denoising_end=c.refiner_split,
            output_type="latent",
        ).images
        common["prompt"] = [self.last_prompt] * len(latents)
        common["negative_prompt"] = [c.negative_prompt] * len(latents) if c.negative_prompt else None
        return list(self.refiner(**common, image=latents, denoising_start=c.refiner_split).images)


@dataclass
class VectorizerOutput:
    """What the pipeline made."""

    svg: str
    bytes: int
    image: object  # the PIL image that was traced
    description: str | None
    settings: TraceSettings
    seconds: dict = field(default_factory=dict)  # per step


def _trace_error(image: np.ndarray, svg: str) -> float:
    """Mean CIELAB distance between an image and its trace's render, both at 64 x 64."""
    import cv2

    from svg_agent.render import render_image

    def lab(a):
        a = np.asarray(a)[:, :, :3] if np.asarray(a).ndim == 3 else np.stack([np.asarray(a)] * 3, -1)
        small = cv2.resize(a.astype(np.uint8), (64, 64), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
        return cv2.cvtColor(small, cv2.COLOR_RGB2Lab)

    return float(np.linalg.norm(lab(image) - lab(render_image(svg)), axis=2).mean())


class VectorizerPipeline:
    """1. image (diffusion, or given)  2. quantise  3. trace  4. fit the byte budget.

    With `images_per_prompt` > 1 every image is traced and the trace closest to its own image
    (CIELAB distance at 64 px) is kept.
    """

    def __init__(self, diffusion: DiffusionConfig | None = None, generator: ImageGenerator | None = None):
        self.diffusion = diffusion or DiffusionConfig()
        self.generator = generator

    def __call__(
        self,
        description: str | None = None,
        image=None,
        max_bytes: int = 10_000,
        colors: int | None = None,
        seed: int | None = None,
    ) -> VectorizerOutput:
        if (description is None) == (image is None):
            raise InputError("give either a description (to draw) or an image (to trace)")
        seconds = {}
        t0 = time.perf_counter()
        # 1. image(s)
        if image is None:
            if self.generator is None:
                self.generator = ImageGenerator(self.diffusion)
            candidates = self.generator(description, seed=seed)
        else:
            candidates = [image]
        seconds["image"] = time.perf_counter() - t0
        # 2-4. quantise, trace, fit; with a batch, keep the trace closest to its own image
        t1 = time.perf_counter()
        best = None
        for img in candidates:
            arr = np.asarray(img.convert("RGBA") if hasattr(img, "convert") else img)
            traced = vectorize_image(arr, max_bytes=max_bytes, colors=colors)
            err = _trace_error(arr, traced.svg) if len(candidates) > 1 else 0.0
            if best is None or err < best[0]:
                best = (err, img, traced)
        _, image, result = best
        seconds["trace"] = time.perf_counter() - t1
        return VectorizerOutput(result.svg, result.bytes, image, description, result.settings, seconds)
