"""Does a policy read the description? Its loss on drawings under their own prompt and under another's.

A policy that draws what it is told predicts a record's SVG better from that record's description
than from a different one. `prompt_reliance` scores each record's drawing twice, teacher-forced:
under its own description and under the description of the record `shift` places on (a derangement,
so no record is paired with itself), and reports the mean next-token loss (nats per token) both
ways, over every completion token and over the paint tokens alone (the values of fill, stroke and
stop-color, where a description's colour words must show). The gap, wrong minus right, is the
information the policy takes from the description; near 0 it draws the same whatever it is asked.

    from eval.conditioning import prompt_reliance
    prompt_reliance(policy, [(description, svg), ...])
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

_PAINT = re.compile(r'(?:fill|stroke|stop-color)="([^"]*)"')


@dataclass
class Reliance:
    records: int
    loss_right: float  # nats per completion token, own description
    loss_wrong: float  # the same drawings under another record's description
    paint_loss_right: float | None  # paint tokens only (None when no drawing has paint)
    paint_loss_wrong: float | None
    paint_tokens: int

    @property
    def gap(self) -> float:
        return self.loss_wrong - self.loss_right

    @property
    def paint_gap(self) -> float | None:
        if self.paint_loss_right is None or self.paint_loss_wrong is None:
            return None
        return self.paint_loss_wrong - self.paint_loss_right

    def as_dict(self) -> dict:
        return {**asdict(self), "gap": self.gap, "paint_gap": self.paint_gap}


def paint_mask(tokenizer, text: str) -> tuple[list[int], list[bool]]:
    """The token ids of `text` and, per token, whether it overlaps a paint value."""
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    spans = [m.span(1) for m in _PAINT.finditer(text)]
    mask = [any(a < e and b > s for s, e in spans) for a, b in enc["offset_mapping"]]
    return list(enc["input_ids"]), mask


def token_losses(policy, description: str, svg: str):
    """Per-token next-token loss of `svg` (as the policy's completion) after `description`'s prompt,
    and the paint mask: (losses [n], mask [n])."""
    import torch

    fmt, tok, model = policy.format, policy.tokenizer, policy.model
    if fmt.kind != "base":
        raise ValueError("prompt_reliance needs a base prompt format (the completion follows the prompt as text)")
    prompt = tok(fmt.prompt_text(tok, description), add_special_tokens=True)["input_ids"]
    ids, mask = paint_mask(tok, fmt.completion(svg))
    if not ids:
        raise ValueError("a record's drawing has no tokens after the root tag")
    x = torch.tensor([prompt + ids], device=model.device)
    model.eval()
    with torch.no_grad():
        logits = model(input_ids=x).logits[0, len(prompt) - 1 : -1].float()
    losses = torch.nn.functional.cross_entropy(logits, x[0, len(prompt) :], reduction="none")
    return losses.cpu(), torch.tensor(mask, dtype=torch.bool)


def prompt_reliance(policy, records: list[tuple[str, str]], shift: int | None = None) -> Reliance:
    """Teacher-forced loss of each (description, svg) under its own and under another description."""
    import torch

    if len(records) < 2:
        raise ValueError("prompt_reliance needs at least two records")
    n = len(records)
    shift = shift if shift is not None else max(1, n // 3)
    if shift % n == 0:
        raise ValueError("shift must not pair a record with itself")
    totals = {"right": [], "wrong": [], "paint_right": [], "paint_wrong": []}
    for i, (description, svg) in enumerate(records):
        other = records[(i + shift) % n][0]
        for key, desc in (("right", description), ("wrong", other)):
            losses, mask = token_losses(policy, desc, svg)
            totals[key].append(losses)
            totals["paint_" + key].append(losses[mask])
    cat = {k: torch.cat(v) for k, v in totals.items()}
    paint = int(cat["paint_right"].numel())
    return Reliance(
        records=n,
        loss_right=float(cat["right"].mean()),
        loss_wrong=float(cat["wrong"].mean()),
        paint_loss_right=float(cat["paint_right"].mean()) if paint else None,
        paint_loss_wrong=float(cat["paint_wrong"].mean()) if paint else None,
        paint_tokens=paint,
    )
