"""The policy's prompt formats, model resolution and adapter lookup (no training here)."""

import pytest

from svg_agent.app.policy import BASE_OPEN, SVG_OPEN, PromptFormat, rebase_svg, resolve_model
from svg_agent.constraints import validate
from svg_agent.errors import ConfigError, InputError

pytest.importorskip("transformers")


class _Tok:
    def __init__(self, template=None):
        self.chat_template = template

    def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=True):
        return "".join(f"<{m['role']}>{m['content']}" for m in messages) + ("<model>" if add_generation_prompt else "")


def test_format_follows_the_tokenizer():
    assert PromptFormat.for_tokenizer(_Tok()).kind == "base"
    assert PromptFormat.for_tokenizer(_Tok("{{x}}")).kind == "chat"
    assert PromptFormat.for_tokenizer(_Tok("{{x}}"), "base").kind == "base"
    with pytest.raises(ConfigError, match="chat template"):
        PromptFormat.for_tokenizer(_Tok(), "chat")
    with pytest.raises(ConfigError, match="prompt_format"):
        PromptFormat.for_tokenizer(_Tok(), "instruct")


def test_base_format_round_trip():
    fmt = PromptFormat("base")
    svg = SVG_OPEN + '<circle cx="192" cy="192" r="90" fill="red"/></svg>'
    prompt = fmt.prompt("a red circle")
    assert prompt.endswith(BASE_OPEN) and "a red circle" in prompt
    body = fmt.completion(svg)
    assert body.startswith("<circle") and fmt.to_svg(body) == BASE_OPEN + body
    assert fmt.to_svg(svg) == svg  # a completion that reopens the root is left alone


def test_chat_format():
    fmt = PromptFormat("chat")
    tok = _Tok("{{x}}")
    assert fmt.prompt("a red circle")[0]["role"] == "user"
    assert fmt.prompt_text(tok, "a red circle").endswith("<model>")
    assert fmt.to_svg([{"role": "assistant", "content": "<svg/>"}]) == "<svg/>"


def test_rebase_keeps_the_picture_of_another_viewbox():
    svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="10 0 96 96" fill="navy"><rect x="10" width="96" height="96"/></svg>'
    body = rebase_svg(svg)
    out = SVG_OPEN + body
    assert validate(out).valid, validate(out).summary
    assert 'transform="scale(4) translate(-10 0)"' in body and 'fill="navy"' in body
    with pytest.raises(InputError):
        rebase_svg("not an svg")
    odd = rebase_svg('<svg xmlns="http://www.w3.org/2000/svg" width="100%" style=\'font-family:"A"\'><rect/></svg>')
    assert validate(SVG_OPEN + odd).valid or "style" in odd  # quoted safely, 100% read as the canvas
    assert "scale(1)" in odd and "&quot;" in odd or "'font-family:\"A\"'" in odd
    with pytest.raises(InputError):
        rebase_svg('<svg viewBox="a b c d" width="x"><rect/></svg>')


def test_resolve_model_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        resolve_model("./no/such/folder")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="config.json"):
        resolve_model(str(tmp_path / "empty"))
    assert resolve_model("google/gemma-3-1b-it") == "google/gemma-3-1b-it"  # a hub id is passed on


def test_adapter_folder(tmp_path):
    from svg_agent.app.rundir import find_adapter as adapter_folder

    with pytest.raises(InputError, match="does not exist"):
        adapter_folder(tmp_path / "missing")
    with pytest.raises(InputError, match="no LoRA adapter"):
        adapter_folder(tmp_path)
    (tmp_path / "adapter").mkdir()
    (tmp_path / "adapter" / "adapter_config.json").write_text("{}")
    assert adapter_folder(tmp_path) == tmp_path / "adapter"
