"""Make torchvision's pure-Python parts importable beside a CPU-only torch.

PyPI's torchvision wheels for recent torch are CUDA builds; beside the CPU torch their compiled
ops fail to register and `import torchvision` raises "operator torchvision::nms does not exist".
open_clip needs only torchvision's transforms, which are pure Python. Declaring the two op schemas
the import checks for lets it load; nothing here is used for computation. Applied only after the
plain import has failed that way.
"""

from __future__ import annotations

_done = False


def ensure_torchvision() -> None:
    global _done
    if _done:
        return
    try:
        import torchvision  # noqa: F401
    except ImportError:  # not installed: nothing to fix (transformers and TRL work without it)
        _done = True
        return
    except RuntimeError as exc:
        if "torchvision::nms" not in str(exc):
            raise
        import sys

        import torch

        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]
        lib = torch.library.Library("torchvision", "DEF")  # noqa: F841 (kept alive below)
        lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        globals()["_lib"] = lib
        import torchvision  # noqa: F401,F811
    _done = True


def import_torch(needed_for: str, device: str | None = None, *, transformers: bool = True):
    """torch (and transformers) for a model-backed part, with the fix above applied first.

    Args:
        needed_for: what needs them, for the error message ("captioning", ...).
        device: a requested device, or None for CUDA when available.
        transformers: also check that transformers imports.

    Returns:
        (torch, device)
    """
    from .errors import ConfigError

    try:
        import torch

        ensure_torchvision()  # transformers imports torchvision when it is installed
        if transformers:
            import transformers as _  # noqa: F401
    except ImportError:
        raise ConfigError(
            f"{needed_for} needs torch and transformers: pip install -c constraints.txt 'svg-agent[rewards]'"
        ) from None
    return torch, device or ("cuda" if torch.cuda.is_available() else "cpu")
