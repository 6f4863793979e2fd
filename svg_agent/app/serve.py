"""`svg-agent serve`: a web page, and a JSON endpoint beside it, that draw one description with
several systems side by side and score each answer as the metric sees it.

    svg-agent serve [--port 7860] [--host 127.0.0.1] [--adapter RUN ...] [--config CFG] [--diffusion MODEL]

The systems: every trained run under `--runs-dir` (a folder holding `adapter/`), each `--adapter`,
the base model, the vectorizer where a diffusion model is configured, and the procedural
reference where the description is one of the corpus's. For each: the SVG as drawn, the picture
the judge sees (the defended render), the score's components (the offline terms are stand-ins,
and named so: `judge_*`, `standin_*`), bytes, raw validity of what the system produced, seconds,
a download of the SVG and its text. A second tab browses a benchmark run's results.

    POST /api/draw  {"description": "...", "n": 4, "time_budget": 30, "systems": ["base", ...]}
      -> {"description", "notes", "systems": [{"name", "kind", "svg", "scores", "seconds", "bytes",
                                              "valid", "raw_valid", "candidates", "error", "skipped"}]}
    GET /api/systems -> {"systems": [{"name", "kind", "note"}]}

Everything the page and the endpoint do goes through `DrawService`, which needs no web library.
"""

import base64
import dataclasses
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, InputError

MAX_DESCRIPTION = 500  # characters; the competition's descriptions are well under 200
MAX_N = 32
MAX_TIME_BUDGET = 600.0
STANDIN_NOTE = (
    "judge_* terms come from the offline judge and standin_* from the offline drawing-quality "
    "term: stand-ins for PaliGemma and CLIP, not the competition's score"
)


@dataclass
class SystemSpec:
    """One system on the page: a policy (base model or a trained adapter), the vectorizer, or the
    procedural reference."""

    name: str
    kind: str  # policy | vectorizer | procedural
    adapter: str | None = None  # policy: a run folder or an adapter folder (None: the base model)
    model: str | None = None  # policy: the base model (default: the run's own, else the server's)
    note: str = ""


def discover_runs(runs_dir: str | Path) -> list[Path]:
    """Training runs under `runs_dir` that hold a finished adapter, by name."""
    from .rundir import RunDir

    return [run.path for run in RunDir.finished_runs(runs_dir)]


def discover_benchmarks(runs_dir: str | Path, extra: list[str] | None = None) -> list[Path]:
    """Benchmark output folders (holding results.jsonl) under `runs_dir`, two levels deep, plus `extra`."""
    root = Path(runs_dir)
    found = set()
    if root.is_dir():
        found |= {p.parent for p in root.glob("results.jsonl")}
        found |= {p.parent for p in root.glob("*/results.jsonl")}
        found |= {p.parent for p in root.glob("*/*/results.jsonl")}
    for e in extra or []:
        if not (Path(e) / "results.jsonl").exists():
            raise InputError(f"--gallery {e}: no results.jsonl there (a `svg-agent benchmark` output_dir holds one)")
        found.add(Path(e))
    return sorted(found)


