"""The offline judge's model: a small CNN trained on the defended renders of the procedural corpus.

    svg-agent judge train            # trains the default judge once, caches it, reports held-out accuracy
    svg-agent judge train --bundle   # the same, written to rewards/weights/judge.pt (shipped with the package)
    from rewards.judge_model import load_judge
    judge = load_judge()             # the bundled judge where it is current, else the cached one, trained on first use

Training data: drawings of the corpus (`vectorize/scenes.py`), families in equal shares, half of
them with flat backdrops (as the CPU recipe trains the policy), each with its colours jittered a
little in the SVG, rendered, put through the metric's defenses with a random seed and shrunk to
`side` pixels; on top, "junk" pictures (blank and one-colour canvases, random shapes in random
colours, text) whose target is uniform on every slot, so that the judge answers "don't know" to
pictures of nothing. While training, each batch is moved, scaled, flipped and recoloured slightly.
Descriptions of the held-out split (`heldout_scenes`) never appear in training.

The cache key holds the corpus version (a hash of the generator), this file's hash and the
settings, so a changed corpus trains a new judge. The package ships the default judge
(`rewards/weights/judge.pt`, its key in its meta); it is used only while its key is the current
one, so a changed corpus or judge falls back to the cache (and a test says to bundle it again).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from svg_agent.cache import cache_dir
from svg_agent.errors import InputError
from vectorize.scenes import (
    ATTRIBUTE_SLOTS,
    CSS_COLORS,
    FAMILIES,
    corpus_version,
    flatten,
    generate_scenes,
    name_colours,
    split_of,
)

from .judge import JudgeAnswers, answer

SLOTS = list(ATTRIBUTE_SLOTS)
HELDOUT_SEED = 917_301  # the held-out split: generate_scenes(n, seed=HELDOUT_SEED)


@dataclass
class JudgeConfig:
    """How the judge is trained.

    Args:
        records: corpus drawings rendered for training.
        abstract_share: the share of them from the abstract family (counts and shapes are the
            hardest to read; the other families share the rest equally).
        junk_share: extra pictures of nothing, as a share of `records`.
        named_share: the share of corpus drawings rendered with their colours named as the corpus
            writes them (`vectorize.scenes.name_colours`); the rest keep the grammar's own colour
            codes, a finer palette. 0 by default: trained on the codes, the judge still answers the
            named drawings (held-out accuracy 0.9 or more, tests/test_judge.py), and hand-made
            drawings better than when half its training drawings were named (the hand-made cabin
            at night: a reward of 0.17 then, above 0.35 now).
        epochs, batch_size, lr: the optimisation.
        side: the input size in pixels (the defended 384 px render is shrunk to it).
        heldout: descriptions held out of training (and used to report accuracy).
        seed: everything random in training.
    """

    records: int = 3200
    abstract_share: float = 0.5
    junk_share: float = 0.15
    named_share: float = 0.0
    epochs: int = 24
    batch_size: int = 64
    lr: float = 3e-3
    side: int = 64
    heldout: int = 300
    seed: int = 0

    def key(self) -> str:
        code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()  # how answers are read (judge.py) does not count
        blob = json.dumps(asdict(self), sort_keys=True) + corpus_version() + code
        return f"corpus-{corpus_version()}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"


def heldout_scenes(n: int = 300):
    """The held-out split: the judge never trains on these descriptions."""
    return list(generate_scenes(n, seed=HELDOUT_SEED, split="heldout"))


_PAINT = re.compile(r'(?<=(?:fill|olor|roke)=")([a-z]+)(?=")|#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b')


def _jitter_colors(svg: str, rng: random.Random, amount: int = 14) -> str:
    """Each distinct colour (#rrggbb, #rgb, or a CSS name as a fill, stroke or stop colour, as the
    corpus writes them) moved by up to `amount` per channel (the same colour the same way); a CSS
    name by up to twice that, since the corpus's names stand for a spread of colours (each colour it
    means is drawn by its nearest name)."""
    moved: dict[str, str] = {}

    def sub(m):
        c = m.group(0).lower()
        spread = amount
        if c.startswith("#"):
            full = "#" + "".join(ch * 2 for ch in c[1:]) if len(c) == 4 else c
            base = [int(full[i : i + 2], 16) for i in (1, 3, 5)]
        elif c in CSS_COLORS:
            base = list(CSS_COLORS[c])
            spread = 2 * amount
        else:  # none, currentColor, ...
            return m.group(0)
        if c not in moved:
            rgb = [min(255, max(0, v + rng.randint(-spread, spread))) for v in base]
            moved[c] = "#%02x%02x%02x" % tuple(rgb)
        return moved[c]

    return _PAINT.sub(sub, svg)


def _color(rng) -> str:
    return "#%06x" % rng.randint(0, 2**24 - 1)


def junk_svg(rng: random.Random) -> str | None:
    """A picture of nothing: a blank or gradient canvas, or many random shapes; None means text."""
    kind = rng.choice(["blank", "gradient", "shapes", "shapes", "text"])
    ns = 'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 384 384"'
    if kind == "text":
        return None
    if kind == "blank":  # dark and white canvases often: a black one is a picture of nothing, not a night
        v = rng.random()
        fill = (
            "#%02x%02x%02x" % tuple(rng.randint(0, 40) for _ in range(3))
            if v < 0.4
            else "#%02x%02x%02x" % tuple(rng.randint(215, 255) for _ in range(3))
            if v < 0.6
            else _color(rng)
        )
        return f'<svg {ns}><rect width="384" height="384" fill="{fill}"/></svg>'
    if kind == "gradient":
        return (
            f'<svg {ns}><defs><linearGradient id="g" x1="0" y1="0" x2="{rng.choice([0, 1])}" y2="1"><stop offset="0" stop-color="{_color(rng)}"/>'
            f'<stop offset="1" stop-color="{_color(rng)}"/></linearGradient></defs><rect width="384" height="384" fill="url(#g)"/></svg>'
        )
    parts = [f'<svg {ns}><rect width="384" height="384" fill="{_color(rng)}"/>']
    for _ in range(rng.randint(3, 14)):
        c = _color(rng)
        if rng.random() < 0.4:
            parts.append(
                f'<circle cx="{rng.randint(0, 384)}" cy="{rng.randint(0, 384)}" r="{rng.randint(8, 110)}" fill="{c}"/>'
            )
        elif rng.random() < 0.3:
            parts.append(
                f'<rect x="{rng.randint(0, 340)}" y="{rng.randint(0, 340)}" width="{rng.randint(10, 200)}" height="{rng.randint(10, 200)}" fill="{c}"/>'
            )
        else:
            pts = " ".join(f"{rng.randint(0, 384)},{rng.randint(0, 384)}" for _ in range(rng.randint(3, 7)))
            parts.append(f'<polygon points="{pts}" fill="{c}"/>')
    return "".join(parts) + "</svg>"


def _text_image(rng: random.Random) -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFont

    bg = tuple(rng.randint(0, 255) for _ in range(3))
    img = Image.new("RGB", (384, 384), bg)
    draw = ImageDraw.Draw(img)
    fg = tuple((c + 128) % 256 for c in bg)
    words = ["HELLO", "sunset", "forest", "RED", "coat", "lighthouse", "1234", "abc xyz", "STAR", "blue sky"]
    for _ in range(rng.randint(1, 4)):
        font = ImageFont.load_default(size=rng.randint(24, 72))
        draw.text((rng.randint(0, 200), rng.randint(0, 330)), rng.choice(words), fill=fg, font=font)
    return np.asarray(img)


def _prepare(job) -> np.ndarray:
    """Render (or take) a picture, put it through the metric's defenses, shrink it."""
    from PIL import Image

    from svg_agent.defenses import defend_main
    from svg_agent.render import render_image

    svg_or_image, seed, side = job
    image = render_image(svg_or_image) if isinstance(svg_or_image, str) else Image.fromarray(svg_or_image)
    defended = defend_main(image, np.random.RandomState(seed))
    return shrink(defended, side)


