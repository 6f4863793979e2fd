"""The competition's aesthetic score: OpenAI CLIP ViT-L/14 + the LAION improved-aesthetic head, / 10.

    from rewards.aesthetic import AestheticScorer
    AestheticScorer().score([image])           # CLIP from open_clip's "openai" tag (downloads)
    AestheticScorer(clip_pretrained="/models/ViT-L-14.pt").score(images)

Image features are L2-normalised before the head, and the head's output is divided by 10 and not
clipped, as the metric does. Batched, no grad; fp16 on CUDA. The head file ships with the package
(rewards/weights/); the CLIP backbone is loaded lazily from a hub tag or a local checkpoint.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from svg_agent.errors import ConfigError

HEAD_PATH = Path(__file__).parent / "weights" / "sac+logos+ava1-l14-linearMSE.pth"
HEAD_SHA256 = "21dd590f3ccdc646f0d53120778b296013b096a035a2718c9cb0d511bff0f1e0"


def _torch():
    try:
        import torch
    except ImportError:
        raise ConfigError(
            "the aesthetic scorer needs torch: pip install -c constraints.txt 'svg-agent[rewards]'"
        ) from None
    return torch


def make_head(input_size: int = 768):
    """The improved-aesthetic-predictor MLP (no activations), layer for layer as the metric defines it."""
    nn = _torch().nn

    class AestheticHead(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.Sequential(
                nn.Linear(input_size, 1024),
                nn.Dropout(0.2),
                nn.Linear(1024, 128),
                nn.Dropout(0.2),
                nn.Linear(128, 64),
                nn.Dropout(0.1),
                nn.Linear(64, 16),
                nn.Linear(16, 1),
            )

        def forward(self, x):
            return self.layers(x)

    return AestheticHead()


def load_head(path: str | Path = HEAD_PATH, check_sha256: bool = True):
    """Load the head's state dict (weights only) into `make_head()`, in eval mode."""
    torch = _torch()
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"aesthetic head not found at {path}; pass head_path= a LAION .pth file")
    if check_sha256 and path.resolve() == HEAD_PATH.resolve():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != HEAD_SHA256:
            raise ConfigError(f"{path} is damaged (sha256 {digest[:12]}...); reinstall the package")
    state = torch.load(path, map_location="cpu", weights_only=True)
    head = make_head(state["layers.0.weight"].shape[1])
    head.load_state_dict(state)
    return head.eval()


class AestheticScorer:
    """CLIP image embedding -> L2 normalise -> LAION head -> / 10.

    Args:
        clip_model: open_clip architecture name (the metric's is "ViT-L-14").
        clip_pretrained: open_clip pretrained tag ("openai") or a local checkpoint path.
        head_path: the LAION head state dict.
        device: "cuda", "cpu" or None (CUDA when available).
        batch_size: images per forward pass.
        model, preprocess: an already built open_clip model and its image transform (tests).
    """

    def __init__(
        self,
        clip_model: str = "ViT-L-14",
        clip_pretrained: str = "openai",
        head_path: str | Path = HEAD_PATH,
        device: str | None = None,
        batch_size: int = 16,
        model=None,
        preprocess=None,
    ):
        self.clip_model, self.clip_pretrained = clip_model, clip_pretrained
        self.head_path, self.batch_size = head_path, batch_size
        self.device = device
        self._model, self._preprocess, self._head = model, preprocess, None

    def _load(self):
        torch = _torch()
        if self.device is None:
            self.device = "cuda" if torch.cuda.is_available() else "cpu"
        if self._model is None:
            from svg_agent._torchvision import ensure_torchvision

            ensure_torchvision()
            import open_clip

            pretrained = self.clip_pretrained
            if (
                pretrained
                and ("/" in pretrained or pretrained.endswith((".pt", ".bin", ".safetensors")))
                and not Path(pretrained).exists()
            ):
                raise ConfigError(
                    f"CLIP checkpoint not found: {pretrained}; pass clip_pretrained= a local file or 'openai'"
                )
            try:
                self._model, _, self._preprocess = open_clip.create_model_and_transforms(
                    self.clip_model, pretrained=pretrained
                )
            except RuntimeError as exc:
                raise ConfigError(f"could not load CLIP {self.clip_model} ({pretrained}): {str(exc)[:200]}") from None
        if self._head is None:
            self._head = load_head(self.head_path)
        dtype = torch.float16 if self.device == "cuda" else torch.float32
        self._model = self._model.to(self.device, dtype).eval()
        self._head = self._head.to(self.device).eval()
        self._dtype = dtype

    def embed(self, images) -> np.ndarray:
        """L2-normalised CLIP image embeddings, N x D float32."""
        torch = _torch()
        from PIL import Image

        if self._head is None:
            self._load()
        out = []
        with torch.no_grad():
            for i in range(0, len(images), self.batch_size):
                batch = [
                    Image.fromarray(np.asarray(im)) if not isinstance(im, Image.Image) else im
                    for im in images[i : i + self.batch_size]
                ]
                x = torch.stack([self._preprocess(im.convert("RGB")) for im in batch]).to(self.device, self._dtype)
                f = self._model.encode_image(x).float()
                out.append((f / f.norm(dim=-1, keepdim=True)).cpu())
        return torch.cat(out).numpy()

    def score(self, images) -> list[float]:
        """Aesthetic scores (head output / 10) for RGB images (arrays or PIL)."""
        torch = _torch()
        feats = torch.from_numpy(self.embed(images)).to(self.device)
        with torch.no_grad():
            return [float(v) / 10.0 for v in self._head(feats).squeeze(-1).cpu()]