def default_systems(
    runs_dir: str | Path = "runs",
    adapters: list[str] | None = None,
    model: str = "gemma3-270m-offline",
    diffusion: str | None = None,
    base: bool = True,
) -> list[SystemSpec]:
    """The systems the page offers: each run under `runs_dir`, each adapter, the base model, the
    vectorizer (with a diffusion model) and the procedural reference."""
    specs, names = [], set()

    def add(spec: SystemSpec) -> None:
        name, i = spec.name, 2
        while name in names:  # two adapters in folders of the same name
            name, i = f"{spec.name}-{i}", i + 1
        names.add(name)
        specs.append(dataclasses.replace(spec, name=name))

    for a in adapters or []:
        from .rundir import find_adapter

        path = Path(a)
        try:
            find_adapter(path)
        except InputError as exc:
            raise InputError(f"--adapter {a}: no LoRA adapter there ({exc})") from None
        label = path.name if path.name != "adapter" else path.parent.name
        add(SystemSpec(f"run:{label}", "policy", adapter=str(path), note=f"LoRA adapter {path}"))
    given = {Path(a).resolve() for a in adapters or []}
    for run in discover_runs(runs_dir):
        if run.resolve() in given or (run / "adapter").resolve() in given:
            continue
        add(SystemSpec(f"run:{run.name}", "policy", adapter=str(run), note=f"trained run {run}"))
    if base:
        add(SystemSpec(f"base:{model}", "policy", model=model, note="the base model, no adapter"))
    if diffusion:
        add(
            SystemSpec(
                "vectorizer",
                "vectorizer",
                model=diffusion,
                note=f"diffusion ({diffusion}) then k-means colours and contour tracing under the byte budget",
            )
        )
    add(
        SystemSpec(
            "procedural", "procedural", note="the corpus's own drawing, where the description is one of the corpus's"
        )
    )
    return specs


