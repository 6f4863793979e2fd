"""python benchmarks/bench_decisions.py --adapters plain=runs/w1_seed0/adapter,head=runs/h16w3_seed0/adapter --out benchmarks/results/decisions.json

Does a policy know what to draw once it has named it? For each named group kind of the held-out
corpus (one drawing per kind: `generate_scenes(..., split="heldout")`), teacher-forced under the
drawing's own description: the policy's probability of the first token of the group's drawing
(the token after `<g id="...">`'s first `d="M`, `x="`, `cx="` or `y="`, where the shape it draws is
chosen), and whether that token is its likeliest. A policy that writes the right id and then the
shapes of another kind puts its mass on the other kind's first coordinate.
"""

from __future__ import annotations

import argparse
import re
import statistics

from harness import Report, rnd

_FIRST = re.compile(r'<g id="([^"]+)">(?:<defs>.*?</defs>)?<(?!use\b)[a-z]+[^>]*?\s(?:d="M|x="|cx="|y=")', re.S)


def cases(n: int, seed: int) -> list[tuple[str, str, str, str]]:
    """(kind, description, completion prefix up to the decision, the completion) per group kind."""
    from svg_agent.app.policy import PromptFormat
    from vectorize.scenes import generate_scenes

    fmt, seen, out = PromptFormat("base"), set(), []
    for s in generate_scenes(n, seed=seed, flat=True, split="heldout"):
        body = fmt.completion(s.svg)
        for m in _FIRST.finditer(body):
            kind = m.group(1)
            if kind in seen or re.fullmatch(r"s[0-9a-z]+", kind):
                continue
            seen.add(kind)
            out.append((kind, s.description, body[: m.end()], body))
    return sorted(out)


def probe(policy, description: str, prefix: str, body: str) -> dict:
    import torch

    tok, fmt, model = policy.tokenizer, policy.format, policy.model
    prompt = tok(fmt.prompt_text(tok, description), add_special_tokens=True)["input_ids"]
    ids = tok(body, add_special_tokens=False, return_offsets_mapping=True)
    k = next(i for i, (a, b) in enumerate(ids["offset_mapping"]) if b > len(prefix))
    x = torch.tensor([prompt + ids["input_ids"][:k]])
    with torch.no_grad():
        p = model(input_ids=x).logits[0, -1].float().softmax(-1)
    target = ids["input_ids"][k]
    return {
        "token": tok.decode([target]),
        "p": rnd(float(p[target]), 4),
        "likeliest": tok.decode([int(p.argmax())]),
        "right": int(p.argmax()) == target,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--adapters", required=True, help="name=adapter_folder,...")
    ap.add_argument("--model", default="gemma3-270m-offline")
    ap.add_argument("--n", type=int, default=400, help="held-out scenes to look through for one drawing per kind")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", default="benchmarks/results/decisions.json")
    args = ap.parse_args()
    from svg_agent._torchvision import ensure_torchvision

    ensure_torchvision()
    import torch

    from svg_agent.app.policy import PolicySpec, load_policy

    torch.set_num_threads(2)
    report = Report("decisions")
    found = cases(args.n, args.seed)
    report["kinds"] = len(found)
    report["systems"] = {}
    for item in args.adapters.split(","):
        name, _, folder = item.partition("=")
        policy = load_policy(PolicySpec(model=args.model, adapter=folder, prompt_format="base", device="cpu"))
        rows = {kind: {"description": d, **probe(policy, d, prefix, body)} for kind, d, prefix, body in found}
        report["systems"][name] = {
            "adapter": folder,
            "mean_p": rnd(statistics.mean(r["p"] for r in rows.values()), 4),
            "right": rnd(sum(r["right"] for r in rows.values()) / len(rows), 4),
            "kinds": rows,
        }
        print(name, report["systems"][name]["mean_p"], report["systems"][name]["right"], flush=True)
    report.write(args.out)


if __name__ == "__main__":
    main()
