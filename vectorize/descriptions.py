"""Training descriptions in the competition's style: short, concrete, at most 200 characters.

    svg-agent descriptions --n 5000 -o data/descriptions.txt [--seed 0] [--llm google/gemma-3-1b-it]

From a grammar of the competition's three kinds (landscapes and skies; abstract shapes and
colours and their arrangement; garments and objects), deterministic for a seed, no repeats;
optionally topped with an instruction-tuned LLM's suggestions through transformers.
"""

from __future__ import annotations

import random
import re

COLORS = [
    "red",
    "crimson",
    "scarlet",
    "orange",
    "amber",
    "yellow",
    "golden",
    "green",
    "emerald",
    "olive",
    "teal",
    "turquoise",
    "blue",
    "navy",
    "sapphire",
    "purple",
    "violet",
    "lavender",
    "magenta",
    "pink",
    "brown",
    "beige",
    "gray",
    "charcoal",
    "black",
    "white",
    "silver",
    "cream",
    "maroon",
    "indigo",
]
TONES = ["", "", "", "dark ", "light ", "pale ", "bright ", "deep "]
SHAPES = [
    "circles",
    "squares",
    "triangles",
    "rectangles",
    "stars",
    "hexagons",
    "dots",
    "stripes",
    "waves",
    "spirals",
    "diamonds",
    "arcs",
    "lines",
]
ARRANGEMENTS = [
    "forming a chaotic grid",
    "arranged in a spiral",
    "scattered across a {c} background",
    "in a neat row",
    "stacked in a tower",
    "overlapping in the center",
    "radiating from the middle",
    "floating on a {c} field",
    "in concentric rings",
    "along a diagonal",
]
PLACES = [
    "forest",
    "lake",
    "mountain range",
    "desert",
    "beach",
    "meadow",
    "canyon",
    "river valley",
    "snowy field",
    "city skyline",
    "harbor",
    "island",
    "waterfall",
    "vineyard",
    "lighthouse on a cliff",
    "cottage on a hill",
]
TIMES = [
    "at dawn",
    "at sunrise",
    "at noon",
    "in the afternoon",
    "at dusk",
    "at sunset",
    "at twilight",
    "at night",
    "under a full moon",
    "under a starry sky",
]
WEATHER = ["", "", "in the rain", "in thick fog", "after a snowfall", "under storm clouds", "in a light breeze"]
GARMENTS = [
    "coat",
    "dress",
    "scarf",
    "hat",
    "jacket",
    "skirt",
    "sweater",
    "boots",
    "umbrella",
    "cape",
    "gloves",
    "shirt",
    "vest",
    "backpack",
    "kimono",
]
MATERIALS = ["wool", "silk", "linen", "leather", "denim", "velvet", "cotton", "knit", "corduroy", "satin"]
DETAILS = [
    "with a faux fur collar",
    "with brass buttons",
    "with a wide belt",
    "with pleats",
    "with a floral pattern",
    "with polka dots",
    "with a hood",
    "with fringed edges",
    "with a zigzag hem",
    "with embroidered cuffs",
]
OBJECTS = [
    "teapot",
    "bicycle",
    "sailboat",
    "hot air balloon",
    "kite",
    "clock tower",
    "lantern",
    "violin",
    "cactus",
    "rocket",
    "owl",
    "fox",
    "whale",
    "butterfly",
    "mushroom",
    "windmill",
    "treehouse",
    "carousel",
]


def _color(rng: random.Random) -> str:
    return rng.choice(TONES) + rng.choice(COLORS)


def _a(phrase: str) -> str:
    return ("an " if phrase[0] in "aeiou" else "a ") + phrase


def landscape(rng: random.Random) -> str:
    d = f"{_a(_color(rng) + ' ' + rng.choice(PLACES))} {rng.choice(TIMES)}"
    w = rng.choice(WEATHER)
    return f"{d} {w}".strip()


def abstract(rng: random.Random) -> str:
    arrangement = rng.choice(ARRANGEMENTS).format(c=_color(rng))
    if rng.random() < 0.4:
        return f"{_color(rng)} {rng.choice(SHAPES)} and {_color(rng)} {rng.choice(SHAPES)} {arrangement}"
    return f"{_color(rng)} {rng.choice(SHAPES)} {arrangement}"


def garment(rng: random.Random) -> str:
    return f"{_color(rng)} {rng.choice(MATERIALS)} {rng.choice(GARMENTS)} {rng.choice(DETAILS)}"


def thing(rng: random.Random) -> str:
    place = rng.choice(["on a table", "in a field", "against a " + _color(rng) + " sky", "by a window", "on a shelf"])
    return f"{_a(_color(rng) + ' ' + rng.choice(OBJECTS))} {place}"


KINDS = [landscape, abstract, garment, thing]


def generate_descriptions(n: int, seed: int = 0) -> list[str]:
    """`n` distinct descriptions (at most 200 characters), deterministic for `seed`."""
    rng = random.Random(seed)
    out: dict[str, None] = {}
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > 50 * n + 1000:
            raise ValueError(f"the grammar gave only {len(out)} distinct descriptions")
        d = re.sub(r"\s+", " ", rng.choice(KINDS)(rng)).strip()
        if len(d) <= 200:
            out.setdefault(d, None)
    return list(out)


def llm_descriptions(
    n: int, generator_model: str | None = None, model=None, tokenizer=None, seed: int = 0, max_new_tokens: int = 512
) -> list[str]:
    """Descriptions from an instruction-tuned LLM, topped up from the grammar to `n`."""
    from svg_agent._torchvision import import_torch
    from svg_agent.errors import ConfigError

    torch, _ = import_torch("LLM descriptions")
    if model is None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(generator_model)
            model = AutoModelForCausalLM.from_pretrained(generator_model)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"could not load {generator_model}: {str(exc).splitlines()[0][:200]}") from None
    examples = generate_descriptions(6, seed)
    ask = "Write 20 short descriptions of simple pictures, one per line, each under 15 words, like:\n" + "\n".join(
        examples
    )
    if getattr(tokenizer, "chat_template", None):
        inputs = tokenizer.apply_chat_template(
            [{"role": "user", "content": ask}], add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
    else:
        inputs = tokenizer(ask, return_tensors="pt")
    torch.manual_seed(seed)
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=True, temperature=0.9)
    reply = tokenizer.decode(out[0][inputs["input_ids"].shape[-1] :], skip_special_tokens=True)
    found: dict[str, None] = {}
    for line in reply.splitlines():
        line = re.sub(r"^\s*(?:\d+[.)]|[-*•])\s*", "", line).strip().strip('"').rstrip(".")
        if 3 <= len(line.split()) <= 30 and len(line) <= 200 and line not in examples:
            found.setdefault(line[0].lower() + line[1:], None)
    result = list(found)[:n]
    for d in generate_descriptions(n + len(result), seed):
        if len(result) >= n:
            break
        if d not in found:
            result.append(d)
    return result