class DrawService:
    """Draws a description with each chosen system and scores each answer as submitted.

    Models load on first use and stay loaded; one drawing runs at a time (the page and the JSON
    endpoint share the machine). A system that fails answers with its error; the others still answer.

    Args:
        specs: the systems (`default_systems`).
        settings: a GenerateConfig: the base model, the reward's models (judge, OCR, CLIP, PaliGemma).
        corpus_size: procedural records indexed for the procedural reference.
        diffusion: more DiffusionConfig settings for the vectorizer (steps, width, height, ...).
    """

    def __init__(
        self, specs: list[SystemSpec], settings=None, corpus_size: int = 20_000, diffusion: dict | None = None
    ):
        from .generate import GenerateConfig

        if not specs:
            raise ConfigError("serve needs at least one system")
        self.specs = {s.name: s for s in specs}
        self.settings = settings or GenerateConfig()
        self.corpus_size = corpus_size
        self.diffusion = dict(diffusion or {})
        self._policies: dict[str, object] = {}
        self._configs: dict[str, object] = {}
        self._vectorizer = None
        self._scorer = None
        self._corpus: dict[str, object] | None = None
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- what there is

    def systems(self) -> list[dict]:
        return [{"name": s.name, "kind": s.kind, "note": s.note} for s in self.specs.values()]

    @property
    def scorer(self):
        if self._scorer is None:
            from rewards.scorer import Scorer, scorer_config

            self._scorer = Scorer(scorer_config(self.settings, validity="sanitized"))
        return self._scorer

    def corpus(self) -> dict:
        """description -> Scene for the first `corpus_size` procedural records (both splits, flat backdrops)."""
        if self._corpus is None:
            from vectorize.scenes import generate_scenes

            index = {}
            for scene in generate_scenes(self.corpus_size, seed=0, flat=True):
                index.setdefault(_norm(scene.description), scene)
            self._corpus = index
        return self._corpus

    def corpus_description(self, seed: int | None = None, split: str = "heldout") -> str:
        """A description the procedural reference can draw (by default one no training run saw)."""
        from vectorize.scenes import split_of

        scenes = [s for s in self.corpus().values() if split_of(s) == split] or list(self.corpus().values())
        return random.Random(seed).choice(scenes).description

    # ---------------------------------------------------------------- drawing

    def check(self, description, n=4, time_budget=30.0, systems=None) -> tuple[str, int, float, list[str]]:
        """The request, checked: (description, n, time_budget, system names). Raises InputError."""
        if not isinstance(description, str) or not description.strip():
            raise InputError("give a description of what to draw (a short sentence, e.g. 'a purple forest at dusk')")
        description = " ".join(description.split())
        if len(description) > MAX_DESCRIPTION:
            raise InputError(
                f"the description has {len(description)} characters; at most {MAX_DESCRIPTION} "
                "(the competition's are a sentence)"
            )
        try:
            n = int(n)
            time_budget = float(time_budget)
        except (TypeError, ValueError):
            raise InputError("n must be a whole number and time_budget a number of seconds") from None
        if not 1 <= n <= MAX_N:
            raise InputError(f"n (candidates per system) must be between 1 and {MAX_N}, not {n}")
        if not 0 < time_budget <= MAX_TIME_BUDGET:
            raise InputError(
                f"time_budget must be more than 0 and at most {MAX_TIME_BUDGET:.0f} seconds, not {time_budget}"
            )
        if systems is None or systems == []:
            names = list(self.specs)
        elif isinstance(systems, str):
            names = [systems]
        elif isinstance(systems, list) and all(isinstance(x, str) for x in systems):
            names = list(dict.fromkeys(systems))
        else:
            raise InputError("systems must be a list of system names")
        unknown = [x for x in names if x not in self.specs]
        if unknown:
            raise InputError(f"unknown system {unknown[0]!r}; known: {', '.join(self.specs)}")
        return description, n, time_budget, names

    def draw(self, description, n=4, time_budget=30.0, systems=None, progress=None) -> dict:
        """Every chosen system's answer, scored. `progress(fraction, text)` is told before each system.

        Returns {"description", "notes", "systems": [result, ...]}; each result has name, kind, svg,
        scores, seconds, bytes, valid, raw_valid, candidates, error, skipped, and (not in the JSON)
        the rendered and defended images.
        """
        description, n, time_budget, names = self.check(description, n, time_budget, systems)
        scene = self.corpus().get(_norm(description))
        questions = scene.questions if scene is not None else None
        results = []
        with self._lock:
            for i, name in enumerate(names):
                if progress is not None:
                    progress(i / len(names), f"{name} ({i + 1} of {len(names)})")
                results.append(self._one(self.specs[name], description, n, time_budget, scene, questions))
        if progress is not None:
            progress(1.0, "done")
        notes = [STANDIN_NOTE] if self.settings.vqa is None or self.settings.clip is None else []
        if questions:
            notes.append("the description is one of the corpus's: the judge asks the record's own questions")
        return {"description": description, "notes": notes, "systems": results}

    def _one(self, spec: SystemSpec, description: str, n: int, time_budget: float, scene, questions) -> dict:
        row = {
            "name": spec.name,
            "kind": spec.kind,
            "note": spec.note,
            "svg": None,
            "scores": {},
            "seconds": None,
            "bytes": None,
            "valid": False,
            "raw_valid": False,
            "candidates": None,
            "error": None,
            "skipped": None,
            "image": None,
            "defended": None,
        }
        t = time.perf_counter()
        try:
            if spec.kind == "procedural":
                if scene is None:
                    row["skipped"] = "not a corpus description: the procedural reference draws only those"
                    return row
                svg = raw = scene.svg
            elif spec.kind == "vectorizer":
                svg = raw = self._vectorize(spec, description)
            else:
                result = self._generate(spec, description, n, time_budget)
                svg, raw = result.svg, result.raw_text or ""
                row["candidates"] = len(result.candidates)
                if result.error:
                    row["error"] = result.error
        except Exception as exc:  # this system failed; the others still answer
            row.update(error=f"{exc.__class__.__name__}: {exc}", seconds=round(time.perf_counter() - t, 2))
            return row
        row["seconds"] = round(time.perf_counter() - t, 2)
        try:
            self._score(row, svg, raw, description, questions)
        except Exception as exc:
            row["error"] = (row["error"] + "; " if row["error"] else "") + f"scoring: {exc.__class__.__name__}: {exc}"
        return row

    def _score(self, row: dict, svg: str, raw: str, description: str, questions) -> None:
        from eval.benchmark import COMPONENTS  # the score fields the benchmark reports, in its order
        from rewards.scorer import description_seed

        from ..render import render_safe
        from ..selection import raw_validity

        rec = self.scorer.score([svg], [description], questions=[questions] if questions else None, rule="submitted")[0]
        scores = {}
        for key in COMPONENTS:
            v = getattr(rec, key, None)
            if v is not None:
                scores[key] = round(float(v), 4)
        if rec.reward is None:
            scores["reward"] = None  # nothing the judge could check in this description
        row.update(
            svg=svg, scores=scores, bytes=len(svg.encode("utf-8")), valid=bool(rec.valid), raw_valid=raw_validity(raw)
        )
        if rec.hidden_text:
            row["scores"]["hidden_text"] = True
        shown = render_safe(svg, defend=True, seed=description_seed(description))
        if shown.ok:
            row["image"], row["defended"] = shown.pil("image"), shown.pil("defended")
        elif not row["error"]:
            row["error"] = f"render: {shown.error}"

    def _generate(self, spec: SystemSpec, description: str, n: int, time_budget: float):
        from .generate import Generator

        config = dataclasses.replace(
            self._config(spec), n=n, batch_size=min(n, self.settings.batch_size), time_budget=time_budget
        )
        gen = Generator(config, policy=self._policies.get(spec.name), scorer=self.scorer)
        gen.load()  # a missing model or adapter raises here, shown as this system's error
        self._policies[spec.name] = gen.policy
        return gen.generate(description)

    def _config(self, spec: SystemSpec):
        """The generation settings of a policy system: its run's model, the server's reward and sampling."""
        if spec.name not in self._configs:
            from ..settings import PolicySettings
            from .generate import load_generate_config

            c = self.settings
            if spec.adapter:
                own = load_generate_config(None, {}, adapter=spec.adapter)  # the model the run trained
                model = PolicySettings.pick(own)
                if spec.model:
                    model["model"] = spec.model
            else:
                model = PolicySettings.pick(c) | {"adapter": None, "model": spec.model or c.model}
            self._configs[spec.name] = dataclasses.replace(c, **model)
        return self._configs[spec.name]

    def _vectorize(self, spec: SystemSpec, description: str) -> str:
        if self._vectorizer is None:
            from vectorize.pipeline import DiffusionConfig, VectorizerPipeline

            self._vectorizer = VectorizerPipeline(
                DiffusionConfig(**{"model": spec.model, "device": self.settings.device, **self.diffusion})
            )
        return self._vectorizer(description).svg


