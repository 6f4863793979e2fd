"""Tiny random models built from configs, for tests that must not download anything."""

from __future__ import annotations

from pathlib import Path


def tiny_paligemma(folder: Path, seed: int = 0) -> Path:
    """A randomly initialised PaliGemma (Gemma 2 text, SigLIP vision, 28 px images) and its
    processor with a tokenizer trained here, saved to `folder` for from_pretrained."""
    from svg_agent._torchvision import ensure_torchvision

    ensure_torchvision()
    import torch
    from transformers import (
        PaliGemmaConfig,
        PaliGemmaForConditionalGeneration,
        PaliGemmaProcessor,
        SiglipImageProcessor,
    )

    hf = tiny_tokenizer(
        [
            "answer en Question: What color is the sky?\nChoices:\nA. blue\nB. red\nC. green\nD. yellow\n",
            "ocr",
            "yes no",
            "Is there a red circle?",
        ],
        vocab_size=300,
        extra_special=["<image>"],
    )
    image_processor = SiglipImageProcessor(size={"height": 28, "width": 28})
    image_processor.image_seq_length = 4
    processor = PaliGemmaProcessor(image_processor=image_processor, tokenizer=hf)
    config = PaliGemmaConfig(
        vision_config={
            "model_type": "siglip_vision_model",
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "image_size": 28,
            "patch_size": 14,
        },
        text_config={
            "model_type": "gemma2",
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "num_key_value_heads": 1,
            "head_dim": 16,
            "vocab_size": len(processor.tokenizer),
        },
        image_token_index=processor.image_token_id,
        projection_dim=32,
    )
    torch.manual_seed(seed)
    model = PaliGemmaForConditionalGeneration(config).eval()
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def tiny_tokenizer(corpus, vocab_size=400, extra_special=()):
    """A BPE tokenizer trained here (see svg_agent.app.tiny), with a minimal chat template."""
    from svg_agent.app.tiny import tiny_tokenizer as build

    return build(corpus, vocab_size=vocab_size, extra_special=extra_special)


def tiny_gemma3(tokenizer, seed: int = 0):
    """A randomly initialised Gemma 3 causal LM sized for tests."""
    from svg_agent.app.tiny import tiny_gemma3 as build

    return build(tokenizer, seed=seed)


def _char_clip_tokenizer(folder: Path):
    """A character-level CLIP tokenizer (no merges), written to `folder`."""
    import json

    from transformers import CLIPTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1, "!": 2}
    for c in "abcdefghijklmnopqrstuvwxyz":
        vocab[c] = len(vocab)
        vocab[c + "</w>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    return CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), pad_token="!", model_max_length=77)


def tiny_stable_diffusion(folder: Path) -> Path:
    """A randomly initialised Stable Diffusion pipeline (tiny UNet, VAE, CLIP text encoder and a
    character-level CLIP tokenizer), saved to `folder` for from_pretrained."""
    from svg_agent._torchvision import ensure_torchvision

    ensure_torchvision()
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    tokenizer = _char_clip_tokenizer(folder / "_tokenizer_src")
    vocab = tokenizer.get_vocab()
    torch.manual_seed(0)
    text = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(vocab),
            hidden_size=32,
            intermediate_size=37,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=77,
            projection_dim=32,
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=2,
        )
    )
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=16,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        norm_num_groups=32,
    )
    vae = AutoencoderKL(
        block_out_channels=(32, 64),
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        norm_num_groups=32,
        down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2,
        sample_size=32,
    )
    scheduler = DDIMScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False, set_alpha_to_one=False
    )
    pipe = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(folder / "model")
    return folder / "model"


def tiny_blip2(folder: Path, seed: int = 0) -> Path:
    """A randomly initialised BLIP-2 (ViT, Q-Former, OPT) and its processor, saved to `folder`."""
    from svg_agent._torchvision import ensure_torchvision

    ensure_torchvision()
    import torch
    from transformers import Blip2Config, Blip2ForConditionalGeneration, Blip2Processor, BlipImageProcessor

    tok = tiny_tokenizer(["a photo of a red barn in a field", "a cat on a mat"], vocab_size=200)
    proc = Blip2Processor(
        image_processor=BlipImageProcessor(size={"height": 32, "width": 32}), tokenizer=tok, num_query_tokens=4
    )
    image_token = getattr(proc.image_token, "content", proc.image_token)
    config = Blip2Config(
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 37,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "image_size": 32,
            "patch_size": 16,
        },
        qformer_config={
            "hidden_size": 32,
            "intermediate_size": 37,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "vocab_size": 100,
            "encoder_hidden_size": 32,
        },
        text_config={
            "model_type": "opt",
            "hidden_size": 32,
            "ffn_dim": 37,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "vocab_size": len(proc.tokenizer),
            "word_embed_proj_dim": 32,
            "max_position_embeddings": 64,
            "bos_token_id": proc.tokenizer.bos_token_id,
            "eos_token_id": proc.tokenizer.eos_token_id,
            "pad_token_id": proc.tokenizer.pad_token_id,
        },
        num_query_tokens=4,
        image_token_index=proc.tokenizer.convert_tokens_to_ids(image_token),
    )
    torch.manual_seed(seed)
    model = Blip2ForConditionalGeneration(config).eval()
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    proc.save_pretrained(folder)
    return folder


def tiny_sdxl(folder: Path) -> tuple[Path, Path]:
    """A randomly initialised SDXL base and refiner (two CLIP text encoders, tiny UNets), saved."""
    from svg_agent._torchvision import ensure_torchvision

    ensure_torchvision()
    import torch
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionXLImg2ImgPipeline,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    tok = _char_clip_tokenizer(folder / "_tok")
    vocab = tok.get_vocab()
    cfg = dict(
        vocab_size=len(vocab),
        hidden_size=32,
        intermediate_size=37,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=77,
        projection_dim=32,
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=2,
        hidden_act="gelu",
    )
    torch.manual_seed(0)
    te1, te2 = CLIPTextModel(CLIPTextConfig(**cfg)), CLIPTextModelWithProjection(CLIPTextConfig(**cfg))

    def unet(proj_dim: int, cross_dim: int):
        return UNet2DConditionModel(
            block_out_channels=(32, 64),
            layers_per_block=1,
            sample_size=16,
            in_channels=4,
            out_channels=4,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
            attention_head_dim=(2, 4),
            use_linear_projection=True,
            addition_embed_type="text_time",
            addition_time_embed_dim=8,
            transformer_layers_per_block=(1, 2),
            projection_class_embeddings_input_dim=proj_dim,
            cross_attention_dim=cross_dim,
            norm_num_groups=32,
        )

    vae = AutoencoderKL(
        block_out_channels=(32, 64),
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        norm_num_groups=32,
        down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2,
        sample_size=32,
    )
    sched = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", timestep_spacing="leading", steps_offset=1
    )
    base = StableDiffusionXLPipeline(
        vae=vae,
        text_encoder=te1,
        text_encoder_2=te2,
        tokenizer=tok,
        tokenizer_2=tok,
        unet=unet(80, 64),
        scheduler=sched,
    )
    base.save_pretrained(folder / "base")
    refiner = StableDiffusionXLImg2ImgPipeline(
        vae=vae,
        text_encoder=None,
        text_encoder_2=te2,
        tokenizer=None,
        tokenizer_2=tok,
        unet=unet(72, 32),
        scheduler=sched,
        requires_aesthetics_score=True,
    )
    refiner.save_pretrained(folder / "refiner")
    return folder / "base", folder / "refiner"
