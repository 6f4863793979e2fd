"""Tiny randomly initialised Gemma-architecture models, built locally with no download.

For smoke runs and tests of the training and generation code on any machine:

    from svg_agent.app.tiny import build_tiny_policy
    folder = build_tiny_policy("/tmp/tiny-gemma3")   # config.json, weights, tokenizer

The tokenizer is a byte-pair encoding trained in a second on procedural SVG text, with Gemma's
special tokens and a minimal Gemma-style chat template; the model is a 2-layer Gemma 3 text model.
Its outputs are random until trained: it exists to exercise code paths, not to draw.
"""

from __future__ import annotations

import os
from pathlib import Path

TINY_ALPHABET = list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,:;?!\"'#(){}[]<>/=-_\n")
SPECIAL = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<start_of_turn>{{ m['role'] }}\n{{ m['content'] }}<end_of_turn>\n"
    "{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)


def tiny_tokenizer(corpus: list[str], vocab_size: int = 400, extra_special: list[str] = (), chat_template: bool = True):
    """A BPE tokenizer trained on `corpus`, with Gemma's special tokens (plus `extra_special`)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.train_from_iterator(
        list(corpus) * 5,
        trainers.BpeTrainer(
            vocab_size=vocab_size, special_tokens=[*SPECIAL, *extra_special], initial_alphabet=TINY_ALPHABET
        ),
    )
    hf = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>", unk_token="<unk>"
    )
    if chat_template:
        hf.chat_template = CHAT_TEMPLATE
    return hf


def tiny_gemma3(tokenizer, seed: int = 0, hidden_size: int = 32, layers: int = 2, max_positions: int = 1024):
    """A randomly initialised Gemma 3 causal LM sized for tests."""
    from .._torchvision import import_torch

    torch, _ = import_torch("the tiny model")
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    config = Gemma3TextConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=16,
        max_position_embeddings=max_positions,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(seed)
    return Gemma3ForCausalLM(config).eval()


def build_tiny_policy(folder: str | Path, seed: int = 0, vocab_size: int = 600, hidden_size: int = 64) -> Path:
    """Write a tiny Gemma 3 and its tokenizer (trained on procedural SVGs) to `folder`; reuse it when present."""
    from vectorize.scenes import generate_scenes

    folder = Path(folder)
    if (folder / "config.json").exists() and (folder / "tokenizer.json").exists():
        return folder
    scenes = list(generate_scenes(300, seed=seed))
    corpus = [f"Description: {s.description}\nSVG:\n{s.svg}" for s in scenes]
    tok = tiny_tokenizer(corpus, vocab_size=vocab_size, chat_template=False)
    model = tiny_gemma3(tok, seed=seed, hidden_size=hidden_size)
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "README.md").write_text(
        "A tiny randomly initialised Gemma 3 built by svg_agent.app.tiny for smoke runs; it does not draw.\n"
    )
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(tmp, folder)
    except OSError:  # another process built it first
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return folder
