"""The package layers, as the tree shows them: each layer imports only the layers below it.

    svg_agent/            the SVG core (validate, sanitize, render, defenses, selection, settings, ...)
    rewards/, vectorize/  the reward and the image side, on the core
    svg_agent/app/, eval/ the policy, training, generation, the page, the CLI; the metric, Kaggle, benchmarks

Every import counts, the ones inside functions too.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("svg_agent", "rewards", "vectorize", "eval")


def layer(module: str) -> int:
    if module.startswith(("svg_agent.app", "eval")):
        return 2
    if module.startswith(("rewards", "vectorize")):
        return 1
    return 0


def modules():
    for package in OURS:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join(parts), path


def imports_of(name: str, path: Path) -> list[tuple[int, str]]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # `from svg_agent import app` imports the module svg_agent.app
            found += [(node.lineno, f"{target}.{a.name}") for a in node.names if a.name != "*"]
    return [(line, t) for line, t in found if t.split(".")[0] in OURS]


MODULES = [m for m in modules() if not m[0].endswith("__main__")]


def test_the_layers_hold_modules():
    by_layer = {0: 0, 1: 0, 2: 0}
    for name, _ in MODULES:
        by_layer[layer(name)] += 1
    assert by_layer[0] >= 12 and by_layer[1] >= 10 and by_layer[2] >= 12, by_layer


@pytest.mark.parametrize("name, path", MODULES, ids=[m[0] for m in MODULES])
def test_a_module_imports_only_its_layer_and_below(name, path):
    mine = layer(name)
    above = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for line, target in imports_of(name, path)
        if layer(target) > mine
    ]
    assert not above, "\n".join(above)


def test_the_core_imports_without_torch_or_the_layers_above():
    code = (
        "import sys, importlib, pkgutil, svg_agent\n"
        "names = [m.name for m in pkgutil.iter_modules(svg_agent.__path__) if not m.ispkg and m.name != '__main__']\n"
        "for n in names: importlib.import_module('svg_agent.' + n)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'rewards', 'vectorize', 'eval')"
        " or m.startswith('svg_agent.app'))\n"
        "print(len(names), bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    count, bad = out.stdout.strip().split(" ", 1)
    assert int(count) >= 12 and bad == "[]", out.stdout
