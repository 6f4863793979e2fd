import pytest

from vectorize.descriptions import generate_descriptions, llm_descriptions


def test_thousands_of_distinct_short_descriptions():
    ds = generate_descriptions(5000, seed=0)
    assert len(ds) == len(set(ds)) == 5000
    assert all(0 < len(d) <= 200 and d == d.strip() and "  " not in d for d in ds)
    assert generate_descriptions(100, seed=0) == ds[:100]
    assert generate_descriptions(100, seed=1) != ds[:100]
    words = " ".join(ds)
    for kind in ("at dusk", "coat", "circles", "on a table"):  # all four kinds appear
        assert kind in words


def test_llm_descriptions_run_a_tiny_gemma_and_top_up():
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tiny_models import tiny_gemma3, tiny_tokenizer

    tok = tiny_tokenizer(["a red barn at dusk", "crimson squares in a neat row", "Write short descriptions"])
    ds = llm_descriptions(30, model=tiny_gemma3(tok), tokenizer=tok, max_new_tokens=16)
    assert len(ds) == len(set(ds)) == 30 and all(len(d) <= 200 for d in ds)


def test_cli_writes_the_list(tmp_path):
    from test_cli import run

    out = tmp_path / "d.txt"
    res = run("descriptions", "--n", "300", "-o", str(out))
    assert res.returncode == 0 and len(out.read_text().splitlines()) == 300