def shrink(image: np.ndarray, side: int) -> np.ndarray:
    return cv2.resize(np.ascontiguousarray(image), (side, side), interpolation=cv2.INTER_AREA)


def targets_of(attrs: dict | None) -> list[int]:
    """Per slot, the index of the value drawn, or -1 (uniform: not shown, or a picture of nothing)."""
    return [ATTRIBUTE_SLOTS[s].index(attrs[s]) if attrs and s in attrs else -1 for s in SLOTS]


def build_training_set(config: JudgeConfig, progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(images N x side x side x 3 uint8, targets N x len(SLOTS) int64)."""
    from tqdm import tqdm

    rng = random.Random(config.seed)
    jobs, targets = [], []
    while len(jobs) < config.records:
        family = FAMILIES[0] if rng.random() < config.abstract_share else rng.choice(FAMILIES[1:])
        scene = family(rng)
        if split_of(scene) == "heldout":
            continue
        svg = flatten(scene.svg) if rng.random() < 0.5 else scene.svg
        if rng.random() < config.named_share:  # as the corpus writes it; else the grammar's finer codes
            svg = name_colours(svg)
        jobs.append((_jitter_colors(svg, rng), rng.randint(0, 2**31 - 2), config.side))
        targets.append(targets_of(scene.attrs))
    for _ in range(int(config.records * config.junk_share)):
        svg = junk_svg(rng)
        jobs.append((svg if svg is not None else _text_image(rng), rng.randint(0, 2**31 - 2), config.side))
        targets.append(targets_of(None))
    with ProcessPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as ex:
        images = list(
            tqdm(
                ex.map(_prepare, jobs, chunksize=16),
                total=len(jobs),
                desc="judge: rendering the corpus",
                disable=not progress,
                unit="img",
            )
        )
    return np.stack(images), np.asarray(targets, np.int64)


def _net(side: int):
    import torch.nn as nn

    def block(cin, cout, stride=1):
        return nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
        )

    class JudgeNet(nn.Module):
        def __init__(self):
            super().__init__()
            # Above 64 px the first convolution strides, so the rest runs at side / 2 either way.
            first = [block(3, 24, 2)] if side > 64 else [block(3, 24), nn.MaxPool2d(2)]
            self.trunk = nn.Sequential(
                *first,
                block(24, 48),
                nn.MaxPool2d(2),
                block(48, 64),
                nn.MaxPool2d(2),
                block(64, 96),
                nn.MaxPool2d(2),
                block(96, 128),
            )
            self.mix = nn.Sequential(nn.Dropout(0.2), nn.Linear(256, 192), nn.ReLU(inplace=True))
            self.heads = nn.ModuleList(nn.Linear(192, len(ATTRIBUTE_SLOTS[s])) for s in SLOTS)

        def forward(self, x):
            import torch

            f = self.trunk(x)
            f = torch.cat([f.mean((2, 3)), f.amax((2, 3))], 1)
            f = self.mix(f)
            return [h(f) for h in self.heads]

    import torch

    return JudgeNet().to(memory_format=torch.channels_last)


def _to_tensor(images: np.ndarray):
    import torch

    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255.0
    return ((x - 0.5) / 0.25).contiguous(memory_format=torch.channels_last)


def _augment(x, g):
    """Move, scale, flip and recolour a batch a little (the picture, not the generator's pixels)."""
    import torch
    import torch.nn.functional as F

    b = x.shape[0]
    scale = torch.empty(b).uniform_(0.88, 1.12, generator=g)
    flip = torch.where(torch.rand(b, generator=g) < 0.5, -1.0, 1.0)
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = scale * flip
    theta[:, 1, 1] = scale
    theta[:, :, 2] = torch.empty(b, 2).uniform_(-0.08, 0.08, generator=g)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, padding_mode="border", align_corners=False)
    gain = torch.empty(b, 3, 1, 1).uniform_(0.95, 1.05, generator=g) * torch.empty(b, 1, 1, 1).uniform_(
        0.9, 1.1, generator=g
    )
    return (x * 0.25 + 0.5) * gain * 4 - 2  # gain on [0, 1] pixels, back to the normalised scale


def _loss(logits, targets):
    import torch

    total = 0.0
    for k, lg in enumerate(logits):
        logp = torch.log_softmax(lg, 1)
        t = targets[:, k]
        uniform = -logp.mean(1)
        onehot = -logp.gather(1, t.clamp(min=0)[:, None])[:, 0]
        total = total + torch.where(t >= 0, onehot, uniform).mean()
    return total / len(logits)


class Judge:
    """The trained judge: slot probabilities for pictures, answers to questions.

    Same question interface as `rewards.vqa.PaliGemmaScorer`: `score(image, questions)` is the mean
    probability of the correct answers.
    """

    def __init__(self, net, side: int, meta: dict | None = None):
        self.net, self.side, self.meta = net.eval(), side, meta or {}

    def predict(self, images, batch_size: int = 256) -> list[dict[str, np.ndarray]]:
        """Per picture (defended renders, any size, H x W x 3 uint8), slot -> probabilities."""
        import torch

        out: list[dict[str, np.ndarray]] = []
        images = list(images)
        with torch.no_grad():
            for i in range(0, len(images), batch_size):
                x = _to_tensor(np.stack([shrink(im, self.side) for im in images[i : i + batch_size]]))
                probs = [torch.softmax(lg, 1).numpy() for lg in self.net(x)]
                out.extend({s: probs[k][j] for k, s in enumerate(SLOTS)} for j in range(x.shape[0]))
        return out

    def answers(self, images, questions) -> list[JudgeAnswers]:
        """Answers per picture to its own questions (one list per picture)."""
        return [answer(p, q) for p, q in zip(self.predict(images), questions)]

    def score(self, image, questions) -> float:
        r = self.answers([image], [questions])[0]
        return r.vqa if r.vqa is not None else float("nan")

    def save(self, path: Path) -> None:
        import torch

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        torch.save(
            {
                "state_dict": self.net.state_dict(),
                "side": self.side,
                "slots": {s: ATTRIBUTE_SLOTS[s] for s in SLOTS},
                "meta": json.dumps(self.meta),
            },
            tmp,
        )
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path) -> Judge:
        import torch

        p = Path(path)
        if p.is_dir():
            p = p / "judge.pt"
        if not p.exists():
            raise InputError(
                f"no judge at {path}: train one with `svg-agent judge train`, or leave the judge setting at 'auto'"
            )
        blob = torch.load(p, map_location="cpu", weights_only=True)
        if blob["slots"] != {s: ATTRIBUTE_SLOTS[s] for s in SLOTS}:
            raise InputError(
                f"{p} was trained for other slots than this corpus has: train it again (`svg-agent judge train`)"
            )
        net = _net(int(blob["side"]))
        net.load_state_dict(blob["state_dict"])
        return cls(net, int(blob["side"]), json.loads(blob["meta"]))


