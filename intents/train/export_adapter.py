#!/usr/bin/env python3
"""Export a PEFT LoRA adapter of the Llama-architecture base as a llama.cpp LoRA GGUF that Hark's
GGUF reader loads:

- metadata: general.architecture = "llama", general.type = "adapter", adapter.type = "lora",
  adapter.lora.alpha (float32);
- tensors blk.{i}.{attn_q,attn_k,attn_v,attn_output,ffn_gate,ffn_up,ffn_down}.weight.lora_a with
  GGML shape ne = [in_features, r] (A, r x in) and ...lora_b with ne = [r, out_features] (B, out x r),
  F16, so that y = W x + (alpha / r) * B (A x).

llama.cpp's converter permutes the rows of attn_q and attn_k (its RoPE layout; transformers undoes
it when it loads a GGUF). The base GGUF's q/k rows are in llama.cpp order, so lora_b of q and k gets
the same row permutation (n_head for q, n_head_kv for k). `verify` checks this numerically against
the base GGUF: permute(HF weight) equals the GGUF's dequantized weight, and the merged GGUF-order
weight built from the exported A/B equals the permuted HF merged weight.

Usage (from a PEFT checkpoint written by train.py):
    python intents/train/export_adapter.py --model BASE.gguf --checkpoint OUT.ckpt --out OUT.gguf
"""
import argparse
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

NAMES = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}


