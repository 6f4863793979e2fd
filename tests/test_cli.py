import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from reference_scorer import scorer_defend, scorer_render

from svg_agent.app.cli import build_parser
from svg_agent.svgset import NS, random_scene

SUBCOMMANDS = [
    "validate",
    "sanitize",
    "render",
    "score",
    "judge",
    "vectorize",
    "build-dataset",
    "contact-sheet",
    "descriptions",
    "demo",
    "train",
    "generate",
    "kaggle",
    "benchmark",
    "serve",
]


def run(*args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "svg_agent", *args], capture_output=True, text=True, input=stdin, timeout=120
    )


@pytest.fixture
def files(tmp_path):
    good = tmp_path / "good.svg"
    good.write_text(random_scene(1, 10))
    bad = tmp_path / "bad.svg"
    bad.write_text(f'<svg {NS}><text>hi</text><rect width="5" height="5" style="fill:red"/></svg>')
    return good, bad


def test_help_lists_every_subcommand_and_each_has_help():
    out = run("--help")
    assert out.returncode == 0
    for name in SUBCOMMANDS:
        assert name in out.stdout
        sub = run(name, "--help")
        assert sub.returncode == 0 and "usage: svg-agent " + name in sub.stdout
    registered = build_parser()._subparsers._group_actions[0].choices
    assert sorted(registered) == sorted(SUBCOMMANDS)


def test_validate_exit_codes_and_json(files):
    good, bad = files
    assert run("validate", str(good)).returncode == 0
    out = run("validate", "--json", str(good), str(bad))
    assert out.returncode == 1
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["path"] for r in rows] == [str(good), str(bad)]
    assert rows[0]["valid"] and not rows[1]["valid"]
    assert {"path", "valid", "bytes", "errors"} <= set(rows[1])
    assert {e["kind"] for e in rows[1]["errors"]} == {"element", "attribute"}
    text = run("validate", str(bad))
    assert "disallowed element <text>" in text.stdout and "'style'" in text.stdout


def test_usage_errors_exit_2_with_one_line_and_no_traceback(files, tmp_path):
    for args in (
        ["validate"],
        ["validate", str(tmp_path / "missing.svg")],
        ["validate", str(tmp_path)],
        ["render", str(files[0])],
        ["nosuch"],
        ["sanitize", str(files[0]), "--max-bytes", "10"],
        ["generate", "a red circle", "--guidance", "0.5", "--ocr", "none"],
    ):
        out = run(*args)
        assert out.returncode == 2, (args, out.stderr)
        assert "Traceback" not in out.stderr
        assert len(out.stderr.strip().splitlines()) <= 2 and "error" in out.stderr


def test_generate_with_a_missing_model_or_adapter_exits_2_and_writes_nothing(tmp_path):
    out_svg = tmp_path / "x.svg"
    for extra in (
        ["--model", str(tmp_path / "no" / "such" / "folder")],
        ["--model", "tiny-random-gemma3", "--adapter", str(tmp_path / "no-run")],
    ):
        out = run("generate", "a red circle", *extra, "-o", str(out_svg), "--ocr", "none")
        assert out.returncode == 2, out.stderr
        assert "does not exist" in out.stderr and "Traceback" not in out.stderr
        assert not out_svg.exists()
    from svg_agent.app.generate import GenerateConfig, Generator

    # the library call keeps its promise: never raise, answer with the stock drawing and say why
    r = Generator(GenerateConfig(model=str(tmp_path / "no" / "such" / "folder"), ocr_backend=None)).generate(
        "a red circle"
    )
    assert r.fallback and "does not exist" in r.error and r.svg.startswith("<svg")


def test_sanitize_writes_a_valid_svg(files, tmp_path):
    _, bad = files
    target = tmp_path / "out" / "clean.svg"
    out = run("sanitize", str(bad), "-o", str(target))
    assert out.returncode == 0 and target.exists()
    assert run("validate", str(target)).returncode == 0
    assert "dropped <text>" in out.stderr
    piped = run("sanitize", "-", stdin="Sure!\n```svg\n" + random_scene(2, 5) + "\n```")
    assert piped.returncode == 0 and piped.stdout.startswith("<svg")


