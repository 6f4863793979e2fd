"""Multiple-choice questions for any description, in the competition's format, with no model.

    from rewards.questions import generate_questions
    generate_questions("a purple forest at dusk")
    # [{"question": "What color is the forest?", "choices": [...], "answer": "purple"}, ...]

TIFA-style: the subject, its colours, the setting or time of day, counts and shapes, each asked
with the answer among distractors from the same category (shuffled by a seed from the text), plus
one yes/no question. Questions name only what the description states, so a faithful drawing can
answer all of them. An instruction-tuned LLM generator can replace this one when a model is there.
"""

from __future__ import annotations

import hashlib
import random
import re

from .standin import ACHROMATIC, COLORS, SHAPES

SUBJECTS = {
    "landscape": ["forest", "mountain", "mountains", "lake", "river", "ocean", "sea", "beach", "desert", "field",
                  "meadow", "valley", "canyon", "island", "waterfall", "sky", "cliff", "hill", "hills", "sunset",
                  "sunrise", "lighthouse", "city", "skyline", "village", "garden", "park", "road", "bridge"],
    "fashion": ["coat", "dress", "shirt", "scarf", "hat", "jacket", "skirt", "trousers", "pants", "boots",
                "shoes", "sweater", "gloves", "overalls", "cape", "vest", "tie", "belt", "bag", "umbrella"],
    "object": ["house", "tree", "flower", "boat", "car", "cat", "dog", "bird", "fish", "clock", "lamp",
               "chair", "table", "book", "cup", "kite", "balloon", "rocket", "castle", "tower", "cloud"],
    "abstract": ["pattern", "grid", "spiral", "shapes", "composition", "mosaic", "waves", "lines"],
}
TIMES = ["dawn", "sunrise", "morning", "noon", "afternoon", "dusk", "sunset", "twilight", "night", "midnight"]
WEATHER = ["rain", "snow", "fog", "storm", "sunshine", "clouds", "wind"]
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
_STOP = {"a", "an", "the", "of", "with", "and", "at", "in", "on", "under", "over", "by", "for", "from"}
_COLOR_WORDS = set(COLORS) | set(ACHROMATIC)
_ALL_SUBJECTS = {w: cat for cat, words in SUBJECTS.items() for w in words}


def _rng(description: str, salt: str = "") -> random.Random:
    return random.Random(int(hashlib.sha256((salt + description).encode()).hexdigest()[:12], 16))


def _choices(answer: str, pool: list[str], rng: random.Random, k: int = 4) -> list[str]:
    others = [p for p in dict.fromkeys(pool) if p != answer]
    rng.shuffle(others)
    out = [answer] + others[: k - 1]
    rng.shuffle(out)
    return out


BASIC_COLORS = ["red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white", "gray"]


def _singular(w: str) -> str:
    return w[:-1] if w.endswith("s") and w[:-1] in _ALL_SUBJECTS else w


def _subject(words: list[str]) -> str | None:
    for w in words:
        if _singular(w) in _ALL_SUBJECTS:
            return _singular(w)
    return None


def _color_distractors(answer: str) -> list[str]:
    """Basic colours clearly unlike the answer (no 'navy' against 'blue')."""
    from .standin import _lab

    def rgb(c):
        return COLORS.get(c) or {"black": (0, 0, 0), "white": (255, 255, 255), "gray": (128, 128, 128)}[c]

    a = _lab(rgb(answer))[0]
    return [c for c in BASIC_COLORS if c != answer and float(((_lab(rgb(c))[0] - a) ** 2).sum() ** 0.5) > 40]


def generate_questions(description: str, max_questions: int = 4) -> list[dict]:
    """Questions a faithful drawing of `description` answers, in the competition's format.

    Returns:
        A list of {"question", "choices", "answer"} (2 or 4 choices each), at most max_questions.
    """
    text = description.lower()
    words = re.findall(r"[a-z]+", text)
    rng = _rng(description)
    out: list[dict] = []
    subject = _subject(words)
    if subject:
        category = _ALL_SUBJECTS[subject]
        pool = [w for w in SUBJECTS[category] if _singular(w) == w]
        out.append({"question": "What is the main subject of the image?",
                    "choices": _choices(subject, pool, rng), "answer": subject})
    # the colour of what follows a colour word: "purple forest", "gray wool coat" (-> coat)
    modifiers = ("dark", "light", "pale", "bright", "deep", "soft", "vivid", "pastel")
    for i, w in enumerate(words):
        if w in _COLOR_WORDS:
            after = [x for x in words[i + 1:i + 4] if x not in _COLOR_WORDS and x not in _STOP and x not in modifiers]
            noun = next((x for x in after if _singular(x) in _ALL_SUBJECTS), after[0] if after else None)
            name = "gray" if w == "grey" else w
            if noun:
                q = f"What color {'are' if noun.endswith('s') and _singular(noun) != noun else 'is'} the {noun}?"
            else:
                q = "What is the main color of the image?"
            out.append({"question": q, "choices": _choices(name, _color_distractors(name), rng), "answer": name})
            break
    for w in words:
        if w in TIMES:
            out.append({"question": "What time of day is shown?", "choices": _choices(w, TIMES, rng), "answer": w})
            break
        if w in WEATHER:
            out.append({"question": "What weather is shown?", "choices": _choices(w, WEATHER, rng), "answer": w})
            break
    for i, w in enumerate(words):
        if w in NUMBERS and i + 1 < len(words):
            noun = next((x for x in words[i + 1:] if x not in _COLOR_WORDS and x not in _STOP and x not in modifiers), words[i + 1])
            pool = [str(n) for n in range(1, 9)]
            out.append({"question": f"How many {noun} are there?",
                        "choices": _choices(str(NUMBERS[w]), pool, rng), "answer": str(NUMBERS[w])})
            break
    shapes = [w for w in words if w in SHAPES]
    if shapes:
        canon = SHAPES[shapes[0]]
        pool = ["circle", "square", "rectangle", "triangle", "star", "line"]
        out.append({"question": "Which shape appears in the image?", "choices": _choices(canon, pool, rng), "answer": canon})
    if subject:
        out.append({"question": f"Is there a {subject} in the image?", "choices": ["yes", "no"], "answer": "yes"})
    if not out:
        out.append({"question": "Does the image show a drawing?", "choices": ["yes", "no"], "answer": "yes"})
    return out[:max_questions]