def accuracy(judge: Judge, scenes, seed: int = 1, flat: bool = False, images=None) -> dict:
    """Share of the scenes' questions the judge answers right (argmax over the choices), overall and
    per kind, on their defended renders (or on `images` given in the scenes' order)."""
    from svg_agent.defenses import defend_main
    from svg_agent.render import render_image

    from .judge import choice_probs, route

    if images is None:
        images = [
            defend_main(render_image(flatten(s.svg) if flat else s.svg), np.random.RandomState(seed + i))
            for i, s in enumerate(scenes)
        ]
    right, kinds = [], {}
    for probs, s in zip(judge.predict(images), scenes):
        for q in s.questions:
            r = route(q["question"], q["choices"])
            if r is None:
                continue
            ok = int(np.argmax(choice_probs(probs, r))) == q["choices"].index(q["answer"])
            right.append(ok)
            kinds.setdefault(r.kind, []).append(ok)
    return {
        "accuracy": float(np.mean(right)) if right else None,
        "questions": len(right),
        "by_kind": {k: round(float(np.mean(v)), 4) for k, v in sorted(kinds.items())},
    }


def train_judge(config: JudgeConfig | None = None, progress: bool = True, log=print) -> Judge:
    """Train a judge from scratch (rendering its data first); returns it with its held-out accuracy in meta."""
    import torch
    from tqdm import tqdm

    config = config or JudgeConfig()
    t0 = time.time()
    images, targets = build_training_set(config, progress)
    t_data = time.time() - t0
    threads = torch.get_num_threads()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    try:
        torch.manual_seed(config.seed)
        g = torch.Generator().manual_seed(config.seed)
        net = _net(config.side)
        x_all, y_all = _to_tensor(images), torch.from_numpy(targets)
        steps = config.epochs * ((len(x_all) + config.batch_size - 1) // config.batch_size)
        opt = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=1e-4)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=steps, pct_start=0.15)
        bar = tqdm(total=steps, desc="judge: training", disable=not progress, unit="step")
        net.train()
        for _epoch in range(config.epochs):
            order = torch.randperm(len(x_all), generator=g)
            for i in range(0, len(order), config.batch_size):
                idx = order[i : i + config.batch_size]
                loss = _loss(net(_augment(x_all[idx], g)), y_all[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.3f}")
        bar.close()
        judge = Judge(net, config.side)
        held = heldout_scenes(config.heldout)
        acc = accuracy(judge, held)
        acc_flat = accuracy(judge, held, flat=True)
    finally:
        torch.set_num_threads(threads)
    judge.meta = {
        "config": asdict(config),
        "corpus_version": corpus_version(),
        "train_images": int(len(images)),
        "seconds_data": round(t_data, 1),
        "seconds_total": round(time.time() - t0, 1),
        "heldout": acc,
        "heldout_flat": acc_flat,
        "stand_in": "judge (not PaliGemma)",
        "key": config.key(),
    }
    log(
        f"judge: trained in {time.time() - t0:.0f} s on {len(images)} pictures; held-out accuracy "
        f"{acc['accuracy']:.3f} (flat backdrops {acc_flat['accuracy']:.3f}) on {acc['questions']} questions"
    )
    return judge


BUNDLED_JUDGE = Path(__file__).parent / "weights" / "judge.pt"


def bundled_judge_key(path: Path | None = None) -> str | None:
    """The cache key the bundled judge was trained under (None: no bundled judge)."""
    path = path or BUNDLED_JUDGE
    if not path.exists():
        return None
    import torch

    return json.loads(torch.load(path, map_location="cpu", weights_only=True)["meta"]).get("key")


def cached_judge_path(config: JudgeConfig | None = None) -> Path:
    """Where the default judge for this corpus is trained into: the cache."""
    return cache_dir() / "judge" / (config or JudgeConfig()).key() / "judge.pt"


def default_judge_path(config: JudgeConfig | None = None) -> Path:
    """The default judge's file: the cached one where it exists, else the bundled one while it is
    current (trained under this key), else its place in the cache."""
    cached = cached_judge_path(config)
    if not cached.exists() and bundled_judge_key() == (config or JudgeConfig()).key():
        return BUNDLED_JUDGE
    return cached


def load_judge(
    path: str | Path | None = None,
    *,
    config: JudgeConfig | None = None,
    train: bool = True,
    progress: bool = True,
    log=print,
) -> Judge:
    """A saved judge (`path`; "auto" or None: $SVG_AGENT_JUDGE when set, else the cached default,
    trained now if it is missing and `train`).

    Raises:
        InputError: `path` has no judge, or the default is missing and `train` is False.
    """
    if path in (None, "", "auto"):
        path = os.environ.get("SVG_AGENT_JUDGE") or None
    if path:
        return Judge.load(path)
    target = default_judge_path(config)
    if not target.exists():
        if not train:
            raise InputError(f"no trained judge in {target.parent}: run `svg-agent judge train`")
        from filelock import FileLock

        target.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(target) + ".lock"):
            if not target.exists():  # another process may have trained it while this one waited
                log(f"judge: none cached for this corpus yet; training one into {target.parent} (a few minutes)")
                train_judge(config, progress, log).save(target)
    return Judge.load(target)
