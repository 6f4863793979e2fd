"""benchmarks/: one harness that changes nothing on import, thin scripts that use only public names."""

import ast
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
SCRIPTS = sorted(BENCH.glob("bench_*.py"))
OURS = ("svg_agent", "rewards", "vectorize", "eval")


def _load_harness():
    spec = importlib.util.spec_from_file_location("harness_under_test", BENCH / "harness.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_importing_the_harness_changes_nothing():
    path, environ = list(sys.path), dict(os.environ)
    _load_harness()
    assert sys.path == path
    assert dict(os.environ) == environ


def test_there_are_scripts():
    assert len(SCRIPTS) >= 6 and (BENCH / "harness.py").exists() and not (BENCH / "_common.py").exists()


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_use_public_names_and_leave_sys_path_alone(script):
    tree = ast.parse(script.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in OURS:
            private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
            assert not private, f"{script.name}:{node.lineno} imports private {private} from {node.module}"
            assert not any(part.startswith("_") for part in node.module.split(".")[1:] if part != "_torchvision"), (
                f"{script.name}:{node.lineno} imports the private module {node.module}"
            )
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = ast.unparse(node.func.value)
            assert target not in ("sys.path", "os.environ"), f"{script.name}:{node.lineno} changes {target}"
        if isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                text = ast.unparse(t)
                assert not text.startswith(("sys.path", "os.environ")), f"{script.name}:{node.lineno} changes {text}"
        if isinstance(node, ast.ImportFrom) and node.module in ("os", "sys"):
            names = {a.name for a in node.names}
            assert not names & {"environ", "path", "putenv"}, f"{script.name}:{node.lineno} imports {names} to change"
    assert "from _common" not in script.read_text()


def test_report_writes_what_ran(tmp_path):
    harness = _load_harness()
    report = harness.Report("a scenario", params={"n": 3})
    report["section"] = {"value": 1.5}
    out = report.write(tmp_path / "sub" / "r.json")
    data = json.loads(out.read_text())
    assert data["benchmark"] == "a scenario" and data["params"] == {"n": 3} and data["section"] == {"value": 1.5}
    assert data["machine"]["cpu_count"] == os.cpu_count() and data["command"].startswith("python")
    assert data["total_seconds"] >= 0 and data["date"].endswith("+00:00")
    assert list(data)[:4] == ["benchmark", "command", "date", "machine"]
    custom = harness.Report("x", machine={"cpu": "stated"}).write(tmp_path / "c.json", dumps=lambda d: json.dumps(d))
    assert json.loads(custom.read_text())["machine"] == {"cpu": "stated"}


def test_the_svg_set_is_shared_and_deterministic():
    from svg_agent.svgset import CATEGORIES, build_set

    a, b = build_set(30, seed=2), build_set(30, seed=2)
    assert a == b and len(a) == 30 and {c for c, _ in a} == set(CATEGORIES)
    assert build_set(30, seed=3) != a


def test_a_script_runs_from_anywhere_with_the_package_installed(tmp_path):
    res = subprocess.run(
        [sys.executable, str(BENCH / "bench_core.py"), "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert "--out" in res.stdout
