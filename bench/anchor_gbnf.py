#!/usr/bin/env python3
"""The per-command anchor of issue 3, measured beside Hark in the same run: llama.cpp (PyPI
llama-cpp-python, the venv bench/compare-llamacpp.sh makes) with the base model, an 8-shot chat
prompt of the home's registry and a GBNF grammar of the action language (intent, then
slot=value pairs over the registry's ids), greedy, warm (the prompt's shared prefix stays in
llama.cpp's cache between commands). Rounds alternate with `hark bench --config` rounds, and the
result is the ratio of the medians.

    ~/.cache/hark/llamaenv/bin/python bench/anchor_gbnf.py [--rounds 2] [--hark .build/release/hark]

Run from the repository root with OMP_WAIT_POLICY=passive (set here) and HARK_MODEL (or the
installed model). The grammar is looser than Hark's own (any slot after any intent), which favours
llama.cpp slightly.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "passive")
from llama_cpp import Llama, LlamaGrammar  # noqa: E402


def export(hark: str, config: str, count: int, seed: int) -> list[dict]:
    out = subprocess.run([hark, "export-training-data", "--config", config, "--count", str(count), "--seed", str(seed),
                          "--none-share", "0.1"], check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def grammar_for(system: str, catalog_dir: Path) -> str:
    intents = []
    for f in sorted(catalog_dir.glob("*.yaml")):
        inside = False
        for line in f.read_text().splitlines():
            if line.startswith("intents:"):
                inside = True
            elif inside and re.match(r"^  ([a-z_]+):\s*$", line):
                intents.append(re.match(r"^  ([a-z_]+):", line).group(1))
            elif line and not line.startswith(" ") and not line.startswith("#"):
                inside = line.startswith("intents:")
    devices = re.findall(r"^([a-z0-9_]+\.[a-z0-9_]+):", system, re.M)
    def ids(label: str) -> list[str]:
        line = next((l for l in system.splitlines() if l.startswith(label + ": ")), "")
        line = line[len(label) + 2:].split("<|im_end|>")[0]
        return [part.split(" ")[0] for part in line.split(" | ") if part]
    areas, scenes = ids("areas"), ids("scenes")
    domains = ["light", "switch", "cover", "lock", "climate", "fan", "media"]
    keys = ["brightness", "step", "color", "color_temp", "temperature", "position", "volume", "speed", "state"]
    alt = lambda xs: " | ".join(f'"{x}"' for x in xs)
    g = [
        'root ::= intent ( " " slot )*',
        f"intent ::= {alt(intents)}",
        'slot ::= "device=" dev | "area=" area | "domain=" dom' + (' | "scene=" scene' if scenes else "") + ' | key "=" val',
        f"dev ::= {alt(devices)}",
        f"area ::= {alt(areas)}",
        f"dom ::= {alt(domains)}",
        f"key ::= {alt(keys)}",
        'val ::= [0-9]+ ( "." [0-9] )? | [a-z_]+',
    ]
    if scenes:
        g.append(f"scene ::= {alt(scenes)}")
    return "\n".join(g) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hark", default=".build/release/hark")
    ap.add_argument("--config", default="deploy/hark.example.yaml")
    ap.add_argument("--commands", default="bench/commands.txt")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    model = os.environ.get("HARK_MODEL", "/usr/local/share/hark/models/SmolLM2-135M-Instruct.Q4_1.gguf")
    commands = [l for l in Path(args.commands).read_text().splitlines() if l.strip() and not l.startswith("#")]

    shots = export(args.hark, args.config, 8, 4242)
    system = shots[0]["prompt"].split("<|im_start|>user\n")[0]
    prefix = system
    for s in shots:
        user = s["prompt"].split("<|im_start|>user\n")[1].replace("<|im_end|>", "")
        prefix += f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n{s['completion'].replace('<|im_end|>', '')}<|im_end|>\n"
    grammar = LlamaGrammar.from_string(grammar_for(system, Path("Sources/Intents/Catalog")), verbose=False)
    llm = Llama(model_path=model, n_ctx=2048, n_batch=512, n_threads=args.threads, verbose=False)

    def anchor_round() -> list[float]:
        times = []
        for c in commands:
            prompt = prefix + f"<|im_start|>user\n{c}<|im_end|>\n<|im_start|>assistant\n"
            t0 = time.perf_counter()
            llm(prompt, max_tokens=32, temperature=0.0, grammar=grammar, stop=["<|im_end|>"])
            times.append((time.perf_counter() - t0) * 1000)
        return times

    def hark_round() -> float:
        out = subprocess.run([args.hark, "bench", "--config", args.config, "--threads", str(args.threads), "--repeats", "3", "--json"],
                             check=True, capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])["parse_ms_median"]

    anchor_round()  # warm: the shared prefix is in the cache from here on
    anchor, hark = [], []
    for r in range(args.rounds):
        a = anchor_round()
        h = hark_round()
        anchor += a
        hark.append(h)
        print(f"round {r + 1}: llama.cpp + GBNF + 8 shots median {statistics.median(a):.1f} ms; hark median {h:.1f} ms", flush=True)
    a, h = statistics.median(anchor), statistics.median(hark)
    print(f"llama.cpp + GBNF + 8-shot prompt: median {a:.1f} ms over {len(anchor)} commands ({len(commands)} x {args.rounds})")
    print(f"hark parse: median of round medians {h:.1f} ms; ratio anchor / hark = {a / h:.1f} "
          f"(issue 3: 782 ms / 30 ms = 26.1 needed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
