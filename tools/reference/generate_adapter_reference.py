#!/usr/bin/env python3
"""Reference greedy outputs of the base model with Hark's intent adapter, for
Tests/InferenceTests/LoRAAdapterTests (the engine must produce the same tokens).

The adapter is read from the committed GGUF (llama.cpp LoRA convention), un-permuted back to
Hugging Face's q/k row order, and merged in float32 into the weights transformers dequantized
from the base GGUF, so the reference depends on neither PEFT nor Hark's code.

Regenerate (after training a new adapter):
    .build/release/hark export-training-data --config deploy/hark.example.yaml --count 50 --seed 77 --out /tmp/adapter-prompts.jsonl
    HF_HUB_OFFLINE=1 OMP_WAIT_POLICY=PASSIVE ~/.cache/hark/refenv/bin/python tools/reference/generate_adapter_reference.py \
        --model /usr/local/share/hark/models/SmolLM2-135M-Instruct.Q4_1.gguf \
        --adapter intents/adapter/hark-intents.lora.gguf --prompts /tmp/adapter-prompts.jsonl \
        --out Tests/InferenceTests/Fixtures/adapter_reference.json
"""
import argparse, hashlib, json, os
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import numpy as np
import torch
from gguf import GGUFReader
from transformers import AutoModelForCausalLM, AutoTokenizer

TARGETS = {"attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
           "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj"}

def unpermute(rows, n_head):
    """Inverse of llama.cpp's q/k permutation (convert_hf_to_gguf.py `permute`)."""
    return rows.reshape(n_head, rows.shape[0] // n_head // 2, 2, *rows.shape[1:]).swapaxes(1, 2).reshape(rows.shape)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--prompts", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-new-tokens", type=int, default=16)
    args = ap.parse_args()
    torch.set_num_threads(2)
    directory, name = os.path.split(os.path.abspath(args.model))
    tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, torch_dtype=torch.float32).eval()
    config = model.config

    reader = GGUFReader(args.adapter)
    alpha = float(reader.fields["adapter.lora.alpha"].parts[-1][0])
    tensors = {t.name: np.array(t.data, dtype=np.float32) for t in reader.tensors}
    merged = 0
    with torch.no_grad():
        for layer in range(config.num_hidden_layers):
            for gguf_name, hf_name in TARGETS.items():
                key = f"blk.{layer}.{gguf_name}.weight"
                if key + ".lora_a" not in tensors:
                    continue
                a = tensors[key + ".lora_a"]            # (r, in)
                b = tensors[key + ".lora_b"]            # (out, r), GGUF row order
                if gguf_name == "attn_q":
                    b = unpermute(b, config.num_attention_heads)
                elif gguf_name == "attn_k":
                    b = unpermute(b, config.num_key_value_heads)
                delta = (alpha / a.shape[0]) * (b @ a)
                module = model.model.layers[layer].get_submodule(hf_name)
                module.weight += torch.from_numpy(delta)
                merged += 1
    print(f"merged {merged} adapted matrices (alpha {alpha})")

    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    cases = []
    with open(args.prompts) as f:
        prompts = [json.loads(line)["prompt"] for line in f if line.strip()]
    for prompt in prompts:
        ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False).input_ids
        with torch.no_grad():
            out = model.generate(ids, max_new_tokens=args.max_new_tokens, do_sample=False, eos_token_id=end, pad_token_id=end)
        new = out[0][ids.shape[1]:].tolist()
        if end in new:
            new = new[:new.index(end)]
        cases.append({"prompt_ids": ids[0].tolist(), "output_ids": new, "output_text": tokenizer.decode(new)})
        print(repr(cases[-1]["output_text"]))
    sha = hashlib.sha256(open(args.adapter, "rb").read()).hexdigest()
    json.dump({"adapter_sha256": sha, "max_new_tokens": args.max_new_tokens, "cases": cases}, open(args.out, "w"))
    print(f"wrote {len(cases)} cases to {args.out}")

if __name__ == "__main__":
    main()
