import numpy as np
import pytest

from rewards.questions import generate_questions
from rewards.standin import standin_score
from svg_agent.app.demo import example_files
from svg_agent.defenses import defend
from svg_agent.render import render_image
from svg_agent.sanitize import sanitize


@pytest.mark.parametrize(
    "description, expected",
    [
        ("a purple forest at dusk", {"forest", "purple", "dusk"}),
        ("crimson rectangles forming a chaotic grid", {"crimson", "rectangle"}),
        ("gray wool coat with a faux fur collar", {"coat", "gray"}),
        ("three white boats on a calm lake", {"3", "white", "boat"}),
        ("", {"yes"}),
    ],
)
def test_questions_are_in_the_competition_format_and_state_only_the_description(description, expected):
    qs = generate_questions(description)
    assert 1 <= len(qs) <= 4
    for q in qs:
        assert set(q) == {"question", "choices", "answer"}
        assert len(q["choices"]) in (2, 4) and q["answer"] in q["choices"]
        assert len(set(q["choices"])) == len(q["choices"])
    assert expected <= {q["answer"] for q in qs}
    assert generate_questions(description) == qs  # deterministic


def test_wording_and_distractors():
    qs = {q["answer"]: q for q in generate_questions("three white boats on a calm lake")}
    assert qs["white"]["question"] == "What color are the boats?"
    assert qs["3"]["question"] == "How many boats are there?"
    coat = {q["answer"]: q for q in generate_questions("gray wool coat with a faux fur collar")}
    assert coat["gray"]["question"] == "What color is the coat?"
    purple = {q["answer"]: q for q in generate_questions("a purple forest at dusk")}["purple"]
    assert all(
        c in ("purple", "red", "orange", "yellow", "green", "blue", "pink", "brown", "black", "white", "gray")
        for c in purple["choices"]
    )


def test_generated_questions_reward_the_faithful_drawing_in_the_standin():
    ex = {n: sanitize(r).svg for n, r in example_files()}
    qs = generate_questions("a purple forest at dusk")
    good = standin_score(defend(render_image(ex["purple_forest_at_dusk.svg"]), 1).image, "", qs)
    bad = standin_score(defend(render_image(ex["crimson_rectangles_chaotic_grid.svg"]), 1).image, "", qs)
    assert good.standin_questions and min(good.standin_questions) > max(bad.standin_questions)


def test_parse_llm_questions_keeps_only_well_formed_ones():
    from rewards.questions import parse_llm_questions

    reply = """Here are the questions:
{"question": "What color is the forest?", "choices": ["purple", "green", "blue", "red"], "answer": "purple"}
{"question": "Is it night?", "choices": ["yes", "no"], "answer": "maybe"}
{"question": "What time?", "choices": ["dusk", "dusk", "noon", "dawn"], "answer": "dusk"}
{"question": "Three choices?", "choices": ["a", "b", "c"], "answer": "a"}
{"question": "Is there a forest?", "choices": ["yes", "no"], "answer": "yes"}
{"question": "what color is the forest?", "choices": ["purple", "green"], "answer": "purple"}
{not json}"""
    got = parse_llm_questions(reply)
    assert [q["question"] for q in got] == ["What color is the forest?", "Is there a forest?"]


def test_llm_generator_runs_a_tiny_gemma_and_tops_up_with_rules():
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tiny_models import tiny_gemma3, tiny_tokenizer

    from rewards.questions import LLMQuestionGenerator

    tok = tiny_tokenizer(
        [
            '{"question": "What color is the forest?", "choices": ["yes", "no"], "answer": "yes"}',
            "Write multiple-choice questions about a purple forest at dusk",
        ]
    )
    gen = LLMQuestionGenerator(model=tiny_gemma3(tok), tokenizer=tok, device="cpu", max_new_tokens=12)
    qs = gen.generate("a purple forest at dusk")
    assert gen.last_reply != ""  # the model really ran
    assert len(qs) == 4 and all(q["answer"] in q["choices"] and len(q["choices"]) in (2, 4) for q in qs)
    assert {"forest", "purple", "dusk"} <= {q["answer"] for q in qs}  # topped up from the rule-based set


def test_reads_the_competitions_question_files(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    from rewards.questions import load_questions

    # questions.parquet: one row per question, choices as an array
    rows = pd.DataFrame(
        {
            "id": ["a", "a", "b"],
            "question": ["Is it red?", "What shape?", "Is it night?"],
            "choices": [
                np.array(["yes", "no"]),
                np.array(["circle", "square", "star", "line"]),
                np.array(["yes", "no"]),
            ],
            "answer": ["yes", "circle", "no"],
        }
    )
    rows.to_parquet(tmp_path / "questions.parquet")
    qs = load_questions(tmp_path / "questions.parquet")
    assert qs["a"][1] == {
        "question": "What shape?",
        "choices": ["circle", "square", "star", "line"],
        "answer": "circle",
    }
    assert len(qs["a"]) == 2 and qs["b"][0]["answer"] == "no"
    # the metric's solution format: list literals per id
    (tmp_path / "train.csv").write_text(
        'id,question,choices,answer\nc,"[""Q1?"", ""Q2?""]","[[""yes"", ""no""], [""x"", ""y""]]","[""no"", ""y""]"\n'
    )
    qc = load_questions(tmp_path / "train.csv")
    assert qc["c"] == [
        {"question": "Q1?", "choices": ["yes", "no"], "answer": "no"},
        {"question": "Q2?", "choices": ["x", "y"], "answer": "y"},
    ]
    (tmp_path / "bad.csv").write_text("id,question\nx,y\n")
    from svg_agent.errors import InputError

    with pytest.raises(InputError, match="missing column"):
        load_questions(tmp_path / "bad.csv")
