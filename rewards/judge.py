"""STAND-IN for the VQA model: a small judge that answers multiple-choice questions about a picture.

    from rewards.judge import load_judge, judge_questions
    judge = load_judge()                       # the bundled judge (rewards/weights/judge.pt) while current, else trained once and cached
    qs = judge_questions("a lighthouse overlooking the ocean")
    judge.score(defended_image, qs)            # mean P(correct answer), as the metric computes VQA

The judge is a small CNN (`rewards/judge_model.py`) trained on the defended renders of the
procedural corpus (`vectorize/scenes.py`) to predict what each picture shows, slot by slot
(`ATTRIBUTE_SLOTS`: which object, its colour, the background colour, how many, the terrain, the
time of day, moon, clouds). On pictures that are not drawings of anything (blank, one colour,
random shapes, text) it was trained to answer uniformly: it does not know.

A question is answered the way PaliGemma answers it in the metric, a probability per choice
over the choices: `route` maps the question to a slot and each choice to one of the slot's values;
what the judge believes of values that are not among the choices ("black" when the choices are
four other colours) is spread evenly over them, so a picture of something else is a "don't know",
not a win for whichever choice is least unlikely. A yes/no question about a value ("Is the coat
red?", "Is there a lighthouse?") weighs that value's probability against the likeliest other
value, so "don't know" gives 0.5. A
question it cannot route is left out; when none can be, the judge says so (None), and the reward
leaves faithfulness out rather than guessing.

It is a stand-in, named so in every key (`judge_*`); it is not PaliGemma and not the metric.
This module is torch-free apart from `Judge`, which holds the model.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import numpy as np

from vectorize.scenes import ATTRIBUTE_SLOTS, COLORS, PATTERNS, SHAPES, plural

from .questions import _choices, _rng

# Colour words to the corpus's basic colours: the lexicon's own families (`vectorize.scenes.COLORS`,
# set by hand: a nearest-colour rule calls navy purple and teal gray) and a few spellings beside it.
# Words that sit between two basic colours (teal, turquoise, magenta, beige) are left out: a
# question about them is not asked of the judge.
COLOR_FAMILY = {
    **{c: c for c in ATTRIBUTE_SLOTS["color"]},
    **{name: family for name, (_, family) in COLORS.items() if family},
    "grey": "gray",
    "ash": "gray",
    "jet": "black",
}
MODIFIERS = {"dark", "light", "pale", "bright", "deep", "soft", "vivid", "pastel", "muted", "neon", "dusky", "faded"}
SYNONYMS = {
    "object": {
        **{plural(v): v for v in ATTRIBUTE_SLOTS["object"] if v != "none"},
        "dot": "circle",
        "dots": "circle",
        "disc": "circle",
        "stripes": "stripe",
        "checkered squares": "checkerboard",
        "checkerboard pattern": "checkerboard",
        "waves": "wave",
        "lines": "line",
        "thread": "line",
        "threads": "line",
        "boat": "sailboat",
        "boats": "sailboat",
        "sailing boat": "sailboat",
        "balloon": "hot air balloon",
        "hot-air balloon": "hot air balloon",
        "balloons": "hot air balloon",
        "hut": "cabin",
        "cottage": "cabin",
        "log cabin": "cabin",
        "cottages": "cabin",
        "tshirt": "t-shirt",
        "t shirt": "t-shirt",
        "tee": "t-shirt",
        "blouse": "shirt",
        "trousers": "pants",
        "jeans": "pants",
        "dungarees": "overalls",
        "gown": "dress",
        "hoodie": "sweater",
        "cardigan": "sweater",
        "jumper": "sweater",
        "blazer": "jacket",
        "cap": "hat",
        "beanie": "hat",
        "sneaker": "sneakers",
        "boot": "boots",
        "handbag": "bag",
        "purse": "bag",
        "tote": "bag",
        "scarves": "scarf",
        "dresses": "dress",
        "castle tower": "tower",
    },
    "terrain": {
        "mountain": "mountains",
        "peaks": "mountains",
        "mountain range": "mountains",
        "hill": "hills",
        "ocean": "sea",
        "seas": "sea",
        "forests": "forest",
        "woods": "forest",
        "pines": "forest",
        "pine forest": "forest",
        "dunes": "desert",
        "sand dunes": "desert",
        "deserts": "desert",
        "plain": "field",
        "plains": "field",
        "meadow": "field",
        "wheat field": "field",
        "prairie": "field",
        "grassland": "field",
        "fields": "field",
        "lagoon": "lake",
        "pond": "lake",
        "lakes": "lake",
        "shore": "beach",
        "coast": "beach",
        "seashore": "beach",
        "stream": "river",
        "creek": "river",
    },
    "time": {
        "sunrise": "dawn",
        "daybreak": "dawn",
        "morning": "noon",
        "midday": "noon",
        "daytime": "noon",
        "afternoon": "noon",
        "sunset": "dusk",
        "evening": "dusk",
        "twilight": "dusk",
        "midnight": "night",
        "nighttime": "night",
    },
    "count": {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "single": "1", "a pair of": "2"},
    "moon": {},
    "clouds": {},
}
SLOT_KIND = {
    "object": "object",
    "color": "color",
    "background": "color",
    "count": "count",
    "terrain": "setting",
    "time": "time",
    "moon": "presence",
    "clouds": "presence",
}
KINDS = ["object", "color", "count", "setting", "time", "presence"]
_BACKDROP = {
    "background",
    "backdrop",
    "sky",
    "ground",
    "water",
    "sea",
    "ocean",
    "hills",
    "mountains",
    "forest",
    "desert",
    "grass",
    "field",
    "land",
}


def value_of(slot: str, text: str) -> str | None:
    """The slot value a choice or phrase names ("Crimson" -> "red", "boat" -> "sailboat"), or None."""
    t = re.sub(r"\s+", " ", text.lower().strip().strip(".?!"))
    if slot in ("color", "background"):
        words = [w for w in re.findall(r"[a-z]+", t) if w not in MODIFIERS]
        return COLOR_FAMILY.get(words[0]) if len(words) == 1 else None
    t = re.sub(r"^(a|an|the) ", "", t)
    values = ATTRIBUTE_SLOTS[slot]
    if t in values and t != "none":
        return t
    return SYNONYMS.get(slot, {}).get(t)


@dataclass(frozen=True)
class Route:
    """How a question is answered: from `slot`, the choices mapped to `values`; for a yes/no
    question about one value, `about` is that value (P(yes) compares it with the alternatives),
    and for the moon/clouds slots `about` is None (the slot itself is yes/no)."""

    slot: str
    values: tuple[str | None, ...]
    about: str | None = None
    subject: str | None = None  # colour and count questions: the object value they ask about

    @property
    def kind(self) -> str:
        return SLOT_KIND[self.slot]


def _yes_no(choices) -> bool:
    return sorted(c.strip().lower() for c in choices) == ["no", "yes"]


def route(question: str, choices) -> Route | None:
    """Map a question to what the judge predicts, or None when it cannot answer it."""
    q = question.lower().strip()
    choices = [str(c) for c in choices]
    subject = None
    if _yes_no(choices):
        values = tuple(c.strip().lower() for c in choices)
        if re.search(r"\bmoon\b", q):
            return Route("moon", values)
        if re.search(r"\bclouds?\b|\bcloudy\b", q):
            return Route("clouds", values)
        m = re.match(r"^(?:is|are) the ([a-z -]+?) ([a-z]+)\?$", q)
        if m and value_of("color", m.group(2)):
            slot = "background" if m.group(1) in ("background", "backdrop") else "color"
            if slot == "color" and m.group(1) in _BACKDROP:
                return None
            return Route(slot, values, value_of("color", m.group(2)))
        m = re.match(r"^(?:is|are) there (?:a |an |any |some )?([a-z -]+?)(?: in the (?:image|picture|scene))?\?$", q)
        if m:
            for slot in ("object", "terrain"):
                v = value_of(slot, m.group(1))
                if v:
                    return Route(slot, values, v)
        m = re.match(r"^is (?:it|this|the scene) (?:at |during the |in the )?([a-z]+)\?$", q)
        if m and value_of("time", m.group(1)):
            return Route("time", values, value_of("time", m.group(1)))
        return None
    if "time of day" in q or q.startswith("what time"):
        slots = ["time"]
    elif "how many" in q:
        slots = ["count"]
        m = re.search(r"how many ([a-z-]+)", q)
        subject = value_of("object", m.group(1)) if m else None
    elif "colo" in q:
        m = re.search(r"colou?rs? (?:is|are) the ([a-z -]+?)\?", q)
        noun = m.group(1).split()[-1] if m else ""
        if "background" in q or noun == "backdrop":
            slots = ["background"]
        elif noun in _BACKDROP:
            return None  # the colour of the sky or the ground: not something the judge was taught
        else:
            slots = ["color"]
            subject = value_of("object", noun) if noun else None
    elif re.search(r"below the sky|setting|landscape|terrain|scenery|environment|where\b", q):
        slots = ["terrain"]
    else:
        slots = ["object", "terrain", "time"]
    for slot in slots:
        values = tuple(value_of(slot, c) for c in choices)
        if all(values) and len(set(values)) == len(values):
            return Route(slot, values, subject=subject)
    return None


def _mc(question: str, answer: str, pool, rng: random.Random) -> dict:
    return {"question": question, "choices": _choices(answer, [v for v in pool if v != "none"], rng), "answer": answer}


def _find(slot: str, words: list[str]) -> tuple[int, str] | None:
    """The first phrase of one to three words that names a value of `slot`: (index, value)."""
    for i in range(len(words)):
        for n in (3, 2, 1):
            v = value_of(slot, " ".join(words[i : i + n])) if i + n <= len(words) else None
            if v:
                return i, v
    return None


def judge_questions(description: str, max_questions: int = 4) -> list[dict]:
    """Questions about `description` that the judge can answer, in the competition's format.

    Like `rewards.questions.generate_questions`, restricted to the judge's slots and values: the
    object or garment, its colour, the background colour, a count, the terrain, the time of day,
    clouds and moon, each with distractors from the same slot. Empty when nothing can be asked.
    """
    words = re.findall(r"[a-z]+(?:-[a-z]+)?", description.lower())
    rng = _rng(description, salt="judge:")
    out: list[dict] = []
    obj = _find("object", words)
    if obj:
        group = tuple(SHAPES + PATTERNS)
        pool = group if obj[1] in group else [v for v in ATTRIBUTE_SLOTS["object"] if v not in group]
        out.append(_mc("What is shown in the image?", obj[1], pool, rng))
    for i, w in enumerate(words):
        colour = value_of("color", w)
        if not colour:
            continue
        after = [x for x in words[i + 1 : i + 4] if x not in MODIFIERS and x not in ("and", "colored")]
        if not after:
            continue
        if after[0] in ("background", "backdrop"):
            q = "What color is the background?"
            out.append(_mc(q, colour, [c for c in ATTRIBUTE_SLOTS["background"] if c != colour], rng))
            continue
        noun = _find("object", after[:2])
        if noun and not any(
            x["question"].startswith("What color is the") and "background" not in x["question"] for x in out
        ):
            name = after[noun[0]]
            q = f"What color {'are' if name.endswith('s') and name != 'dress' else 'is'} the {name}?"
            out.append(_mc(q, colour, ATTRIBUTE_SLOTS["color"], rng))
    for i, w in enumerate(words[:-1]):
        n = value_of("count", w)
        if n and _find("object", words[i + 1 : i + 3]):
            noun = next(x for x in words[i + 1 : i + 3] if value_of("object", x))
            out.append(_mc(f"How many {noun} are there?", n, ATTRIBUTE_SLOTS["count"], rng))
            break
    terrain = _find("terrain", words)
    if terrain:
        out.append(_mc("What is below the sky?", terrain[1], ATTRIBUTE_SLOTS["terrain"], rng))
    time = _find("time", words)
    if time:
        out.append(_mc("What time of day is shown?", time[1], ATTRIBUTE_SLOTS["time"], rng))
    if re.search(r"\bclouds?\b|\bcloudy\b", description.lower()):
        out.append({"question": "Are there clouds?", "choices": ["yes", "no"], "answer": "yes"})
    if re.search(r"\bmoon(lit)?\b", description.lower()):
        out.append({"question": "Is there a moon?", "choices": ["yes", "no"], "answer": "yes"})
    if obj and len(out) < max_questions:
        out.append(
            {
                "question": f"Is there {'an' if obj[1][0] in 'aeiou' else 'a'} {obj[1]} in the image?",
                "choices": ["yes", "no"],
                "answer": "yes",
            }
        )
    return out[:max_questions]


def choice_probs(slot_probs: dict[str, np.ndarray], r: Route) -> np.ndarray:
    """P per choice from the judge's slot distributions (values in ATTRIBUTE_SLOTS order)."""
    names = ATTRIBUTE_SLOTS[r.slot]
    p = np.asarray(slot_probs[r.slot], np.float64)
    if r.about is None and r.slot in ("moon", "clouds"):
        yes = float(p[names.index("yes")] / (p[names.index("yes")] + p[names.index("no")]))
    elif r.about is not None:
        # "Is it X?": X's probability against the likeliest other value: a uniform ("don't know")
        # answer is 0.5, X believed is near 1, something else believed is near 0.
        i = names.index(r.about)
        px = float(p[i])
        yes = px / (px + float(np.delete(p, i).max()) + 1e-12)
    else:
        # The mass on values that are not among the choices is spread evenly over the choices.
        q = np.array([p[names.index(v)] for v in r.values])
        return q + max(0.0, 1.0 - float(q.sum())) / len(q)
    return np.array([yes if v == "yes" else 1.0 - yes for v in r.values])