def test_render_and_defend_match_the_scorer(files, tmp_path):
    good, _ = files
    png, dpng, ocr = tmp_path / "a.png", tmp_path / "b.png", tmp_path / "c.png"
    assert run("render", str(good), "-o", str(png)).returncode == 0
    ref = scorer_render(good.read_text())
    assert np.array_equal(np.asarray(Image.open(png)), np.asarray(ref))
    assert (
        run("render", str(good), "-o", str(dpng), "--defend", "--seed", "77", "--ocr-output", str(ocr)).returncode == 0
    )
    main, light = scorer_defend(ref, 77)
    assert np.array_equal(np.asarray(Image.open(dpng)), main)
    assert np.array_equal(np.asarray(Image.open(ocr)), light)
    small = tmp_path / "s.png"
    assert run("render", str(good), "-o", str(small), "--size", "64").returncode == 0
    assert Image.open(small).size == (64, 64)


def test_render_failure_is_one_clean_line(tmp_path):
    broken = tmp_path / "broken.svg"
    broken.write_text("<svg><rect")
    out = run("render", str(broken), "-o", str(tmp_path / "x.png"))
    assert out.returncode == 1 and "Traceback" not in out.stderr and "sanitize" in out.stderr


def test_demo_writes_contact_sheet_and_summary(tmp_path):
    out = run("demo", "-o", str(tmp_path / "demo"))
    assert out.returncode == 0, out.stderr
    summary = json.loads((tmp_path / "demo" / "summary.json").read_text())
    assert len(summary) >= 6 and all(r["sanitized_valid"] for r in summary)
    assert any(not r["raw_valid"] for r in summary) and any(r["raw_valid"] for r in summary)
    sheet = Image.open(tmp_path / "demo" / "contact_sheet.png")
    assert sheet.size[0] > 600 and sheet.size[1] > 200 * len(summary)


def test_score_a_submission_offline(tmp_path):
    pytest.importorskip("rapidocr_onnxruntime")
    from svg_agent.app.demo import handmade_examples
    from svg_agent.svgset import hidden_text_svg

    cabin_desc, cabin = handmade_examples()[2]
    sub = tmp_path / "submission.csv"
    import csv

    with sub.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "svg"])
        w.writerow(["b", cabin])
        w.writerow(["a", f"<svg {NS}><text>no</text></svg>"])
        w.writerow(["c", hidden_text_svg()])
    desc = tmp_path / "train.csv"
    desc.write_text(f"id,description\nb,{cabin_desc}\na,a red circle\nc,a gray wall\n")
    q = tmp_path / "questions.csv"  # the judge was not taught forest colours: that question is left out
    q.write_text(
        'id,question,choices,answer\nb,"[""What color is the forest?"", ""What time of day is shown?""]",'
        '"[[""green"", ""purple""], [""noon"", ""night""]]","[""green"", ""night""]"\n'
    )
    out = tmp_path / "scores.csv"
    res = run("score", "--svgs", str(sub), "--descriptions", str(desc), "--questions", str(q), "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert "not the competition metric" in res.stdout and "2/3 valid" in res.stdout
    rows = {r["id"]: r for r in csv.DictReader(out.open())}
    assert rows["a"]["valid"] == "False" and float(rows["a"]["score"]) == 0.0
    assert rows["b"]["score"] == "" and float(rows["b"]["offline_score"]) > 0.35  # no models: no metric
    assert "vqa <- judge_faithfulness" in rows["b"]["substitutions"] and float(rows["b"]["judge_faithfulness"]) > 0.3
    assert rows["c"]["hidden_text"] == "True" and float(rows["c"]["ocr"]) == 1.0
    missing = run("score", "--svgs", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "no such file" in missing.stderr and "Traceback" not in missing.stderr


def test_score_with_a_missing_clip_checkpoint_names_the_problem(tmp_path):
    pytest.importorskip("torch")
    sub = tmp_path / "s.csv"
    sub.write_text('id,svg\na,"<svg xmlns=""http://www.w3.org/2000/svg""><rect width=""9"" height=""9""/></svg>"\n')
    out = run("score", "--svgs", str(sub), "--ocr", "none", "--clip", str(tmp_path / "ViT-L-14.pt"))
    assert out.returncode != 0 and "CLIP checkpoint not found" in out.stderr and "Traceback" not in out.stderr


def test_vectorize_an_image_file(tmp_path):
    pytest.importorskip("sklearn")
    png = tmp_path / "in.png"
    Image.fromarray(
        np.kron(np.random.RandomState(1).randint(0, 256, (6, 6, 3)), np.ones((32, 32, 1))).astype(np.uint8)
    ).save(png)
    out = tmp_path / "out.svg"
    res = run("vectorize", str(png), "-o", str(out), "--max-bytes", "3000")
    assert res.returncode == 0, res.stderr
    assert run("validate", "--max-bytes", "3000", str(out)).returncode == 0
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    res = run("vectorize", str(bad), "-o", str(out))
    assert res.returncode == 2 and "not an image" in res.stderr and "Traceback" not in res.stderr
