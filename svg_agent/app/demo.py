"""Run the SVG core on the bundled examples: validate, sanitize, render, defend, contact sheet.

    svg-agent demo [-o out/demo]

The examples hold clean drawings and the kinds of raw model output the core must handle (a chat
reply with a fenced SVG, a cut-off SVG, an entity bomb). For each: the raw verdict, the sanitized
SVG and its size, the render and the defended render, in `OUT/contact_sheet.png` and
`OUT/summary.json`.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ..constraints import validate
from ..defenses import description_seeds
from ..render import RenderPool
from ..sanitize import sanitize


def example_files() -> list[tuple[str, bytes]]:
    """(name, bytes) of every bundled example, sorted by name."""
    folder = resources.files("svg_agent") / "examples"
    items = [(p.name, p.read_bytes()) for p in folder.iterdir() if p.name.endswith((".svg", ".txt"))]
    return sorted(items)


def handmade_examples() -> list[tuple[str, str]]:
    """(description, SVG) of the bundled hand-made drawings (examples/handmade): held-out work, drawn
    by hand for competition-style descriptions, that no generator of the project produced."""
    import json

    folder = resources.files("svg_agent") / "examples" / "handmade"
    return [
        (e["description"], (folder / e["file"]).read_text()) for e in json.loads((folder / "index.json").read_text())
    ]


def contact_sheet(rows: list[tuple[str, list[np.ndarray | None]]], columns: list[str], thumb: int = 192) -> Image.Image:
    """A grid image: one row per item, one column per stage, labels on top and at left."""
    label_w, head_h = 230, 24
    sheet = Image.new("RGB", (label_w + thumb * len(columns), head_h + (thumb + 8) * len(rows)), "white")
    draw = ImageDraw.Draw(sheet)
    for j, col in enumerate(columns):
        draw.text((label_w + j * thumb + 6, 6), col, fill="black")
    for i, (label, images) in enumerate(rows):
        y = head_h + i * (thumb + 8)
        for k, line in enumerate(_wrap(label, 32)[:8]):
            draw.text((6, y + 4 + 14 * k), line, fill="black")
        for j, arr in enumerate(images):
            x = label_w + j * thumb
            if arr is None:
                draw.rectangle([x + 4, y + 4, x + thumb - 4, y + thumb - 4], outline="red")
                draw.text((x + 12, y + thumb // 2), "no render", fill="red")
            else:
                sheet.paste(Image.fromarray(arr).resize((thumb - 8, thumb - 8)), (x + 4, y + 4))
    return sheet


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + ([line] if line else [])


def run_demo(out_dir: Path) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    examples = example_files()
    seeds = description_seeds([name for name, _ in examples])
    summary, rows = [], []
    with RenderPool() as pool:
        sanitized = [sanitize(raw) for _, raw in examples]
        raw_texts = [raw.decode("utf-8", "replace") for _, raw in examples]
        raw_renders = pool.render_many(raw_texts)
        clean = pool.render_many([s.svg for s in sanitized], defend=True, seeds=[seeds[n] for n, _ in examples])
    for (name, raw), s, r0, r1 in zip(examples, sanitized, raw_renders, clean):
        stem = Path(name).stem
        (out_dir / f"{stem}.svg").write_text(s.svg, encoding="utf-8")
        if r1.ok:
            r1.pil("image").save(out_dir / f"{stem}.png")
            r1.pil("defended").save(out_dir / f"{stem}.defended.png")
        verdict = validate(raw)
        record = {
            "example": name,
            "raw_bytes": len(raw),
            "raw_valid": verdict.valid,
            "raw_errors": [v.message for v in verdict.errors][:10],
            "raw_renders": r0.ok,
            "sanitized_bytes": s.bytes,
            "sanitized_valid": validate(s.svg).valid,
            "fallback": s.fallback,
            "shapes": s.drawn_elements,
            "notes": list(s.notes),
            "seed": seeds[name],
        }
        summary.append(record)
        label = f"{name}: raw {'valid' if verdict.valid else 'INVALID'} {len(raw)} B -> {s.bytes} B"
        rows.append((label, [r0.image, r1.image, r1.defended]))
        print(
            f"{name:40s} raw {'valid  ' if verdict.valid else 'INVALID'} {len(raw):6d} B  ->  "
            f"sanitized {s.bytes:5d} B, {s.drawn_elements:3d} shapes{'  (fallback)' if s.fallback else ''}"
        )
    sheet = contact_sheet(rows, ["raw render (scorer)", "sanitized", "sanitized + defenses"])
    sheet.save(out_dir / "contact_sheet.png")
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    print(f"wrote {out_dir}/contact_sheet.png, {out_dir}/summary.json and one SVG/PNG per example")
    return 0 if all(r["sanitized_valid"] for r in summary) else 1
