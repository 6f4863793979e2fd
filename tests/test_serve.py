"""`svg-agent serve`: the systems it finds, its answers side by side (a failing system shows its
error, the others still answer), bad requests refused with a message, the JSON endpoint of a
running server, the benchmark gallery, and the page itself in a headless browser."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("gradio")

from svg_agent.app.generate import GenerateConfig  # noqa: E402
from svg_agent.app.serve import DrawService, SystemSpec, default_systems, gallery_items, public  # noqa: E402
from svg_agent.constraints import validate  # noqa: E402
from svg_agent.errors import InputError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _corpus_description() -> tuple[str, str]:
    from vectorize.scenes import generate_scenes

    scene = next(iter(generate_scenes(1, seed=0, flat=True)))
    return scene.description, scene.svg


def _tiny_run(folder: Path) -> Path:
    """A training run folder holding an untrained LoRA adapter on the tiny model."""
    import yaml

    from svg_agent._torchvision import ensure_torchvision

    ensure_torchvision()
    from peft import LoraConfig, get_peft_model

    from svg_agent.app.policy import PolicySpec, load_model

    model, tokenizer, _ = load_model(PolicySpec(model="tiny-random-gemma3", device="cpu"))
    peft = get_peft_model(model, LoraConfig(r=2, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"))
    peft.save_pretrained(folder / "adapter")
    (folder / "train_config.yaml").write_text(
        yaml.safe_dump({"model": "tiny-random-gemma3", "prompt_format": "base", "stages": ["sft"]})
    )
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    _tiny_run(root / "tiny-run")
    (root / "not-a-run").mkdir()  # no adapter: not offered
    return root


@pytest.fixture(scope="module")
def settings():
    return GenerateConfig(model="tiny-random-gemma3", ocr_backend=None, max_new_tokens=48, batch_size=2)


def test_systems_found_and_named(runs, tmp_path):
    specs = default_systems(runs, model="tiny-random-gemma3")
    assert [s.name for s in specs] == ["run:tiny-run", "base:tiny-random-gemma3", "procedural"]
    assert specs[0].adapter == str(runs / "tiny-run")
    with_vec = default_systems(runs, [str(runs / "tiny-run" / "adapter")], model="m", diffusion="some/sd", base=False)
    assert [s.kind for s in with_vec] == ["policy", "vectorizer", "procedural"]  # the run is offered once
    with pytest.raises(InputError, match="no LoRA adapter"):
        default_systems(runs, [str(tmp_path / "missing")])


def test_bad_requests_are_refused_with_a_reason(runs, settings):
    service = DrawService(default_systems(runs, model="tiny-random-gemma3"), settings)
    for args, match in [
        (("",), "give a description"),
        (("   ",), "give a description"),
        (("x" * 501,), "at most 500"),
        (("a red circle", 0), "between 1 and"),
        (("a red circle", 4, -1), "time_budget"),
        (("a red circle", "four"), "whole number"),
        (("a red circle", 4, 30, ["nope"]), "unknown system 'nope'; known: run:tiny-run"),
        (("a red circle", 4, 30, [3]), "list of system names"),
    ]:
        with pytest.raises(InputError, match=match):
            service.draw(*args)
    assert service.check("  a  red circle ") == ("a red circle", 4, 30.0, list(service.specs))


def test_draw_side_by_side_and_a_failing_system(runs, settings, tmp_path):
    broken = tmp_path / "broken"
    (broken / "adapter").mkdir(parents=True)
    (broken / "adapter" / "adapter_config.json").write_text("{not json")
    specs = [
        *default_systems(runs, model="tiny-random-gemma3"),
        SystemSpec("run:broken", "policy", adapter=str(broken)),
    ]
    service = DrawService(specs, settings, corpus_size=50)
    description, reference = _corpus_description()
    seen = []
    result = service.draw(description, n=2, time_budget=60, progress=lambda f, text: seen.append((f, text)))
    rows = {r["name"]: r for r in result["systems"]}
    assert list(rows) == ["run:tiny-run", "base:tiny-random-gemma3", "procedural", "run:broken"]
    for name in ("run:tiny-run", "base:tiny-random-gemma3"):  # untrained: whatever they wrote, a valid SVG comes back
        r = rows[name]
        assert r["svg"] and validate(r["svg"]).valid and r["candidates"] == 2 and r["bytes"] == len(r["svg"].encode())
        assert r["image"] is not None and r["defended"] is not None and r["image"].size == (384, 384)
    ref = rows["procedural"]
    assert ref["svg"] == reference and ref["raw_valid"] and ref["valid"]
    # the corpus's own drawing, judged on its own questions, beats what the untrained policies drew
    assert ref["scores"]["judge_faithfulness"] > 0.5
    assert ref["scores"]["reward"] > max(
        rows[n]["scores"]["reward"] or 0 for n in ("run:tiny-run", "base:tiny-random-gemma3")
    )
    assert rows["run:broken"]["svg"] is None and rows["run:broken"]["error"]
    assert seen[0] == (0.0, "run:tiny-run (1 of 4)") and seen[-1] == (1.0, "done")
    assert any("stand-ins" in n for n in result["notes"])
    json.dumps(public(result))  # the endpoint's answer is plain JSON

    other = service.draw("a lighthouse overlooking the ocean", n=1, time_budget=30, systems=["procedural"])
    assert other["systems"][0]["skipped"].startswith("not a corpus description")


def test_gallery_filters_a_benchmark_run(tmp_path):
    from svg_agent.app.serve import benchmark_systems, discover_benchmarks

    folder = tmp_path / "runs" / "bench"
    rows = [
        (
            "a",
            "1",
            "a red circle",
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 384 384"><circle cx="192" '
            'cy="192" r="90" fill="red"/></svg>',
        ),
        ("b", "1", "a red circle", '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 384 384"/>'),
        (
            "a",
            "2",
            "a blue square",
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 384 384"><rect x="90" '
            'y="90" width="200" height="200" fill="blue"/></svg>',
        ),
    ]
    for system, rid, _desc, svg in rows:
        (folder / "svgs" / system).mkdir(parents=True, exist_ok=True)
        (folder / "svgs" / system / f"{rid}.svg").write_text(svg)
    lines = [
        json.dumps({"system": s, "id": i, "description": d, "reward": 0.5, "bytes": len(v), "valid": True})
        for s, i, d, v in rows
    ]
    (folder / "results.jsonl").write_text("\n".join(lines + ['{"cut off']) + "\n")
    assert discover_benchmarks(tmp_path / "runs") == [folder]
    assert benchmark_systems(folder) == ["a", "b"]
    assert len(gallery_items(folder)) == 3
    only_a = gallery_items(folder, "a")
    assert [c for _, c in only_a] == [
        f"a: a red circle [reward 0.5, {len(rows[0][3])} B]",
        f"a: a blue square [reward 0.5, {len(rows[2][3])} B]",
    ]
    squares = gallery_items(folder, "all", "SQUARE")
    assert len(squares) == 1 and squares[0][0].getpixel((96, 96))[2] > 200  # the blue square, rendered
    with pytest.raises(InputError, match="no results.jsonl"):
        discover_benchmarks(tmp_path / "runs", [str(tmp_path)])


# ---------------------------------------------------------------- a running server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, body) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.fixture(scope="module")
def server(runs, tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = dict(os.environ, PYTHONUNBUFFERED="1", GRADIO_ANALYTICS_ENABLED="False")
    with open(log, "w") as f:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "svg_agent",
                "serve",
                "--model",
                "tiny-random-gemma3",
                "--runs-dir",
                str(runs),
                "--port",
                str(port),
                "--ocr",
                "none",
            ],
            stdout=f,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    while True:
        try:
            with urllib.request.urlopen(url + "/api/systems", timeout=5) as r:
                systems = json.loads(r.read())["systems"]
            break
        except (urllib.error.URLError, ConnectionError, OSError):
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                pytest.fail(f"svg-agent serve did not start:\n{log.read_text()[-3000:]}")
            time.sleep(1)
    yield url, systems
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_api_draw(server):
    url, systems = server
    assert [s["name"] for s in systems] == ["run:tiny-run", "base:tiny-random-gemma3", "procedural"]
    description, reference = _corpus_description()
    code, body = _post(
        url + "/api/draw",
        {"description": description, "n": 1, "time_budget": 60, "systems": ["base:tiny-random-gemma3", "procedural"]},
    )
    assert code == 200, body
    got = {r["name"]: r for r in body["systems"]}
    assert set(got) == {"base:tiny-random-gemma3", "procedural"}
    assert validate(got["base:tiny-random-gemma3"]["svg"]).valid and got["base:tiny-random-gemma3"]["seconds"] > 0
    assert got["procedural"]["svg"] == reference and got["procedural"]["scores"]["judge_faithfulness"] > 0.5
    for bad, match in [
        ({"description": ""}, "give a description"),
        ({"description": "x", "systems": ["vtracer"]}, "unknown system"),
        ({"description": "x", "colour": "red"}, "unknown field 'colour'"),
        (b"{not json", "must be JSON"),
        ([1, 2], "JSON object"),
    ]:
        code, body = _post(url + "/api/draw", bad)
        assert code == 400 and match in body["error"], (bad, body)


def _chromium() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def test_page_draws_in_a_browser(server):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    found = _chromium()
    if found is None:
        pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium chromium-driver)")
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    url, _ = server
    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=found[1]))
    try:
        driver.get(url + "/")
        wait = WebDriverWait(driver, 120)
        box = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "#description textarea")))
        box.send_keys(_corpus_description()[0])
        driver.find_element(By.CSS_SELECTOR, "#draw").click()
        drawing = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "img.svg-agent-drawing")))
        assert drawing.get_attribute("src").startswith("data:image/svg+xml;base64,")
        assert "<svg" in driver.page_source  # the SVG text, shown to copy
    finally:
        driver.quit()


def test_vectorizer_system_with_a_tiny_diffusion_model(settings, tmp_path):
    pytest.importorskip("diffusers")
    from tiny_models import tiny_stable_diffusion

    sd = str(tiny_stable_diffusion(tmp_path / "sd"))
    specs = default_systems(tmp_path / "no-runs", model="tiny-random-gemma3", diffusion=sd, base=False)
    assert [s.name for s in specs] == ["vectorizer", "procedural"]
    service = DrawService(
        specs, settings, corpus_size=10, diffusion={"steps": 2, "width": 64, "height": 64, "device": "cpu"}
    )
    (row,) = service.draw("a purple forest at dusk", n=1, time_budget=30, systems=["vectorizer"])["systems"]
    assert row["error"] is None and validate(row["svg"]).valid and row["raw_valid"] and row["defended"] is not None
