"""Multiple-choice questions: the competition's files read as they are, and generated ones.

    from rewards.questions import generate_questions
    generate_questions("a purple forest at dusk")
    # [{"question": "What color is the forest?", "choices": [...], "answer": "purple"}, ...]

TIFA-style: the subject, its colours, the setting or time of day, counts and shapes, each asked
with the answer among distractors from the same category (shuffled by a seed from the text), plus
one yes/no question. Questions name only what the description states, so a faithful drawing can
answer all of them. `LLMQuestionGenerator` asks an instruction-tuned LLM (e.g. Gemma 3 1B-it) through
transformers instead and tops its reply up with these rules.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import random
import re
from pathlib import Path

from svg_agent.errors import InputError

from .standin import ACHROMATIC, COLORS, SHAPES

SUBJECTS = {
    "landscape": [
        "forest",
        "mountain",
        "mountains",
        "lake",
        "river",
        "ocean",
        "sea",
        "beach",
        "desert",
        "field",
        "meadow",
        "valley",
        "canyon",
        "island",
        "waterfall",
        "sky",
        "cliff",
        "hill",
        "hills",
        "sunset",
        "sunrise",
        "lighthouse",
        "city",
        "skyline",
        "village",
        "garden",
        "park",
        "road",
        "bridge",
    ],
    "fashion": [
        "coat",
        "dress",
        "shirt",
        "scarf",
        "hat",
        "jacket",
        "skirt",
        "trousers",
        "pants",
        "boots",
        "shoes",
        "sweater",
        "gloves",
        "overalls",
        "cape",
        "vest",
        "tie",
        "belt",
        "bag",
        "umbrella",
    ],
    "object": [
        "house",
        "tree",
        "flower",
        "boat",
        "car",
        "cat",
        "dog",
        "bird",
        "fish",
        "clock",
        "lamp",
        "chair",
        "table",
        "book",
        "cup",
        "kite",
        "balloon",
        "rocket",
        "castle",
        "tower",
        "cloud",
    ],
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
    from .standin import to_lab

    def rgb(c):
        return COLORS.get(c) or {"black": (0, 0, 0), "white": (255, 255, 255), "gray": (128, 128, 128)}[c]

    a = to_lab(rgb(answer))[0]
    return [c for c in BASIC_COLORS if c != answer and float(((to_lab(rgb(c))[0] - a) ** 2).sum() ** 0.5) > 40]


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
        out.append(
            {
                "question": "What is the main subject of the image?",
                "choices": _choices(subject, pool, rng),
                "answer": subject,
            }
        )
    # the colour of what follows a colour word: "purple forest", "gray wool coat" (-> coat)
    modifiers = ("dark", "light", "pale", "bright", "deep", "soft", "vivid", "pastel")
    for i, w in enumerate(words):
        if w in _COLOR_WORDS:
            after = [x for x in words[i + 1 : i + 4] if x not in _COLOR_WORDS and x not in _STOP and x not in modifiers]
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
            noun = next(
                (x for x in words[i + 1 :] if x not in _COLOR_WORDS and x not in _STOP and x not in modifiers),
                words[i + 1],
            )
            pool = [str(n) for n in range(1, 9)]
            out.append(
                {
                    "question": f"How many {noun} are there?",
                    "choices": _choices(str(NUMBERS[w]), pool, rng),
                    "answer": str(NUMBERS[w]),
                }
            )
            break
    shapes = [w for w in words if w in SHAPES]
    if shapes:
        canon = SHAPES[shapes[0]]
        pool = ["circle", "square", "rectangle", "triangle", "star", "line"]
        out.append(
            {"question": "Which shape appears in the image?", "choices": _choices(canon, pool, rng), "answer": canon}
        )
    if subject:
        out.append({"question": f"Is there a {subject} in the image?", "choices": ["yes", "no"], "answer": "yes"})
    if not out:
        out.append({"question": "Does the image show a drawing?", "choices": ["yes", "no"], "answer": "yes"})
    return out[:max_questions]


LLM_INSTRUCTION = (
    'Write {n} multiple-choice questions that someone could answer by looking at a drawing of: "{description}". '
    "Ask only about what the description states: the subject, colors, setting or time of day, counts, shapes, style. "
    'Answer with one JSON object per line, {{"question": "...", "choices": ["...", "..."], "answer": "..."}}, '
    'with either the two choices ["yes", "no"] or four choices, and the answer one of the choices.'
)
_JSON_RE = re.compile(r"\{[^{}]*\}")


def parse_llm_questions(text: str) -> list[dict]:
    """The well-formed questions in an LLM's reply (JSON objects; 2 or 4 distinct choices; answer among them)."""
    import json

    out, seen = [], set()
    for m in _JSON_RE.finditer(text or ""):
        try:
            obj = json.loads(m.group())
        except ValueError:
            continue
        q, choices, answer = obj.get("question"), obj.get("choices"), obj.get("answer")
        if not (isinstance(q, str) and q.strip() and isinstance(choices, list) and isinstance(answer, str)):
            continue
        choices = [str(c).strip() for c in choices]
        if len(choices) not in (2, 4) or len(set(choices)) != len(choices) or answer.strip() not in choices:
            continue
        key = q.strip().lower()
        if key not in seen:
            seen.add(key)
            out.append({"question": q.strip(), "choices": choices, "answer": answer.strip()})
    return out