def permute(weights, n_head, n_head_kv=None):
    """llama.cpp convert_hf_to_gguf.py's row permutation of q/k weights (HF order -> GGUF order)."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:]).swapaxes(1, 2).reshape(weights.shape)


def lora_tensors(model):
    """{(layer, gguf name): (A [r, in], B [out, r])} as float32 numpy, in HF row order."""
    import torch

    out = {}
    for name, module in model.named_modules():
        if not hasattr(module, "lora_A") or "default" not in getattr(module, "lora_A", {}):
            continue
        parts = name.split(".")
        layer = int(parts[parts.index("layers") + 1])
        key = ".".join(parts[parts.index("layers") + 2:])
        with torch.no_grad():
            a = module.lora_A["default"].weight.detach().float().cpu().numpy()
            b = module.lora_B["default"].weight.detach().float().cpu().numpy()
        out[(layer, NAMES[key])] = (a, b)
    return out


def export(model, path, rank, alpha, base_gguf=None, n_head=None, n_head_kv=None):
    """Writes the adapter GGUF (F16) and, given the base GGUF, verifies the q/k permutation."""
    import gguf

    config = model.config if hasattr(model, "config") else model.base_model.model.config
    n_head = n_head or config.num_attention_heads
    n_head_kv = n_head_kv or config.num_key_value_heads
    tensors = lora_tensors(model)
    if not tensors:
        raise SystemExit("no LoRA tensors in the model")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    writer = gguf.GGUFWriter(path, arch="llama")
    writer.add_type("adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", float(alpha))
    writer.add_name("hark-intents")
    exported = {}
    for (layer, name) in sorted(tensors):
        a, b = tensors[(layer, name)]
        if name == "attn_q":
            b = permute(b, n_head, n_head)
        elif name == "attn_k":
            b = permute(b, n_head, n_head_kv)
        base = f"blk.{layer}.{name}.weight"
        # numpy shape (r, in) is GGML ne = [in, r]; (out, r) is ne = [r, out].
        writer.add_tensor(base + ".lora_a", np.ascontiguousarray(a.astype(np.float16)))
        writer.add_tensor(base + ".lora_b", np.ascontiguousarray(b.astype(np.float16)))
        exported[(layer, name)] = (a, b)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    size = os.path.getsize(path)
    print(f"wrote {path}: {len(exported) * 2} tensors, rank {rank}, alpha {alpha}, {size / 1e6:.1f} MB", flush=True)
    if base_gguf:
        verify(model, path, base_gguf, n_head, n_head_kv, alpha)
    return path


def verify(model, adapter_path, base_gguf, n_head, n_head_kv, alpha, layers=(0, 15, 29)):
    """Numerical checks of the exported layout against the base GGUF and the PyTorch model."""
    import gguf
    import torch

    base = gguf.GGUFReader(base_gguf)
    adapter = gguf.GGUFReader(adapter_path)
    base_t = {t.name: t for t in base.tensors}
    ad = {t.name: t for t in adapter.tensors}
    fields = {f.name: f for f in adapter.fields.values()}
    assert bytes(fields["general.type"].parts[-1]).decode() == "adapter"
    assert bytes(fields["adapter.type"].parts[-1]).decode() == "lora"
    assert abs(float(fields["adapter.lora.alpha"].parts[-1][0]) - alpha) < 1e-6
    hf = dict(model.named_modules())
    rng = np.random.default_rng(0)
    for layer in layers:
        for hf_name, name in NAMES.items():
            key = f"blk.{layer}.{name}.weight"
            ta, tb = ad[key + ".lora_a"], ad[key + ".lora_b"]
            a = np.array(ta.data, dtype=np.float32)
            b = np.array(tb.data, dtype=np.float32)
            r = a.shape[0]
            assert [int(x) for x in ta.shape] == [a.shape[1], r], (key, ta.shape)  # ne = [in, r]
            assert [int(x) for x in tb.shape] == [r, b.shape[0]], (key, tb.shape)  # ne = [r, out]
            module = [m for n, m in hf.items() if n.endswith(f"layers.{layer}.{hf_name}")][0]
            w_hf = module.base_layer.weight.detach().float().cpu().numpy()
            bt = base_t[key]
            w_gguf = gguf.dequantize(bt.data, bt.tensor_type).reshape(w_hf.shape).astype(np.float32)
            heads = (n_head, n_head) if name == "attn_q" else (n_head, n_head_kv) if name == "attn_k" else None
            w_hf_gguf_order = permute(w_hf, *heads) if heads else w_hf
            err = np.abs(w_hf_gguf_order - w_gguf).max()
            assert err < 1e-4, f"{key}: HF weight in GGUF order differs from the base GGUF by {err}"
            scale = module.scaling["default"]
            a_t = module.lora_A["default"].weight.detach().float().cpu().numpy()
            b_t = module.lora_B["default"].weight.detach().float().cpu().numpy()
            merged_hf = w_hf + scale * (b_t @ a_t)
            want = permute(merged_hf, *heads) if heads else merged_hf
            got = w_gguf + (alpha / r) * (b @ a)
            x = rng.standard_normal(w_hf.shape[1]).astype(np.float32)
            # Compare outputs for a random input (and the weights), relative to the delta's size (F16 storage).
            delta = np.abs(scale * (b_t @ a_t)).max() + 1e-12
            err_w = np.abs(want - got).max() / delta
            err_y = np.abs(want @ x - got @ x).max() / (np.abs((scale * (b_t @ a_t)) @ x).max() + 1e-12)
            assert err_w < 2e-2 and err_y < 2e-2, f"{key}: merged weight mismatch ({err_w}, {err_y})"
    # With torch too: the model's own forward of one projection equals W x + s B A x in HF order.
    # The model may be on a GPU (train.py exports right after training there): the input goes to it.
    module = [m for n, m in hf.items() if n.endswith(f"layers.{layers[0]}.self_attn.q_proj")][0]
    x = torch.randn(1, module.base_layer.in_features)
    with torch.no_grad():
        y = module(x.to(module.base_layer.weight.device)).float().cpu().numpy()[0]
        w = module.base_layer.weight.float().cpu().numpy()
        a_t = module.lora_A["default"].weight.float().cpu().numpy()
        b_t = module.lora_B["default"].weight.float().cpu().numpy()
        y2 = w @ x.numpy()[0] + module.scaling["default"] * (b_t @ (a_t @ x.numpy()[0]))
    assert np.abs(y - y2).max() < 1e-3 * (np.abs(y).max() + 1)
    print(f"verified {adapter_path} against {base_gguf}: q/k permutation (n_head {n_head}, n_head_kv {n_head_kv}), "
          f"shapes and merged weights of layers {list(layers)}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="base model GGUF")
    ap.add_argument("--checkpoint", required=True, help="PEFT checkpoint directory (train.py's OUT.ckpt)")
    ap.add_argument("--out", required=True, help="adapter GGUF to write")
    args = ap.parse_args()
    import json

    import torch
    from peft import PeftModel

    from train import load_base

    torch.set_num_threads(2)
    model, _ = load_base(args.model)
    model = PeftModel.from_pretrained(model, args.checkpoint)
    with open(os.path.join(args.checkpoint, "adapter_config.json")) as f:
        cfg = json.load(f)
    export(model, args.out, cfg["r"], cfg["lora_alpha"], base_gguf=args.model)


if __name__ == "__main__":
    main()