@dataclass
class JudgeAnswers:
    """The judge's answers for one picture: per answered question, P(correct) and its kind."""

    p_correct: list[float]
    n_choices: list[int]
    kinds: list[str]
    skipped: int = 0  # questions the judge could not route

    @property
    def vqa(self) -> float | None:
        """Mean P(correct): the metric's VQA formula with the judge in PaliGemma's place."""
        return float(np.mean(self.p_correct)) if self.p_correct else None

    @property
    def faithfulness(self) -> float | None:
        """Mean chance-corrected P(correct), (p - 1/k) / (1 - 1/k) floored at 0: 0 for a picture
        the judge cannot read (it answers uniformly), 1 for one it reads with certainty. The
        offline reward uses this, so random drawings earn nothing for the questions' chance level."""
        if not self.p_correct:
            return None
        return float(np.mean([max(0.0, (p - 1 / k) / (1 - 1 / k)) for p, k in zip(self.p_correct, self.n_choices)]))

    def by_kind(self) -> dict[str, float]:
        out = {}
        for kind in KINDS:
            vals = [
                max(0.0, (p - 1 / k) / (1 - 1 / k))
                for p, k, kk in zip(self.p_correct, self.n_choices, self.kinds)
                if kk == kind
            ]
            if vals:
                out[f"judge_{kind}"] = float(np.mean(vals))
        return out


