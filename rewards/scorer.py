"""One scorer for training and evaluation: sanitize, render once, defend once, every term, combine.

    from rewards.scorer import Scorer, ScorerConfig
    records = Scorer(ScorerConfig()).score(completions, descriptions)

A completion travels one way: raw text -> the SVG it stands for (`svg_agent.selection.select_svg`:
its first SVG as written, the sanitized one, or a submission's text as it stands) -> render +
defenses (one sandboxed, cached render per SVG) -> OCR on the light and heavy images, the
faithfulness and aesthetic terms on the heavy image -> `harmonic(vqa, aesthetic, 0.5) * ocr` ->
x size factor, 0 if invalid. Selection is decided before scoring: a caller that has selected
already passes its `Selection`s, and nothing is sanitized or validated twice.

Where a model is not configured its offline stand-in takes its place and the record says so in
`substitutions` (e.g. "vqa <- judge_faithfulness"); such a score is never reported as the metric.
Without a VQA model the faithfulness term comes from the offline judge (`rewards/judge.py`), which
answers the item's questions (or, for a description without them, the questions it can ask of
it); where the judge can ask nothing, faithfulness is unknown and the reward is None (TRL leaves
such a completion out), never a default value.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field

from svg_agent.render import RenderPool, default_pool
from svg_agent.selection import Selection, select_svg
from svg_agent.settings import RewardSettings

from .formula import SizeConfig, competition_score, reward_value, size_factor
from .ocr import OcrBackend, make_ocr_backend, ocr_term
from .standin import standin_score


@dataclass
class ScorerConfig:
    """What the scorer runs.

    Args:
        ocr_backend: "rapidocr", "tesseract", or None to skip the OCR term.
        aesthetic: None (offline: the drawing-quality stand-in takes its place), or the CLIP
            weights for the real aesthetic score: open_clip's "openai" tag or a checkpoint path.
        clip_model: the open_clip architecture for `aesthetic` (the metric's is ViT-L-14).
        vqa: None (offline: the faithfulness stand-in takes its place), or a PaliGemma hub id or
            folder (the metric's is google/paligemma2-10b-mix-448); needs questions per item.
        vqa_4bit: load the VQA model in 4-bit NF4 (CUDA), as the competition does.
        judge: where no VQA model is configured, the offline judge that answers the questions
            (a stand-in): "auto" (the cached default, trained on first use), a saved judge's path,
            or None for the older pixel stand-in (`standin_faithfulness`).
        judge_object_gate: the judge's answers to questions about a named object's colour or
            count ("What color are the circles?") count only as far as it believes that object is
            there, so a shirt in the named colours is no answer about circles
            (`rewards.judge.answer`); off by default.
        validity: "extracted": the first SVG the model wrote must validate as written (chat text
            around it aside); it is rendered as written, like the competition, and an invalid one
            scores 0. "sanitized": score the sanitized SVG and only log the raw validity.
        size: the size-penalty settings.
        render_timeout: seconds per render before the worker is killed.
    """

    ocr_backend: str | None = "rapidocr"
    aesthetic: str | None = None
    clip_model: str = "ViT-L-14"
    vqa: str | None = None
    vqa_4bit: bool = False
    judge: str | None = "auto"
    judge_object_gate: bool = False
    validity: str = "extracted"
    size: SizeConfig = field(default_factory=SizeConfig)
    render_timeout: float = 10.0

    def __post_init__(self):
        if self.validity not in ("extracted", "sanitized"):
            raise ValueError("validity must be 'extracted' or 'sanitized'")


@dataclass
class ScoreRecord:
    """Everything known about one completion's score."""

    description: str
    svg: str  # the SVG judged: the completion's first SVG as written, or the sanitized one
    valid: bool  # passes the validity rule of the config (and rendered)
    raw_valid: bool  # the completion text itself validated, chat text and all
    bytes: int  # of the SVG judged
    size_factor: float
    fallback: bool = False  # sanitized rule: nothing usable was found; the stock drawing was judged (and scores 0)
    ocr: float | None = None  # the reward's OCR factor (light and heavy images)
    ocr_competition: float | None = None  # the competition's OCR factor (light image only)
    hidden_text: bool = False
    ocr_text: str = ""
    aesthetic: float | None = None  # CLIP + LAION head / 10, when configured
    vqa: float | None = None  # PaliGemma, when configured
    standin_faithfulness: float | None = None
    standin_quality: float | None = None
    judge_faithfulness: float | None = None  # the judge's chance-corrected answers (the offline VQA term)
    judge_vqa: float | None = None  # the judge's mean P(correct): the metric's VQA formula, judge in PaliGemma's place
    metric: float | None = None  # the competition's formula, only when every model term is real
    reward: float | None = 0.0  # None: faithfulness unknown (nothing the judge could check)
    substitutions: list[str] = field(default_factory=list)
    error: str | None = None
    components: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("svg")
        return d


def scorer_config(settings, **overrides) -> ScorerConfig:
    """The ScorerConfig that a config's reward group (`svg_agent.settings.RewardSettings`) describes;
    the group's `clip` is the scorer's `aesthetic`."""
    r = RewardSettings.of(settings)
    return ScorerConfig(
        ocr_backend=r.ocr_backend,
        aesthetic=r.clip,
        clip_model=r.clip_model,
        vqa=r.vqa,
        vqa_4bit=r.vqa_4bit,
        judge=r.judge,
        judge_object_gate=r.judge_object_gate,
        **overrides,
    )


def description_seed(description: str) -> int:
    """A stable per-description seed for the defenses when no competition id set is given."""
    return int(hashlib.sha256(description.encode("utf-8")).hexdigest()[:8], 16) % (2**31 - 1)


class Scorer:
    """Scores completions; models load lazily on first use.

    Args:
        config: ScorerConfig.
        pool: a RenderPool to share (default: the process-wide pool).
        ocr: an OcrBackend to use instead of building one from the config.
        judge: a `rewards.judge_model.Judge` to use instead of loading one from the config.
    """

    def __init__(
        self,
        config: ScorerConfig | None = None,
        pool: RenderPool | None = None,
        ocr: OcrBackend | None = None,
        judge=None,
    ):
        self.config = config or ScorerConfig()
        self._pool = pool
        self._ocr = ocr
        self._judge = judge
        self.aesthetic_model = None  # an object with .score(images) -> list[float]
        if self.config.aesthetic:
            from .aesthetic import AestheticScorer

            self.aesthetic_model = AestheticScorer(self.config.clip_model, self.config.aesthetic)
        self.vqa_model = None  # an object with .score(image, questions) -> float
        if self.config.vqa:
            from .vqa import PaliGemmaScorer

            self.vqa_model = PaliGemmaScorer(self.config.vqa, load_in_4bit=self.config.vqa_4bit)

    @property
    def pool(self) -> RenderPool:
        return self._pool or default_pool()

    @property
    def ocr(self) -> OcrBackend | None:
        if self._ocr is None and self.config.ocr_backend:
            self._ocr = make_ocr_backend(self.config.ocr_backend)
        return self._ocr

    @property
    def judge(self):
        """The offline judge, loaded (or trained, once) on first use; None with a VQA model or judge=None."""
        if self._judge is None and self.config.judge and self.vqa_model is None:
            from .judge_model import load_judge

            self._judge = load_judge(self.config.judge)
        return self._judge if self.vqa_model is None else None

    def score(
        self, completions, descriptions, *, seeds=None, questions=None, rule: str | None = None
    ) -> list[ScoreRecord]:
        """Score completions against their descriptions.

        Each completion is first turned into the SVG it stands for (`select_svg`) under `rule`:
        the config's validity ("extracted", the default: the first SVG as written, rendered exactly
        so when it validates, the competition's picture, and scored 0, unrendered, when it does
        not; "sanitized": the sanitized SVG), or "submitted" (a submission's SVG text, judged as it
        stands: what `svg-agent score` does). A completion given as a `Selection` was selected by
        the caller and is judged as it is.

        Args:
            completions: model outputs (text or bytes) or Selections, one per description.
            descriptions: the prompts' descriptions.
            seeds: per-item seeds for the defenses (default: `description_seed`).
            questions: per-item lists of {question, choices, answer}, or None.
            rule: extracted, sanitized or submitted (default: the config's validity).

        Returns:
            One ScoreRecord per completion.
        """
        completions, descriptions = list(completions), list(descriptions)
        n = len(completions)
        if len(descriptions) != n:
            raise ValueError("one description per completion is needed")
        seeds = list(seeds) if seeds is not None else [description_seed(d) for d in descriptions]
        questions = list(questions) if questions is not None else [None] * n
        cfg = self.config
        rule = rule or cfg.validity
        records: list[ScoreRecord] = []
        for item, desc in zip(completions, descriptions):
            sel = item if isinstance(item, Selection) else select_svg(item, rule, max_bytes=cfg.size.budget)
            records.append(
                ScoreRecord(
                    desc,
                    sel.svg,
                    sel.valid,
                    sel.raw_valid,
                    sel.bytes,
                    size_factor(sel.bytes, cfg.size),
                    fallback=sel.fallback,
                    error=sel.error,
                )
            )
        todo = [i for i, r in enumerate(records) if r.valid]
        renders = self.pool.render_many([records[i].svg for i in todo], defend=True, seeds=[seeds[i] for i in todo])
        ok = [(i, r) for i, r in zip(todo, renders) if r.ok]
        answers = {}
        if ok and self.judge is not None:
            from .judge import answer, answerable, judge_questions

            asked = [answerable(questions[i]) or judge_questions(records[i].description) for i, _ in ok]
            probs = self.judge.predict([r.defended for _, r in ok])
            gate = self.config.judge_object_gate
            answers = {i: answer(p, q, object_gate=gate) for (i, _), p, q in zip(ok, probs, asked)}
        for i, render in zip(todo, renders):
            rec = records[i]
            if not render.ok:
                rec.error = render.error
                rec.valid = False  # the competition fails a submission whose SVG does not render
                continue
            self._score_images(rec, render, questions[i], answers.get(i))
        return records

    def _score_images(self, rec: ScoreRecord, render, qs, judged=None) -> None:
        image = render.defended
        if self.ocr is not None:
            o = ocr_term(self.ocr, render.ocr_image, image)
            rec.ocr, rec.ocr_competition, rec.hidden_text = o.penalty, o.competition_penalty, o.hidden_text
            rec.ocr_text = (o.text_light + " | " + o.text_heavy).strip(" |")
        st = standin_score(image, rec.description, qs)
        rec.standin_faithfulness, rec.standin_quality = st.standin_faithfulness, st.standin_quality
        rec.components.update(st.components())
        if self.aesthetic_model is not None:
            rec.aesthetic = float(self.aesthetic_model.score([image])[0])
        if self.vqa_model is not None and qs:
            rec.vqa = float(self.vqa_model.score(image, qs))
        vqa = rec.vqa
        if vqa is None and judged is not None:
            rec.judge_vqa, rec.judge_faithfulness = judged.vqa, judged.faithfulness
            rec.components.update(judged.by_kind())
            rec.components["judge_questions"] = float(len(judged.p_correct))
            vqa = rec.judge_faithfulness
            rec.substitutions.append(
                "vqa <- judge_faithfulness" if vqa is not None else "vqa unknown: nothing the judge can check"
            )
        elif vqa is None:
            vqa = st.standin_faithfulness
            rec.substitutions.append(
                "vqa <- standin_faithfulness" if vqa is not None else "vqa unknown: nothing the stand-in can check"
            )
        aesthetic = rec.aesthetic
        if aesthetic is None:
            aesthetic = st.standin_quality
            rec.substitutions.append("aesthetic <- standin_quality")
        ocr = rec.ocr if rec.ocr is not None else 1.0
        if rec.ocr is None:
            rec.substitutions.append("ocr skipped")
        if rec.vqa is not None and rec.aesthetic is not None and rec.ocr_competition is not None:
            rec.metric = competition_score(rec.vqa, rec.aesthetic, rec.ocr_competition)
        if vqa is None:
            rec.reward = None  # unknown, not zero: the trainer leaves this completion out
            return
        combined = competition_score(vqa, aesthetic, ocr)
        rec.components["combined"] = combined
        rec.reward = reward_value(combined, valid=rec.valid, n_bytes=rec.bytes, config=self.config.size)