def public(result: dict) -> dict:
    """The JSON form of `DrawService.draw`'s answer (no images)."""
    return {
        "description": result["description"],
        "notes": result["notes"],
        "systems": [{k: v for k, v in r.items() if k not in ("image", "defended")} for r in result["systems"]],
    }


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


# ---------------------------------------------------------------- the benchmark gallery


def gallery_items(folder: str | Path, system: str | None = None, contains: str = "", limit: int = 120, size: int = 192):
    """(image, caption) pairs of a benchmark run's drawings, filtered by system and description."""
    from eval.benchmark import read_results

    from ..render import default_pool

    folder = Path(folder)
    rows = []
    for r in read_results(folder):
        if r.get("skipped") or (system and system != "all" and r.get("system") != system):
            continue
        if contains and contains.lower() not in str(r.get("description", "")).lower():
            continue
        path = folder / "svgs" / str(r.get("system")) / f"{r.get('id')}.svg"
        if path.exists():
            rows.append((r, path.read_text(encoding="utf-8", errors="replace")))
        if len(rows) >= limit:
            break
    renders = default_pool().render_many([svg for _, svg in rows], size=size)
    items = []
    for (r, _), shown in zip(rows, renders):
        score = r.get("metric") if r.get("metric") is not None else r.get("reward")
        caption = (
            f"{r['system']}: {r['description']} [{'reward' if r.get('metric') is None else 'metric'} "
            f"{score if score is not None else '-'}, {r.get('bytes')} B{'' if r.get('valid') else ', invalid'}]"
        )
        items.append((shown.pil("image") if shown.ok else None, caption))
    return [x for x in items if x[0] is not None]


