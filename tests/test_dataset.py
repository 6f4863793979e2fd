"""Dataset building: resumable JSON lines, traced images, contact sheets."""

import numpy as np
import pytest
from PIL import Image

from svg_agent.constraints import validate
from svg_agent.errors import InputError
from vectorize.dataset import build_dataset, dataset_contact_sheet, load_records


def test_interrupted_build_resumes_to_the_same_file(tmp_path):
    whole, resumed = tmp_path / "whole.jsonl", tmp_path / "resumed.jsonl"
    assert build_dataset(whole, n=120, seed=5, progress=False) == 120
    assert build_dataset(resumed, n=50, seed=5, progress=False) == 50
    with resumed.open("a") as f:
        f.write('{"id": "proc-5-000050", "descr')  # killed in the middle of a write
    assert build_dataset(resumed, n=120, seed=5, progress=False) == 120
    assert resumed.read_bytes() == whole.read_bytes()
    assert build_dataset(resumed, n=120, seed=5, progress=False) == 120  # nothing to add, nothing duplicated
    records = load_records(resumed)
    assert len(records) == 120 and len({r["id"] for r in records}) == 120
    assert all(validate(r["svg"]).valid and r["questions"] for r in records)


def test_records_load_as_a_table(tmp_path):
    pd = pytest.importorskip("pandas")
    path = tmp_path / "d.jsonl"
    build_dataset(path, n=20, progress=False)
    table = pd.read_json(path, lines=True)
    assert list(table.columns[:5]) == ["id", "description", "svg", "questions", "source"] and len(table) == 20


def test_traced_images_and_errors(tmp_path):
    pytest.importorskip("sklearn")
    folder = tmp_path / "imgs"
    folder.mkdir()
    rng = np.random.RandomState(0)
    for name in ("red_barn.png", "blue-lake.jpg"):
        Image.fromarray(np.kron(rng.randint(0, 256, (4, 4, 3)), np.ones((40, 40, 1))).astype(np.uint8)).save(
            folder / name
        )
    out = tmp_path / "t.jsonl"
    assert build_dataset(out, source="images", images=folder, progress=False) == 2
    recs = load_records(out)
    assert [r["description"] for r in recs] == ["blue lake", "red barn"] and all(validate(r["svg"]).valid for r in recs)
    with pytest.raises(InputError, match="needs --images"):
        build_dataset(tmp_path / "x.jsonl", source="images", images=tmp_path / "none")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    with pytest.raises(InputError, match="not JSON"):
        build_dataset(bad, n=3, progress=False)


def test_contact_sheet(tmp_path):
    path = tmp_path / "d.jsonl"
    build_dataset(path, n=8, progress=False)
    out = tmp_path / "sheet.png"
    assert dataset_contact_sheet(path, out, n=8, columns=4) == 8
    sheet = np.asarray(Image.open(out))
    assert sheet.shape[:2] == (2 * (192 + 44), 4 * 192) and sheet.std() > 20
