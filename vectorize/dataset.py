"""Warm-start datasets: (description, SVG, questions) records as resumable JSON lines.

    svg-agent build-dataset --source procedural --n 5000 -o data/procedural.jsonl [--seed 0]
    svg-agent build-dataset --source images --images DIR [--captioner Salesforce/blip2-opt-2.7b] -o data/traced.jsonl
    svg-agent build-dataset --source descriptions --descriptions data/descriptions.txt --model segmind/SSD-1B -o data/vec.jsonl
    svg-agent contact-sheet data/procedural.jsonl -o sheet.png [--n 24]

Records: `id, description, svg, questions, source, family` (+ `image` for traced images), one JSON
object per line, loadable with `datasets.load_dataset("json", data_files=...)`. A build that is
interrupted continues where it stopped: complete lines are kept, a half-written last line is cut,
and generation resumes from the next record, so the file ends exactly as an uninterrupted build.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

from svg_agent.errors import InputError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")


def _existing(path: Path) -> int:
    """Complete records already in `path`; a torn last line is removed."""
    if not path.exists():
        return 0
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]
        with path.open("r+b") as f:
            f.truncate(len(data))
    count = 0
    for line in data.splitlines():
        try:
            json.loads(line)
        except ValueError:
            raise InputError(f"{path}: line {count + 1} is not JSON; move the file away or pick another -o") from None
        count += 1
    return count


def _procedural(n: int, seed: int):
    from .scenes import generate_scenes

    for i, scene in enumerate(generate_scenes(n, seed=seed)):
        yield {
            "id": f"proc-{seed}-{i:06d}",
            "description": scene.description,
            "svg": scene.svg,
            "questions": scene.questions,
            "source": "procedural",
            "family": scene.family,
        }


def _images(folder: Path, max_bytes: int, captioner=None, questions_fn=None):
    from PIL import Image

    from .trace import vectorize_image

    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise InputError(f"{folder}: no images ({', '.join(IMAGE_SUFFIXES)}) found")
    for i, path in enumerate(files):
        image = Image.open(path).convert("RGBA")
        # Without a captioning model (or an empty caption) the file name is the description:
        # "red_barn.png" -> "red barn".
        description = (captioner(image) if captioner is not None else "") or path.stem.replace("_", " ").replace(
            "-", " "
        ).strip()
        result = vectorize_image(image, max_bytes=max_bytes)
        yield {
            "id": f"img-{i:06d}",
            "description": description,
            "svg": result.svg,
            "questions": questions_fn(description) if questions_fn else [],
            "source": "vectorizer",
            "family": "traced",
            "image": str(path),
        }


def _described(descriptions: list[str], pipeline, max_bytes: int, seed: int, image_dir: Path, questions_fn):
    image_dir.mkdir(parents=True, exist_ok=True)
    for i, description in enumerate(descriptions):
        out = pipeline(description, max_bytes=max_bytes, seed=seed + i)
        path = image_dir / f"vec-{i:06d}.png"
        out.image.save(path)
        yield {
            "id": f"vec-{i:06d}",
            "description": description,
            "svg": out.svg,
            "questions": questions_fn(description) if questions_fn else [],
            "source": "vectorizer",
            "family": "diffusion",
            "image": str(path),
        }


def build_dataset(
    output: str | Path,
    source: str = "procedural",
    n: int = 1000,
    seed: int = 0,
    images: str | Path | None = None,
    max_bytes: int = 10_000,
    progress: bool = True,
    captioner: str | None = None,
    descriptions: str | Path | None = None,
    diffusion=None,
    questions_fn=None,
) -> int:
    """Write (or complete) a dataset file; returns the number of records in it.

    Args:
        output: the .jsonl file (created, or resumed when it exists).
        source: "procedural" (the scene grammar), "images" (trace a folder of images) or
            "descriptions" (draw each with the diffusion model, then trace).
        n: records wanted (procedural).
        seed: the generator's seed (procedural).
        images: the folder (images).
        max_bytes: byte budget of traced SVGs.
        captioner: image-to-text model (hub id or folder, BLIP-2 class) that describes the images;
            without one the file names are the descriptions.
        descriptions: a text file, one description per line (source "descriptions").
        diffusion: a vectorize.pipeline.DiffusionConfig for source "descriptions".
        questions_fn: description -> questions, for records that come without them (the CLI
            passes rewards.questions.generate_questions; this module does not import rewards).
    """
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = _existing(out)
    if source == "procedural":
        records, total = _procedural(n, seed), n
    elif source == "images":
        if not images or not Path(images).is_dir():
            raise InputError("--source images needs --images DIR, an existing folder")
        cap = None
        if captioner:
            from .caption import Captioner

            cap = Captioner(captioner)
        records = _images(Path(images), max_bytes, cap, questions_fn)
        total = sum(1 for p in Path(images).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    elif source == "descriptions":
        from .pipeline import DiffusionConfig, VectorizerPipeline

        if not descriptions or not Path(descriptions).is_file():
            raise InputError("--source descriptions needs --descriptions FILE (one description per line)")
        lines = [x.strip() for x in Path(descriptions).read_text(encoding="utf-8").splitlines() if x.strip()]
        image_dir = out.with_name(out.stem + "_images")
        records = _described(
            lines, VectorizerPipeline(diffusion or DiffusionConfig()), max_bytes, seed, image_dir, questions_fn
        )
        total = len(lines)
    else:
        raise InputError(f"unknown source {source!r}; choose procedural, images or descriptions")
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, initial=min(done, total), desc="records", unit="rec")
    count = 0
    with out.open("a", encoding="utf-8") as f:
        for count, record in enumerate(records, 1):
            if count <= done:
                continue  # already written by an earlier, interrupted build
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()
            if bar:
                bar.update(1)
        os.fsync(f.fileno())
    if bar:
        bar.close()
    return max(count, done)


def load_records(path: str | Path) -> list[dict]:
    p = Path(path)
    if not p.exists():
        raise InputError(f"{path}: no such file")
    return [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]


def dataset_contact_sheet(path: str | Path, output: str | Path, n: int = 24, columns: int = 6) -> int:
    """A PNG grid of the first `n` records' renders with their descriptions; returns how many."""
    import numpy as np
    from PIL import Image, ImageDraw

    from svg_agent.render import RenderPool

    records = load_records(path)[:n]
    if not records:
        raise InputError(f"{path}: no records")
    with RenderPool() as pool:
        renders = pool.render_many([r["svg"] for r in records])
    thumb, label = 192, 44
    rows = (len(records) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * thumb, rows * (thumb + label)), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (rec, r) in enumerate(zip(records, renders)):
        x, y = (i % columns) * thumb, (i // columns) * (thumb + label)
        img = r.pil() if r.ok else Image.fromarray(np.full((thumb, thumb, 3), 230, np.uint8))
        sheet.paste(img.resize((thumb - 6, thumb - 6)), (x + 3, y + 3))
        for k, line in enumerate(textwrap.wrap(rec["description"], 30)[:3]):
            draw.text((x + 4, y + thumb + 1 + 13 * k), line, fill="black")
    sheet.save(output)
    return len(records)