def benchmark_systems(folder: str | Path) -> list[str]:
    from eval.benchmark import read_results

    return list(dict.fromkeys(r["system"] for r in read_results(Path(folder))))


# ---------------------------------------------------------------- the page and the endpoint


def _svg_img(svg: str) -> str:
    """The SVG as an <img> (a data URI): a browser runs no script and fetches nothing from an SVG shown so."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (
        f'<img class="svg-agent-drawing" alt="the SVG" width="256" height="256" src="data:image/svg+xml;base64,{data}">'
    )


def _scores_md(r: dict) -> str:
    if r["skipped"]:
        return f"*skipped: {r['skipped']}*"
    lines = ["| term | value |", "|---|---|"]
    for k, v in r["scores"].items():
        lines.append(
            f"| {k}{' (stand-in)' if k.startswith(('judge_', 'standin_')) else ''} | {'unknown' if v is None else v} |"
        )
    lines += [
        f"| bytes | {r['bytes']} |",
        f"| valid as produced | {'yes' if r['raw_valid'] else 'no'} |",
        f"| valid as submitted | {'yes' if r['valid'] else 'no'} |",
        f"| seconds | {r['seconds']} |",
    ]
    if r["candidates"] is not None:
        lines.append(f"| candidates | {r['candidates']} |")
    return "\n".join(lines)


def build_ui(service: DrawService, runs_dir: str | Path = "runs", gallery: list[str] | None = None):
    """The Gradio Blocks page: a Draw tab and a benchmark gallery tab."""
    import tempfile

    import gradio as gr

    names = list(service.specs)
    downloads = Path(tempfile.mkdtemp(prefix="svg-agent-serve-"))

    def run_draw(description, systems, n, budget, progress=gr.Progress()):
        try:
            result = service.draw(
                description, n, budget, systems or None, progress=lambda f, text: progress(f, desc=text)
            )
        except InputError as exc:
            raise gr.Error(str(exc)) from None
        status = "\n".join(f"- {note}" for note in result["notes"])
        return result["systems"], status

    with gr.Blocks(title="svg-agent") as page:
        gr.Markdown(
            "# svg-agent\nOne description, drawn by each system, scored as the metric sees it "
            "(the defended picture is what the judge looks at)."
        )
        with gr.Tab("Draw"):
            with gr.Row():
                description = gr.Textbox(
                    label="Description", placeholder="a purple forest at dusk", scale=4, elem_id="description"
                )
                pick = gr.Button("A corpus description", scale=1)
            with gr.Row():
                chosen = gr.CheckboxGroup(names, value=names, label="Systems")
                n = gr.Slider(1, 16, value=4, step=1, label="Candidates per system (N)")
                budget = gr.Slider(5, 300, value=30, step=5, label="Time budget per system (s)")
            go = gr.Button("Draw", variant="primary", elem_id="draw")
            status = gr.Markdown()
            results = gr.State([])

            @gr.render(inputs=results)
            def show(rows):
                with gr.Row(equal_height=False):
                    for r in rows:
                        with gr.Column(min_width=280):
                            gr.Markdown(f"### {r['name']}\n{r['note']}")
                            if r["error"]:
                                gr.Markdown(f"**error:** {r['error']}")
                            if r["svg"]:
                                with gr.Row():
                                    gr.HTML(f"<div><small>the SVG as drawn</small><br>{_svg_img(r['svg'])}</div>")
                                    if r["defended"] is not None:
                                        gr.Image(
                                            r["defended"],
                                            label="what the judge sees (defended)",
                                            height=256,
                                            width=256,
                                            interactive=False,
                                        )
                                path = downloads / f"{abs(hash((r['name'], r['svg']))):x}.svg"
                                path.write_text(r["svg"], encoding="utf-8")
                                gr.DownloadButton("Download SVG", value=str(path))
                                gr.Code(
                                    r["svg"],
                                    language="html",
                                    label="SVG text",
                                    interactive=False,
                                    lines=4,
                                    max_lines=12,
                                )
                            gr.Markdown(_scores_md(r))

            go.click(run_draw, inputs=[description, chosen, n, budget], outputs=[results, status])
            description.submit(run_draw, inputs=[description, chosen, n, budget], outputs=[results, status])
            pick.click(lambda: service.corpus_description(seed=random.randrange(1 << 30)), outputs=description)

        with gr.Tab("Benchmark gallery"):
            runs = [str(p) for p in discover_benchmarks(runs_dir, gallery)]
            with gr.Row():
                run = gr.Dropdown(
                    runs,
                    value=runs[0] if runs else None,
                    label="Benchmark run (a results.jsonl folder)",
                    allow_custom_value=True,
                )
                system = gr.Dropdown(["all"], value="all", label="System")
                contains = gr.Textbox(label="Description contains")
            shown = gr.Gallery(label="drawings", columns=6, height="auto")
            grid = gr.Image(label="grid.png", interactive=False)

            def load_run(folder):
                if not folder or not (Path(folder) / "results.jsonl").exists():
                    return gr.update(choices=["all"], value="all"), [], None
                grid_png = Path(folder) / "grid.png"
                return (
                    gr.update(choices=["all", *benchmark_systems(folder)], value="all"),
                    gallery_items(folder),
                    str(grid_png) if grid_png.exists() else None,
                )

            def filter_run(folder, sys_name, text):
                if not folder or not (Path(folder) / "results.jsonl").exists():
                    return []
                return gallery_items(folder, sys_name, text or "")

            run.change(load_run, inputs=run, outputs=[system, shown, grid])
            system.change(filter_run, inputs=[run, system, contains], outputs=shown)
            contains.submit(filter_run, inputs=[run, system, contains], outputs=shown)
            page.load(load_run, inputs=run, outputs=[system, shown, grid])
    return page


def build_app(service: DrawService, runs_dir: str | Path = "runs", gallery: list[str] | None = None):
    """A FastAPI app: the JSON endpoints under /api, the Gradio page at /."""
    import gradio as gr
    from fastapi import FastAPI, Request
    from fastapi.concurrency import run_in_threadpool
    from fastapi.responses import JSONResponse

    app = FastAPI(title="svg-agent")

    @app.get("/api/systems")
    def api_systems():
        return {"systems": service.systems()}

    @app.post("/api/draw")
    async def api_draw(request: Request):
        try:
            body = await request.json()
        except Exception:
            return JSONResponse(
                {"error": 'the body must be JSON: {"description": ..., "n": 4, "time_budget": 30, "systems": [...]}'},
                status_code=400,
            )
        if not isinstance(body, dict):
            return JSONResponse({"error": "the body must be a JSON object"}, status_code=400)
        unknown = [k for k in body if k not in ("description", "n", "time_budget", "systems")]
        if unknown:
            return JSONResponse(
                {"error": f"unknown field {unknown[0]!r}; known: description, n, time_budget, systems"}, status_code=400
            )
        args = (body.get("description"), body.get("n", 4), body.get("time_budget", 30.0), body.get("systems"))
        try:
            service.check(*args)
        except InputError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        result = await run_in_threadpool(service.draw, *args)
        return public(result)

    return gr.mount_gradio_app(app, build_ui(service, runs_dir, gallery), path="")


def serve(
    service: DrawService,
    host: str = "127.0.0.1",
    port: int = 7860,
    runs_dir: str | Path = "runs",
    gallery: list[str] | None = None,
) -> None:
    import uvicorn

    app = build_app(service, runs_dir, gallery)
    print(
        f"svg-agent serve: http://{host}:{port}/  (JSON: POST http://{host}:{port}/api/draw); "
        f"systems: {', '.join(service.specs)}",
        flush=True,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")
