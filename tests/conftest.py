import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="session")
def pool():
    from svg_agent.render import RenderPool

    with RenderPool(workers=2, timeout=5.0, memory_mb=1024) as p:
        yield p


@pytest.fixture(scope="session")
def tiny_policy(tmp_path_factory):
    """The tiny random Gemma 3 (svg_agent.app.tiny) loaded as a Policy, base prompt format, on CPU."""
    from svg_agent.app.policy import PolicySpec, load_policy
    from svg_agent.app.tiny import build_tiny_policy

    folder = build_tiny_policy(tmp_path_factory.mktemp("tiny") / "model")
    return load_policy(PolicySpec(model=str(folder), prompt_format="base", device="cpu"))


@pytest.fixture(scope="session", autouse=True)
def judge():
    """The default offline judge, trained once into the cache (a few minutes on a fresh machine);
    subprocesses started by the tests find it through $SVG_AGENT_JUDGE."""
    from rewards.judge_model import default_judge_path, load_judge

    j = load_judge()
    os.environ["SVG_AGENT_JUDGE"] = str(default_judge_path())
    return j


def pytest_collection_modifyitems(config, items):
    try:
        import torch

        has_gpu = torch.cuda.is_available()
    except Exception:
        has_gpu = False
    if not has_gpu:
        skip = pytest.mark.skip(reason="needs a CUDA device")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip)