class LLMQuestionGenerator:
    """Questions from an instruction-tuned LLM (e.g. google/gemma-3-1b-it) through transformers,
    topped up with the rule-based generator when the reply has too few well-formed ones.

    Args:
        model_id: hub id or local folder of a causal LM with a chat template.
        device: "cuda", "cpu" or None.
        max_new_tokens: reply length limit.
        model, tokenizer: already loaded objects (tests, or sharing the policy's model).
    """

    def __init__(
        self,
        model_id: str = "google/gemma-3-1b-it",
        device: str | None = None,
        max_new_tokens: int = 384,
        model=None,
        tokenizer=None,
    ):
        self.model_id, self.device, self.max_new_tokens = model_id, device, max_new_tokens
        self.model, self.tokenizer = model, tokenizer
        self.last_reply = ""

    def _load(self):
        from svg_agent._torchvision import import_torch
        from svg_agent.errors import ConfigError

        _, self.device = import_torch("LLM questions", self.device)
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if self.model is None:
            try:
                self.tokenizer = AutoTokenizer.from_pretrained(self.model_id)
                self.model = AutoModelForCausalLM.from_pretrained(self.model_id).to(self.device)
            except OSError as exc:
                raise ConfigError(
                    f"could not load the question model {self.model_id}: {str(exc).splitlines()[0][:200]}"
                ) from None
        self.model.eval()

    def generate(self, description: str, max_questions: int = 4) -> list[dict]:
        """Up to `max_questions` questions: the LLM's well-formed ones first, then rule-based."""
        import torch

        if self.model is None or self.tokenizer is None:
            self._load()
        text = LLM_INSTRUCTION.format(n=max_questions, description=description)
        if getattr(self.tokenizer, "chat_template", None):
            ids = self.tokenizer.apply_chat_template(
                [{"role": "user", "content": text}], add_generation_prompt=True, return_tensors="pt", return_dict=True
            )
        else:
            ids = self.tokenizer(text, return_tensors="pt")
        ids = {k: v.to(self.model.device) for k, v in ids.items()}
        with torch.no_grad():
            out = self.model.generate(**ids, max_new_tokens=self.max_new_tokens, do_sample=False)
        self.last_reply = self.tokenizer.decode(out[0][ids["input_ids"].shape[-1] :], skip_special_tokens=True)
        questions = parse_llm_questions(self.last_reply)[:max_questions]
        for q in generate_questions(description, max_questions):
            if len(questions) >= max_questions:
                break
            if q["question"].lower() not in {x["question"].lower() for x in questions}:
                questions.append(q)
        return questions


def read_table(path: str | Path) -> list[dict]:
    """Rows of a CSV or parquet file as dicts."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{path}: no such file")
    if p.suffix == ".parquet":
        try:
            import pandas as pd
        except ImportError:
            raise InputError(f"{path}: reading parquet needs pandas and pyarrow (pip install pandas pyarrow)") from None
        return pd.read_parquet(p).to_dict("records")
    with p.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _listish(value):
    if isinstance(value, str) and value.strip().startswith("["):
        return ast.literal_eval(value)
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def load_questions(path: str | Path) -> dict[str, list[dict]]:
    """Questions per id from the competition's files: one row per question, or list columns."""
    out: dict[str, list[dict]] = {}
    for row in read_table(path):
        missing = {"id", "question", "choices", "answer"} - set(row)
        if missing:
            raise InputError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        qs, cs, ans = _listish(row["question"]), _listish(row["choices"]), _listish(row["answer"])
        if isinstance(qs, list):  # the metric's solution format: lists per id
            items = [{"question": q, "choices": list(c), "answer": a} for q, c, a in zip(qs, cs, ans)]
        else:
            items = [{"question": qs, "choices": list(cs), "answer": ans}]
        out.setdefault(str(row["id"]), []).extend(items)
    return out