def object_belief(slot_probs: dict[str, np.ndarray], value: str) -> float:
    """How far the judge believes `value` is the object shown: its probability against the
    likeliest other object (0.5 for a uniform "don't know")."""
    names = ATTRIBUTE_SLOTS["object"]
    p = np.asarray(slot_probs["object"], np.float64)
    i = names.index(value)
    return float(p[i] / (p[i] + np.delete(p, i).max() + 1e-12))


def answer(slot_probs: dict[str, np.ndarray], questions, object_gate: bool = False) -> JudgeAnswers:
    """Answer ground-truth questions ({question, choices, answer}) from one picture's slot probabilities.

    With `object_gate`, a question about a named object's colour or count ("What color are the
    circles?") is answered as P(correct) where the judge believes that object is shown and as
    chance where it does not, mixed by `object_belief` mapped from [0.5, 1] onto [0, 1]: the colour
    of a shirt is no answer about circles, and a picture it cannot read earns chance."""
    res = JudgeAnswers([], [], [])
    for q in questions or []:
        choices = [str(c) for c in q["choices"]]
        r = route(q["question"], choices)
        if r is None or str(q["answer"]) not in choices:
            res.skipped += 1
            continue
        p = choice_probs(slot_probs, r)
        pc = float(p[choices.index(str(q["answer"]))])
        if object_gate and r.subject is not None:
            w = max(0.0, 2.0 * object_belief(slot_probs, r.subject) - 1.0)
            pc = w * pc + (1.0 - w) / len(choices)
        res.p_correct.append(pc)
        res.n_choices.append(len(choices))
        res.kinds.append(r.kind)
    return res


def answerable(questions) -> list[dict]:
    """The questions the judge can route."""
    return [
        q for q in questions or [] if route(q["question"], q["choices"]) is not None and q["answer"] in q["choices"]
    ]
