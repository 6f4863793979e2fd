"""The `svg-agent` command line.

    svg-agent --help
    svg-agent validate [--json] [--gateway] FILE...
    svg-agent sanitize FILE [-o OUT] [--max-bytes N]
    svg-agent render FILE -o OUT.png [--size 384] [--defend] [--seed N]
    svg-agent score --svgs submission.csv [--descriptions train.csv] [--questions q.parquet] -o scores.csv
    svg-agent vectorize IMAGE -o OUT.svg [--max-bytes N] [--colors K]
    svg-agent vectorize --prompt "a lighthouse overlooking the ocean" -o OUT.svg [--model ID] [--steps N]
    svg-agent build-dataset --source procedural --n 5000 -o data/procedural.jsonl
    svg-agent contact-sheet data/procedural.jsonl -o sheet.png
    svg-agent descriptions --n 5000 -o data/descriptions.txt
    svg-agent demo [-o OUT_DIR]
    svg-agent train --config configs/train/tiny-cpu.yaml --output_dir runs/tiny [--field value ...] [--resume]
    svg-agent generate "a purple forest at dusk" -o out.svg [--config ...] [--adapter DIR] [--n 8] [--time-budget 60]
    svg-agent generate --descriptions train.csv -o submission.csv [--adapter DIR]
    svg-agent kaggle export OUT_DIR [--adapter DIR] [--time-budget 60]
    svg-agent kaggle check OUT_DIR --descriptions train.csv
    svg-agent benchmark --config configs/benchmark/offline-default.yaml
    svg-agent serve [--port 7860] [--host 127.0.0.1] [--adapter RUN ...] [--config ...] [--diffusion MODEL]

Heavy imports happen inside each command, so `--help` is instant.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import InputError, SvgAgentError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, as argparse does, but with a hint
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _read(path: str) -> bytes:
    p = Path(path)
    if path == "-":
        return sys.stdin.buffer.read()
    if not p.exists():
        raise InputError(f"{path}: no such file; check the path")
    if p.is_dir():
        raise InputError(f"{path}: is a folder; give an SVG file")
    try:
        return p.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None


def _write(path: str, data: bytes) -> None:
    p = Path(path)
    if p.parent and not p.parent.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
    try:
        p.write_bytes(data)
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror})") from None


def cmd_validate(args) -> int:
    from ..constraints import validate

    bad = 0
    for path in args.files:
        result = validate(_read(path), max_bytes=args.max_bytes, gateway=args.gateway)
        bad += not result.valid
        if args.json:
            print(json.dumps({"path": path, **result.to_dict()}))
        elif result.valid:
            print(f"{path}: valid ({result.bytes} bytes)")
        else:
            print(f"{path}: INVALID ({result.bytes} bytes)")
            for v in result.errors[: args.max_errors]:
                print(f"  - {v.message}")
            if len(result.errors) > args.max_errors:
                print(f"  ... and {len(result.errors) - args.max_errors} more")
    return 1 if bad else 0


def cmd_sanitize(args) -> int:
    from ..sanitize import sanitize

    result = sanitize(_read(args.file), max_bytes=args.max_bytes, gateway=args.gateway)
    if args.output:
        _write(args.output, result.svg.encode("utf-8"))
    else:
        sys.stdout.write(result.svg + "\n")
    status = "FALLBACK (no usable drawing found)" if result.fallback else "ok"
    print(
        f"{status}: {result.bytes} bytes, {result.drawn_elements} shapes, raw text was "
        f"{'valid' if result.raw_valid else 'invalid'}" + (f"; {'; '.join(result.notes)}" if result.notes else ""),
        file=sys.stderr,
    )
    return 3 if result.fallback and args.strict else 0


def cmd_render(args) -> int:
    from ..errors import RenderError
    from ..extract import to_text
    from ..render import RenderPool

    svg = to_text(_read(args.file))
    with RenderPool(workers=1, timeout=args.timeout) as pool:
        result = pool.render(svg, size=args.size, defend=args.defend, seed=args.seed)
    if not result.ok:
        raise RenderError(f"{args.file}: {result.error}; try `svg-agent sanitize` first")
    which = "defended" if args.defend else "image"
    if args.defend and args.ocr_output:
        result.pil("ocr_image").save(args.ocr_output)
    result.pil(which).save(args.output)
    print(f"wrote {args.output} ({args.size}x{args.size}{', defended, seed %d' % args.seed if args.defend else ''})")
    return 0


def cmd_score(args) -> int:
    from eval.metric import score_submission, summary_text, write_scores
    from rewards.scorer import Scorer, scorer_config

    from ..settings import RewardSettings

    scorer = Scorer(
        scorer_config(
            RewardSettings(
                ocr_backend=args.ocr,
                clip=args.clip,
                clip_model=args.clip_model,
                vqa=args.vqa,
                vqa_4bit=args.vqa_4bit,
                judge=args.judge,
            )
        )
    )
    rows, summary = score_submission(args.svgs, args.descriptions, args.questions, scorer=scorer)
    if args.output:
        write_scores(rows, args.output)
    print(summary_text(summary))
    if args.output:
        print(f"wrote {args.output} ({len(rows)} rows)")
    return 0


def cmd_judge(args) -> int:
    import json
    from pathlib import Path

    from rewards.judge_model import (
        BUNDLED_JUDGE,
        Judge,
        JudgeConfig,
        accuracy,
        cached_judge_path,
        default_judge_path,
        heldout_scenes,
        load_judge,
        train_judge,
    )

    if args.action == "train":
        if args.force:
            train_judge().save(cached_judge_path())
        judge = load_judge()  # trains it (once, under a lock) when no judge for this corpus is at hand
        target = default_judge_path()
        if args.path:
            judge.save(Path(args.path) / "judge.pt" if not str(args.path).endswith(".pt") else Path(args.path))
        if args.bundle:
            judge.meta["key"] = JudgeConfig().key()  # load_judge() gave the judge trained under this key
            judge.save(BUNDLED_JUDGE)
            target = BUNDLED_JUDGE
        report = {"path": str(target), **judge.meta}
    else:
        judge = Judge.load(args.path) if args.path else load_judge(train=False)
        held = heldout_scenes(judge.meta.get("config", {}).get("heldout", 300))
        report = {"heldout": accuracy(judge, held), "heldout_flat": accuracy(judge, held, flat=True)}
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        for name in ("heldout", "heldout_flat"):
            a = report[name]
            kinds = ", ".join(f"{k} {v:.3f}" for k, v in a["by_kind"].items())
            print(f"{name}: accuracy {a['accuracy']:.3f} on {a['questions']} questions ({kinds})")
        if "path" in report:
            print(f"judge at {report['path']} (a stand-in for the VQA model, not PaliGemma)")
    return 0


def cmd_vectorize(args) -> int:
    from vectorize.pipeline import DiffusionConfig, VectorizerPipeline

    args.image = args.image or args.image_opt
    if (args.image is None) == (args.prompt is None):
        raise InputError("give an IMAGE to trace or --prompt to draw one (not both)")
    image = None
    if args.image is not None:
        from PIL import Image, UnidentifiedImageError

        _read(args.image)  # the same clear errors for a missing path or a folder
        try:
            image = Image.open(args.image).convert("RGBA")
        except (UnidentifiedImageError, OSError):
            raise InputError(f"{args.image}: not an image PIL can read (PNG, JPEG, WebP, ...)") from None
    config = DiffusionConfig(
        model=args.model,
        steps=args.steps,
        guidance_scale=args.cfg,
        width=args.width,
        height=args.height,
        seed=args.seed,
        scheduler=args.scheduler,
        lora=args.lora,
        refiner=args.refiner,
        images_per_prompt=args.batch_size,
        **({"negative_prompt": args.negative_prompt} if args.negative_prompt is not None else {}),
        **({"prompt_template": args.template} if args.template else {}),
    )
    out = VectorizerPipeline(config)(args.prompt, image=image, max_bytes=args.max_bytes, colors=args.colors)
    _write(args.output, out.svg.encode("utf-8"))
    if args.save_image and args.prompt:
        out.image.save(args.save_image)
    s = out.settings
    print(
        f"wrote {args.output}: {out.bytes} bytes, {s.colors} colours, tolerance {s.epsilon:g}, min area {s.min_area:g}"
        f" ({', '.join(f'{k} {v:.1f} s' for k, v in out.seconds.items())})"
    )
    return 0


def cmd_build_dataset(args) -> int:
    from vectorize.dataset import build_dataset

    diffusion = None
    if args.source == "descriptions":
        from vectorize.pipeline import DiffusionConfig

        diffusion = DiffusionConfig(model=args.model, steps=args.steps, width=args.width, height=args.height)
    from rewards.questions import generate_questions

    n = build_dataset(
        args.output,
        args.source,
        n=args.n,
        seed=args.seed,
        images=args.images,
        max_bytes=args.max_bytes,
        captioner=args.captioner,
        descriptions=args.descriptions,
        diffusion=diffusion,
        questions_fn=generate_questions,
    )
    print(f"{args.output}: {n} records")
    return 0


def cmd_contact_sheet(args) -> int:
    from vectorize.dataset import dataset_contact_sheet

    n = dataset_contact_sheet(args.dataset, args.output, n=args.n)
    print(f"wrote {args.output} ({n} records)")
    return 0


def cmd_descriptions(args) -> int:
    from vectorize.descriptions import generate_descriptions, llm_descriptions

    found = llm_descriptions(args.n, args.llm, seed=args.seed) if args.llm else generate_descriptions(args.n, args.seed)
    _write(args.output, ("\n".join(found) + "\n").encode("utf-8"))
    print(f"wrote {args.output} ({len(found)} descriptions)")
    return 0


def cmd_demo(args) -> int:
    from .demo import run_demo

    return run_demo(Path(args.output))


def cmd_train(argv: list[str]) -> int:
    from .train import parse_train_args, train

    config = parse_train_args(argv)
    summary = train(config)
    if summary.get("adapter"):
        ends = summary.get("samples", {})
        line = "; ".join(
            f"{k}: reward {v['reward'] or 0:.3f}, raw validity {v['raw_validity']:.2f}, {v['bytes']:.0f} bytes"
            for k, v in ends.items()
        )
        print(
            f"adapter: {summary['adapter']}\nsamples on held-out descriptions ({line})\n"
            f"curves: {Path(config.output_dir) / 'curves.png'}  samples: {Path(config.output_dir) / 'samples.png'}"
        )
    return 0


def cmd_generate(args) -> int:
    from .generate import Generator, generate_csv, load_generate_config, read_descriptions

    overrides = {
        "model": args.model,
        "n": args.n,
        "time_budget": args.time_budget,
        "batch_size": args.batch_size,
        "max_new_tokens": args.max_new_tokens,
        "temperature": args.temperature,
        "guidance": args.guidance,
        "loop_guard": args.loop_guard,
        "close_guard": args.close_guard,
        "seed": args.seed,
        "ocr_backend": args.ocr,
        "device": args.device,
    }
    config = load_generate_config(args.config, overrides, adapter=args.adapter)
    gen = Generator(config)
    if args.descriptions and args.description:
        raise InputError("give a description or --descriptions FILE, not both")
    if not args.descriptions and not args.description:
        raise InputError("give a description, or --descriptions FILE for a submission.csv")
    gen.load()  # a missing model or adapter is the user's error: exit non-zero, write nothing
    if args.descriptions:
        rows = read_descriptions(args.descriptions)
        out = Path(args.output or "submission.csv")
        sheet = Path(args.sheet) if args.sheet else out.with_suffix(".png")
        results = generate_csv(gen, rows, out, sheet)
        fallbacks = sum(r.fallback for r in results)
        mean = sum((r.record.reward or 0) if r.record else 0 for r in results) / len(results)
        print(f"wrote {out} ({len(results)} SVGs, mean offline reward {mean:.3f}, {fallbacks} fallbacks) and {sheet}")
        return 0
    result = gen.generate(args.description)
    if args.output:
        _write(args.output, result.svg.encode("utf-8"))
    else:
        sys.stdout.write(result.svg + "\n")
    rec = result.record
    print(
        f"{len(result.candidates)} candidates in {result.seconds:.1f} s; chose reward "
        + (
            f"{rec.reward:.3f}"
            if rec and rec.reward is not None
            else "unknown (nothing the judge can check)"
            if rec
            else "0.000"
        )
        + f", {len(result.svg.encode())} bytes"
        + (" (fallback drawing: no candidate survived)" if result.fallback else "")
        + (f"; model error: {result.error}" if result.error else ""),
        file=sys.stderr,
    )
    return 0


def cmd_kaggle(args) -> int:
    from eval.kaggle import check, export

    if args.action == "export":
        config = export(
            args.out_dir,
            adapter=args.adapter,
            model=args.model,
            time_budget=args.time_budget,
            n=args.n or 8,
            copy_model=not args.no_copy_model,
            vectorizer=args.vectorizer,
        )
        print(
            f"wrote {args.out_dir}: submission.py, config.json, notebook.ipynb, README.md"
            + (", adapter/" if config.get("adapter") else " (no adapter: the base model)")
            + (", model/" if config["model"] == "model" else f" (model: {config['model']})")
        )
        return 0
    if not args.descriptions:
        raise InputError("kaggle check needs --descriptions train.csv (columns id,description)")
    report = check(args.out_dir, args.descriptions, limit_s=args.limit, n=args.n)
    if args.json:
        print(json.dumps(report))
    else:
        s = report.get("seconds") or {}
        print(
            f"model load: {report.get('load_s', '?')} s"
            + (f" (load error, fallbacks answered: {report['load_error']})" if report.get("load_error") else "")
        )
        for c in report["calls"]:
            print(
                f"  {c['id']}: {c['seconds']:.2f} s, {c['bytes']} bytes, gateway valid {c['gateway_valid']}, "
                f"scorer valid {c['scorer_valid']}"
            )
        if s:
            print(
                f"per call: min {s['min']:.2f} s, median {s['median']:.2f} s, max {s['max']:.2f} s "
                f"(limit {report['limit_s']:.0f} s); wrote {report['submission']}"
            )
    if not report["ok"]:
        print(f"svg-agent kaggle check: FAILED: {report['failure']}", file=sys.stderr)
        return 1
    if not args.json:
        print(f"OK: {len(report['calls'])} of {report['n']} descriptions answered with valid SVGs")
    return 0


def cmd_benchmark(args) -> int:
    from eval.benchmark import load_config, run_benchmark

    cfg = load_config(args.config, {"output_dir": args.output_dir, "limit": args.limit})
    summary = run_benchmark(cfg)
    print(f"{summary['descriptions']} descriptions; scored with {summary['scored_with']}")
    for name, s in summary["systems"].items():
        print(
            f"  {name:>20}: reward {s.get('reward', float('nan')):.3f}, valid {s.get('valid_rate') or 0:.2f}, "
            f"raw valid {s.get('raw_valid_rate') or 0:.2f}, {s.get('bytes') or 0:.0f} bytes, "
            f"{s.get('seconds_per_svg') or 0:.2f} s/SVG (n={s['n']}, skipped {s['skipped']})"
        )
    print(f"wrote {cfg.output_dir}: results.jsonl, summary.json, report.md, report.html, grid.png, components.png")
    return 0


def cmd_serve(args) -> int:
    from .generate import load_generate_config
    from .serve import DrawService, default_systems, serve

    try:
        import gradio  # noqa: F401
    except ImportError:
        raise InputError('svg-agent serve needs Gradio: pip install -e ".[demo]"') from None
    overrides = {"model": args.model, "ocr_backend": args.ocr, "device": args.device}
    settings = load_generate_config(args.config, overrides)
    specs = default_systems(
        args.runs_dir, args.adapter, model=settings.model, diffusion=args.diffusion, base=not args.no_base
    )
    service = DrawService(specs, settings)
    serve(service, host=args.host, port=args.port, runs_dir=args.runs_dir, gallery=args.gallery)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="svg-agent",
        description="Draw SVG with a language model, scored like the Kaggle 'Drawing with LLMs' metric.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("validate", help="check SVG files against the competition's constraints")
    p.add_argument("files", nargs="+", metavar="FILE", help="SVG files ('-' reads stdin)")
    p.add_argument("--json", action="store_true", help="one JSON object per line: path, valid, bytes, errors")
    p.add_argument("--gateway", action="store_true", help="use the gateway's larger element allowlist")
    p.add_argument("--max-bytes", type=int, default=10_000, help="size limit in UTF-8 bytes (default 10000)")
    p.add_argument("--max-errors", type=int, default=20, help="violations printed per file in text mode")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("sanitize", help="extract the best valid SVG from raw model output")
    p.add_argument("file", metavar="FILE", help="raw model output or an SVG ('-' reads stdin)")
    p.add_argument("-o", "--output", help="write the SVG here (default: stdout)")
    p.add_argument("--max-bytes", type=int, default=10_000, help="byte budget (default 10000)")
    p.add_argument("--gateway", action="store_true", help="allow the gateway's larger element list")
    p.add_argument("--strict", action="store_true", help="exit 3 when only the fallback drawing could be produced")
    p.set_defaults(func=cmd_sanitize)

    p = sub.add_parser("render", help="render an SVG to PNG like the scorer (sandboxed)")
    p.add_argument("file", metavar="FILE", help="SVG file")
    p.add_argument("-o", "--output", required=True, help="PNG to write")
    p.add_argument("--size", type=int, default=384, help="output side in pixels (default 384)")
    p.add_argument("--defend", action="store_true", help="apply the scorer's image defenses")
    p.add_argument("--seed", type=int, default=0, help="seed of the defenses' random crop (default 0)")
    p.add_argument("--ocr-output", help="with --defend, also write the image the OCR check sees")
    p.add_argument("--timeout", type=float, default=20.0, help="seconds before the render is killed")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("score", help="score a submission (id,svg) as the competition does")
    p.add_argument("--svgs", required=True, help="CSV or parquet with columns id,svg")
    p.add_argument("--descriptions", help="CSV with id,description (the offline faithfulness stand-in needs it)")
    p.add_argument("--questions", help="the competition's questions (id,question,choices,answer; CSV or parquet)")
    p.add_argument("--ocr", choices=["rapidocr", "tesseract", "none"], default="rapidocr", help="offline OCR backend")
    p.add_argument("--clip", help="CLIP weights for the aesthetic term: 'openai' (hub) or a local checkpoint")
    p.add_argument("--clip-model", default="ViT-L-14", help="open_clip architecture (default ViT-L-14, the metric's)")
    p.add_argument(
        "--vqa", help="PaliGemma hub id or folder for the VQA term (the metric's: google/paligemma2-10b-mix-448)"
    )
    p.add_argument("--vqa-4bit", action="store_true", help="load the VQA model in 4-bit NF4 (CUDA), as the competition")
    p.add_argument(
        "--judge",
        default="auto",
        help="without --vqa: the offline judge (a stand-in) that answers the questions: 'auto' (cached default, "
        "trained on first use), a saved judge, or 'none' for the pixel stand-in",
    )
    p.add_argument("-o", "--output", help="write one row per id here (CSV)")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("judge", help="the offline judge (a VQA stand-in): train it, or report its held-out accuracy")
    p.add_argument(
        "action",
        choices=["train", "eval"],
        help="train: train (or retrain with --force) the cached default; eval: held-out accuracy of a judge",
    )
    p.add_argument("--path", help="eval: a saved judge (default: the cached one); train: also save a copy here")
    p.add_argument("--force", action="store_true", help="train again even if a judge for this corpus is cached")
    p.add_argument(
        "--bundle",
        action="store_true",
        help="train: also write the judge to rewards/weights/judge.pt, the one the package ships",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_judge)

    p = sub.add_parser("vectorize", help="an SVG under the byte budget from an image, or from a prompt via diffusion")
    p.add_argument("image", metavar="IMAGE", nargs="?", help="PNG/JPEG/... to trace (or use --prompt)")
    p.add_argument("-o", "--output", required=True, help="SVG to write")
    p.add_argument("--max-bytes", type=int, default=10_000, help="byte budget (default 10000)")
    p.add_argument("--colors", type=int, choices=range(2, 17), metavar="K", help="fix the number of colours (2-16)")
    p.add_argument(
        "--image", dest="image_opt", metavar="IMAGE", help="the image to trace (same as the positional IMAGE)"
    )
    p.add_argument("--prompt", help="a description to draw with the diffusion model first")
    p.add_argument("--batch-size", type=int, default=1, help="images drawn per prompt; the best trace is kept")
    p.add_argument(
        "--model", default="segmind/SSD-1B", help="diffusers hub id or folder (SD 1.5/2.x, SDXL, SSD-1B, ...)"
    )
    p.add_argument("--template", help="prompt template with {description} (default: flat vector style)")
    p.add_argument("--negative-prompt", help="negative prompt (default: no text, no photo texture)")
    p.add_argument(
        "--scheduler", choices=["ddim", "euler", "euler_a", "dpm++", "pndm", "lms", "unipc", "lcm"], help="sampler"
    )
    p.add_argument("--steps", type=int, default=25, help="denoising steps")
    p.add_argument("--cfg", type=float, default=7.0, help="classifier-free guidance scale")
    p.add_argument("--width", type=int, default=512, help="image width (multiple of 8)")
    p.add_argument("--height", type=int, default=512, help="image height (multiple of 8)")
    p.add_argument("--seed", type=int, default=0, help="diffusion seed")
    p.add_argument("--lora", help="LoRA / DreamBooth-LoRA weights for a house style")
    p.add_argument("--refiner", help="SDXL refiner (hub id or folder) that runs the last 20%% of the steps")
    p.add_argument("--save-image", help="also save the diffusion image (PNG)")
    p.set_defaults(func=cmd_vectorize)

    p = sub.add_parser("build-dataset", help="write (or resume) a warm-start dataset as JSON lines")
    p.add_argument(
        "--source",
        choices=["procedural", "images", "descriptions"],
        default="procedural",
        help="scene grammar, traced images, or descriptions drawn by the diffusion model and traced",
    )
    p.add_argument("--n", type=int, default=1000, help="records to generate (procedural)")
    p.add_argument("--seed", type=int, default=0, help="generator seed (procedural)")
    p.add_argument("--images", help="folder of images to trace (images)")
    p.add_argument("--max-bytes", type=int, default=10_000, help="byte budget of traced SVGs")
    p.add_argument(
        "--captioner",
        help="image-to-text model (hub id or folder, e.g. Salesforce/blip2-opt-2.7b) to describe the images",
    )
    p.add_argument("--descriptions", help="text file, one description per line (source descriptions)")
    p.add_argument("--model", default="segmind/SSD-1B", help="diffusion model for source descriptions")
    p.add_argument("--steps", type=int, default=25, help="diffusion steps (source descriptions)")
    p.add_argument("--width", type=int, default=512, help="diffusion image width")
    p.add_argument("--height", type=int, default=512, help="diffusion image height")
    p.add_argument("-o", "--output", required=True, help="the .jsonl file; an existing one is resumed")
    p.set_defaults(func=cmd_build_dataset)

    p = sub.add_parser("contact-sheet", help="a PNG grid of a dataset's renders with their descriptions")
    p.add_argument("dataset", metavar="DATASET", help="a .jsonl dataset")
    p.add_argument("-o", "--output", required=True, help="PNG to write")
    p.add_argument("--n", type=int, default=24, help="records to show (default 24)")
    p.set_defaults(func=cmd_contact_sheet)

    p = sub.add_parser("descriptions", help="write training descriptions in the competition's style")
    p.add_argument("--n", type=int, default=5000, help="how many (default 5000)")
    p.add_argument("--seed", type=int, default=0, help="grammar seed")
    p.add_argument("--llm", help="an instruction-tuned LLM (hub id or folder) to suggest some of them")
    p.add_argument("-o", "--output", required=True, help="text file, one description per line")
    p.set_defaults(func=cmd_descriptions)

    p = sub.add_parser("demo", help="run the SVG core on the bundled examples and write a contact sheet")
    p.add_argument("-o", "--output", default="out/demo", help="output folder (default out/demo)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "train", help="train a policy: LoRA SFT, then GRPO/RLOO (svg-agent train --help)", add_help=False
    )
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=None)

    p = sub.add_parser("generate", help="best-of-N SVGs from a policy within a time budget")
    p.add_argument("description", nargs="?", help="what to draw")
    p.add_argument("-o", "--output", help="SVG to write (default stdout); with --descriptions, the submission CSV")
    p.add_argument("--descriptions", help="CSV with id,description: write submission.csv (id,svg) and a contact sheet")
    p.add_argument("--sheet", help="contact sheet PNG for --descriptions (default: beside the CSV)")
    p.add_argument("--config", help="a generate config or a training recipe (its model and reward settings)")
    p.add_argument("--adapter", help="LoRA adapter: a training run's output_dir or an adapter folder")
    p.add_argument("--model", help="hub id, folder, gemma3-270m-offline or tiny-random-gemma3")
    p.add_argument("--n", type=int, help="candidates per description (default 4)")
    p.add_argument("--batch-size", type=int, help="candidates sampled together (default 4)")
    p.add_argument("--time-budget", type=float, help="seconds per description, everything included (default 60)")
    p.add_argument("--max-new-tokens", type=int, help="token limit per candidate (default 512)")
    p.add_argument("--temperature", type=float, help="sampling temperature (default 1.0)")
    p.add_argument(
        "--guidance",
        type=float,
        help="description guidance: steer each token toward what the description changes, against the "
        "same prompt with no description (classifier-free guidance; 1 = off, the default)",
    )
    p.add_argument(
        "--no-loop-guard",
        dest="loop_guard",
        action="store_const",
        const=False,
        help="sample without the loop guard (which bans the token that would continue an exact loop)",
    )
    p.add_argument(
        "--no-close-guard",
        dest="close_guard",
        action="store_const",
        const=False,
        help="sample without the close guard (which ends a drawing at an element boundary near the token "
        "limit, or when it repeats an element verbatim, instead of letting the limit cut it off)",
    )
    p.add_argument("--seed", type=int, help="sampling seed")
    p.add_argument("--ocr", choices=["rapidocr", "tesseract", "none"], help="OCR backend of the reward")
    p.add_argument("--device", help="cpu, cuda, cuda:1, ... (default: cuda when available)")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("kaggle", help="export a Kaggle submission package, or check one with the gateway loop")
    p.add_argument(
        "action", choices=["export", "check"], help="export: write OUT_DIR; check: run the gateway loop on it"
    )
    p.add_argument("out_dir", metavar="OUT_DIR", help="the package folder")
    p.add_argument(
        "--adapter",
        help="(export) LoRA adapter or training run (default: the finished run in runs/ whose held-out samples scored best)",
    )
    p.add_argument(
        "--model", help="(export) base model (default: the adapter's training model, else gemma3-270m-offline)"
    )
    p.add_argument("--time-budget", type=float, default=60.0, help="(export) seconds per description (default 60)")
    p.add_argument(
        "--n", type=int, help="(export) candidates per description (default 8); (check) first N descriptions only"
    )
    p.add_argument("--no-copy-model", action="store_true", help="(export) do not copy the base model's weights")
    p.add_argument("--vectorizer", help="(export) diffusers model for the fallback when the policy fails")
    p.add_argument("--descriptions", help="(check) CSV with id,description")
    p.add_argument(
        "--limit", type=float, default=300.0, help="(check) per-call limit in seconds (default 300, the competition's)"
    )
    p.add_argument("--json", action="store_true", help="(check) print the report as JSON")
    p.set_defaults(func=cmd_kaggle)

    p = sub.add_parser(
        "benchmark", help="systems side by side on the same descriptions: results, summary, report, plots"
    )
    p.add_argument("--config", required=True, help="a benchmark config (configs/benchmark/*.yaml)")
    p.add_argument("--output-dir", help="override the config's output_dir")
    p.add_argument("--limit", type=int, help="override the number of descriptions")
    p.set_defaults(func=cmd_benchmark)

    p = sub.add_parser(
        "serve", help="a web page (and POST /api/draw) drawing one description with each system side by side"
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    p.add_argument("--adapter", action="append", help="a trained run or adapter folder to offer (repeatable)")
    p.add_argument("--runs-dir", default="runs", help="offer every trained run found here (default runs/)")
    p.add_argument("--config", help="a generate config or training recipe: the base model and the reward's models")
    p.add_argument("--model", help="the base model (default gemma3-270m-offline)")
    p.add_argument("--no-base", action="store_true", help="do not offer the base model without an adapter")
    p.add_argument("--diffusion", help="a diffusers model (hub id or folder): offer the vectorizer")
    p.add_argument(
        "--gallery",
        action="append",
        help="a benchmark output_dir for the gallery tab (repeatable; those under --runs-dir are found)",
    )
    p.add_argument("--ocr", choices=["rapidocr", "tesseract", "none"], help="OCR backend of the reward")
    p.add_argument("--device", help="cpu, cuda, ... (default: cuda when available)")
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "train":  # TRL's parser reads the rest (YAML config, overrides, --help)
        try:
            return cmd_train(argv[1:])
        except SvgAgentError as exc:
            print(f"svg-agent train: error: {exc}", file=sys.stderr)
            return exc.exit_code
        except KeyboardInterrupt:
            print("svg-agent train: interrupted", file=sys.stderr)
            return 130
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if getattr(args, "max_bytes", 10_000) < 200:
        parser.error("--max-bytes must be at least 200")
    if getattr(args, "size", 384) <= 0 or getattr(args, "size", 384) > 4096:
        parser.error("--size must be between 1 and 4096")
    try:
        return args.func(args)
    except SvgAgentError as exc:
        print(f"svg-agent {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"svg-agent {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
