#!/usr/bin/env python3
"""Generate the reference fixtures that Hark's Inference tests compare against.

Regenerate (from the repository root; the model is the one deploy/setup.sh installs):

    python3 -m venv ~/.cache/hark/refenv
    ~/.cache/hark/refenv/bin/pip install 'torch==2.13.0+cpu' -r tools/reference/requirements.txt
    HF_HUB_OFFLINE=1 OMP_WAIT_POLICY=PASSIVE ~/.cache/hark/refenv/bin/python \
        tools/reference/generate_reference.py \
        --model /usr/local/share/hark/models/SmolLM2-135M-Instruct.Q4_1.gguf

(`--only logits,dequant,kernels` regenerates a subset; `--out DIR` writes elsewhere.)
It takes about a minute on 2 cores and writes into Tests/InferenceTests/Fixtures/:

  logits_reference.json   transformers (GGUF dequantised to float32) logits for three prompts,
                          per position: top-1, top-10, 32 probe-token logits, logsumexp, mean, std;
                          plus 16 greedy tokens per prompt.
  dequant_reference.json  gguf-py dequantisation of selected rows, every tensor's name/type/shape,
                          and the scalar metadata of the model file (a GGUF reader test).
  kernels.gguf            a tiny synthetic GGUF: an 8x256 matrix in F32, F16, Q8_0 and Q4_1, and x.
  kernels_reference.json  exact (float64) row dot products of each dequantised matrix with x.

Notes on what transformers does with this GGUF (verified by this script, see `checks` in the JSON):
  * No BOS is added: the GGUF says tokenizer.ggml.add_bos_token = false, and its bos_token_id (1)
    is `<|im_start|>`; eos/pad (2) is `<|im_end|>`. Token ids are tokenizer(text,
    add_special_tokens=False) and we assert that equals the default call.
  * llama.cpp's converter permutes the rows of attn_q / attn_k per head so that RoPE rotates
    adjacent pairs (x[2i], x[2i+1]) ("normal" GGML rope); transformers undoes that permutation on
    load and uses rotate_half (pairs (x[i], x[i+32])). An engine that reads the GGUF directly must
    therefore use adjacent-pair RoPE. The script asserts the permutation on blk.0.attn_q/attn_k.
  * The output head is tied: lm_head is token_embd (Q8_0), dequantised to float32.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "Tests" / "InferenceTests" / "Fixtures"
MODEL_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

PROMPTS = [
    {
        "name": "chat",
        "text": "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\nTurn off the kitchen light<|im_end|>\n<|im_start|>assistant\n",
    },
    {
        "name": "english",
        "text": "The old lighthouse stood at the edge of the cliff, its white paint peeling after "
        "decades of salt and wind. Every evening the keeper climbed the spiral stairs to light "
        "the lamp, and ships far out at sea",
    },
    {
        "name": "smarthome_json",
        "text": '{"intent":"set_brightness","slots":{"device":"bedroom.lamp","brightness":30},'
        '"devices":["bedroom.lamp"],"confidence":0.97,"ms":{"asr":41,"parse":23},"temp":21.5}',
    },
]

# 32 probe token ids spread over the vocabulary (0..49151): the three specials, then 29 ids
# evenly spaced from 3 to 49151. Same list for every position.
PROBE_IDS = [0, 1, 2] + [int(round(v)) for v in np.linspace(3, 49151, 29)]
GREEDY_NEW_TOKENS = 16
TOPK = 10


def f32(x) -> float:
    """Shortest decimal that round-trips the float32 value, as a Python float."""
    return float(np.format_float_positional(np.float32(x), unique=True, trim="-"))


def rnd(x, nd=5) -> float:
    return round(float(x), nd)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_json(path: Path, obj) -> None:
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"), ensure_ascii=False)
        f.write("\n")
    print(f"wrote {path} ({path.stat().st_size} bytes)")


# --------------------------------------------------------------------------------------------
# logits_reference.json
# --------------------------------------------------------------------------------------------

def row_record(row) -> dict:
    """row: torch float32 tensor [vocab]."""
    import torch

    r64 = row.double()
    top = torch.topk(row, TOPK)
    return {
        "top1": int(top.indices[0]),
        "top10": [[int(i), rnd(v)] for v, i in zip(top.values.tolist(), top.indices.tolist())],
        "probe_logits": [rnd(row[i]) for i in PROBE_IDS],
        "logsumexp": rnd(torch.logsumexp(r64, 0), 6),
        "mean": rnd(r64.mean(), 6),
        "std": rnd(r64.std(unbiased=False), 6),
    }


def gen_logits(model_path: Path, out: Path, sha: str) -> None:
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    d, name = str(model_path.parent), model_path.name
    tok = AutoTokenizer.from_pretrained(d, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=name, dtype=torch.float32)
    model.eval()

    checks = {
        "add_bos_token": bool(getattr(tok, "add_bos_token", False)),
        "bos_token": tok.bos_token,
        "bos_token_id": tok.bos_token_id,
        "eos_token": tok.eos_token,
        "eos_token_id": tok.eos_token_id,
        "lm_head_tied_to_embed_tokens": model.lm_head.weight.data_ptr()
        == model.model.embed_tokens.weight.data_ptr(),
    }

    # Q/K permutation check against the raw GGUF rows.
    import gguf

    reader = gguf.GGUFReader(str(model_path))
    tensors = {t.name: t for t in reader.tensors}
    n_head, n_kv = model.config.num_attention_heads, model.config.num_key_value_heads

    def unpermute(w, heads):
        # inverse of llama.cpp convert_hf_to_gguf's permute(): gguf row h*hd + 2i + j == hf row
        # h*hd + j*hd/2 + i
        rows, cols = w.shape
        return w.reshape(heads, rows // heads // 2, 2, cols).swapaxes(1, 2).reshape(rows, cols)

    for gname, hf_w, heads in [
        ("blk.0.attn_q.weight", model.model.layers[0].self_attn.q_proj.weight, n_head),
        ("blk.0.attn_k.weight", model.model.layers[0].self_attn.k_proj.weight, n_kv),
    ]:
        t = tensors[gname]
        g = gguf.quants.dequantize(t.data, t.tensor_type)
        hf = hf_w.detach().numpy()
        same_plain = bool(np.array_equal(g, hf))
        same_unperm = bool(np.array_equal(unpermute(g, heads), hf))
        assert same_unperm and not same_plain, f"unexpected Q/K layout for {gname}"
        checks[f"{gname}_rows_permuted_for_adjacent_pair_rope"] = True

    prompts_out = []
    for p in PROMPTS:
        ids = tok(p["text"], add_special_tokens=False).input_ids
        ids_default = tok(p["text"]).input_ids
        assert ids == ids_default, "tokenizer adds special tokens by default; update the fixture notes"
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0].float()
        positions = [row_record(logits[i]) for i in range(len(ids))]

        # Greedy continuation, exactly GREEDY_NEW_TOKENS tokens (no stop on EOS), recomputing the
        # whole sequence each step (no cache) so that it is the plain model function.
        seq = list(ids)
        greedy, margins = [], []
        with torch.no_grad():
            for _ in range(GREEDY_NEW_TOKENS):
                row = model(torch.tensor([seq])).logits[0, -1].float()
                top2 = torch.topk(row, 2)
                nxt = int(top2.indices[0])
                greedy.append(nxt)
                margins.append(rnd(top2.values[0] - top2.values[1]))
                seq.append(nxt)
        prompts_out.append(
            {
                "name": p["name"],
                "text": p["text"],
                "token_ids": ids,
                "tokens": tok.convert_ids_to_tokens(ids),
                "positions": positions,
                "greedy_token_ids": greedy,
                "greedy_text": tok.decode(greedy),
                "greedy_top1_minus_top2": margins,
            }
        )
        print(f"  {p['name']}: {len(ids)} tokens, greedy -> {tok.decode(greedy)!r}")

    obj = {
        "description": "transformers reference logits for SmolLM2-135M-Instruct Q4_1 GGUF, "
        "dequantised to float32 by transformers. Generated by tools/reference/generate_reference.py.",
        "model_file": model_path.name,
        "model_sha256": sha,
        "generator": {
            "transformers": transformers.__version__,
            "torch": torch.__version__,
            "gguf": getattr(gguf, "__version__", None) or _dist_version("gguf"),
            "numpy": np.__version__,
            "python": platform.python_version(),
            "dtype": "float32",
        },
        "tokenization": {
            "bos_added": False,
            "note": "token_ids are exactly the tokenizer output; no BOS is prepended "
            "(tokenizer.ggml.add_bos_token=false; bos id 1 is <|im_start|>). Special tokens in "
            "the text such as <|im_start|> are matched as single tokens.",
        },
        "checks": checks,
        "probe_token_ids": PROBE_IDS,
        "fields": {
            "top10": "[token id, logit] pairs, descending",
            "probe_logits": "logits of probe_token_ids, same order",
            "logsumexp": "float64 logsumexp over the full 49152-wide row",
            "mean": "float64 mean of the row",
            "std": "float64 population standard deviation (ddof=0) of the row",
            "rounding": "logits rounded to 5 decimals, row statistics to 6",
            "greedy": "argmax of the last row, appended, repeated 16 times without stopping at EOS; "
            "greedy_top1_minus_top2 is each step's margin (small margins may flip under quantised kernels)",
        },
        "prompts": prompts_out,
    }
    write_json(out / "logits_reference.json", obj)


def _dist_version(name: str):
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:
        return None


# --------------------------------------------------------------------------------------------
# dequant_reference.json
# --------------------------------------------------------------------------------------------

def _field_value(field):
    import gguf

    t0 = field.types[0]
    if t0 == gguf.GGUFValueType.ARRAY:
        return None
    v = field.contents()
    if t0 == gguf.GGUFValueType.FLOAT32:
        return f32(v)
    if isinstance(v, (np.generic,)):
        v = v.item()
    return v


def gen_dequant(model_path: Path, out: Path, sha: str) -> None:
    import gguf
    from gguf.quants import dequantize

    reader = gguf.GGUFReader(str(model_path))
    tensors = {t.name: t for t in reader.tensors}

    metadata, arrays = [], []
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        t0 = field.types[0]
        if t0 == gguf.GGUFValueType.ARRAY:
            sub = field.types[-1]
            n = len(field.data)
            entry = {"key": key, "element_type": sub.name, "count": n}
            k = min(n, 8)
            head = [field.contents(i) for i in range(k)]
            tail = field.contents(n - 1) if n else None
            if sub == gguf.GGUFValueType.FLOAT32:
                head = [f32(v) for v in head]
                tail = f32(tail) if tail is not None else None
            else:
                head = [v.item() if isinstance(v, np.generic) else v for v in head]
                tail = tail.item() if isinstance(tail, np.generic) else tail
            entry["first"] = head
            entry["last"] = tail
            arrays.append(entry)
        else:
            metadata.append({"key": key, "type": t0.name, "value": _field_value(field)})

    tensor_list = [
        {
            "name": t.name,
            "type": t.tensor_type.name,
            "type_id": int(t.tensor_type),
            "ne": [int(x) for x in t.shape],
            "n_bytes": int(t.n_bytes),
            "file_offset": int(t.data_offset),
        }
        for t in reader.tensors
    ]

    def rows_of(name, row_ids, n_first):
        t = tensors[name]
        out_rows = []
        for r in row_ids:
            raw = t.data[r : r + 1] if t.data.ndim > 1 else t.data
            vals = dequantize(raw, t.tensor_type).reshape(-1).astype(np.float32)
            assert vals.shape[0] == int(t.shape[0])
            v64 = vals.astype(np.float64)
            out_rows.append(
                {
                    "row": r,
                    "length": int(vals.shape[0]),
                    "first": [f32(v) for v in vals[:n_first]],
                    "sum": float(v64.sum()),
                    "sum_of_squares": float((v64 * v64).sum()),
                }
            )
        return {
            "name": name,
            "type": t.tensor_type.name,
            "ne": [int(x) for x in t.shape],
            "rows": out_rows,
        }

    obj = {
        "description": "gguf-py dequantisation reference for SmolLM2-135M-Instruct.Q4_1.gguf. "
        "Rows are GGUF rows (ne[0] contiguous values), as stored in the file (attn_q/attn_k rows "
        "are in llama.cpp's permuted order). sum/sum_of_squares are float64 over the full row of "
        "float32 values; 'first' values are exact float32 values.",
        "model_file": model_path.name,
        "model_sha256": sha,
        "gguf_version": int(reader.fields["GGUF.version"].contents()),
        "tensor_count": len(reader.tensors),
        "alignment": int(reader.alignment),
        "data_offset": int(reader.data_offset),
        "tensor_offsets_note": "file_offset is the absolute byte offset in the file (data_offset + relative offset)",
        "dequant": [
            rows_of("blk.0.attn_q.weight", [0, 7], 64),
            rows_of("token_embd.weight", [0, 1000, 49151], 64),
            rows_of("blk.0.attn_norm.weight", [0], 64),
        ],
        "tensors": tensor_list,
        "metadata": metadata,
        "arrays": arrays,
    }
    write_json(out / "dequant_reference.json", obj)


# --------------------------------------------------------------------------------------------
# kernels.gguf + kernels_reference.json
# --------------------------------------------------------------------------------------------

def gen_kernels(out: Path) -> None:
    import gguf
    from gguf import GGMLQuantizationType as Q
    from gguf.quants import dequantize, quantize

    rows, cols, seed = 8, 256, 20240611
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((rows, cols)).astype(np.float32)
    # Give rows different scales and offsets so Q4_1's min term and per-block scales matter.
    base *= (0.02 * (1 + np.arange(rows, dtype=np.float32)))[:, None]
    base += (0.01 * (np.arange(rows, dtype=np.float32) - 3))[:, None]
    x = rng.standard_normal(cols).astype(np.float32)

    path = out / "kernels.gguf"
    w = gguf.GGUFWriter(str(path), arch="hark-test")
    # A few metadata values of assorted types for a GGUF reader test.
    w.add_uint32("hark.test.uint32", 123456)
    w.add_int32("hark.test.int32", -42)
    w.add_float32("hark.test.float32", 0.15625)
    w.add_bool("hark.test.bool", True)
    w.add_string("hark.test.string", "héllo, GGUF")
    w.add_array("hark.test.array_int32", [1, -2, 3])
    w.add_array("hark.test.array_string", ["a", "bc", ""])

    types = [("F32", Q.F32), ("F16", Q.F16), ("Q8_0", Q.Q8_0), ("Q4_1", Q.Q4_1)]
    deq = {}
    for tname, qt in types:
        if qt == Q.F32:
            data = base.copy()
            w.add_tensor(f"w_{tname.lower()}", data)
        elif qt == Q.F16:
            data = base.astype(np.float16)
            w.add_tensor(f"w_{tname.lower()}", data)
        else:
            data = quantize(base, qt)
            w.add_tensor(f"w_{tname.lower()}", data, raw_dtype=qt)
        deq[tname] = dequantize(data, qt).astype(np.float32).reshape(rows, cols)
    w.add_tensor("x", x)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    size = path.stat().st_size
    assert size < 64 * 1024, size
    print(f"wrote {path} ({size} bytes)")

    # Read back: check the file round-trips through GGUFReader.
    r = gguf.GGUFReader(str(path))
    rt = {t.name: t for t in r.tensors}
    for tname, qt in types:
        t = rt[f"w_{tname.lower()}"]
        assert t.tensor_type == qt and [int(v) for v in t.shape] == [cols, rows]
        back = dequantize(t.data, qt).astype(np.float32).reshape(rows, cols)
        assert np.array_equal(back, deq[tname]), tname

    xq = dequantize(quantize(x, Q.Q8_0), Q.Q8_0).astype(np.float64)
    x64 = x.astype(np.float64)
    matrices = []
    for tname, qt in types:
        m = deq[tname].astype(np.float64)
        matrices.append(
            {
                "tensor": f"w_{tname.lower()}",
                "type": tname,
                "ne": [cols, rows],
                "dot": [float(v) for v in m @ x64],
                "dot_x_q8_0": [float(v) for v in m @ xq],
                "first16": [[f32(v) for v in m[i, :16]] for i in range(rows)],
                "row_sum": [float(v) for v in m.sum(axis=1)],
            }
        )
    obj = {
        "description": "Kernel reference for kernels.gguf. 'dot' is the float64 dot product of each "
        "dequantised row (exact float32 values) with x; 'dot_x_q8_0' uses x quantised to Q8_0 "
        "(blocks of 32, fp16 scale = amax/127) and dequantised, as llama.cpp-style integer kernels do. "
        "first16 are the first 16 dequantised values of each row.",
        "seed": seed,
        "rows": rows,
        "cols": cols,
        "x": [f32(v) for v in x],
        "x_sum": float(x64.sum()),
        "metadata": [
            {"key": "general.architecture", "type": "STRING", "value": "hark-test"},
            {"key": "hark.test.uint32", "type": "UINT32", "value": 123456},
            {"key": "hark.test.int32", "type": "INT32", "value": -42},
            {"key": "hark.test.float32", "type": "FLOAT32", "value": 0.15625},
            {"key": "hark.test.bool", "type": "BOOL", "value": True},
            {"key": "hark.test.string", "type": "STRING", "value": "héllo, GGUF"},
            {"key": "hark.test.array_int32", "type": "ARRAY", "element_type": "INT32", "value": [1, -2, 3]},
            {"key": "hark.test.array_string", "type": "ARRAY", "element_type": "STRING", "value": ["a", "bc", ""]},
        ],
        "tensors": [
            {
                "name": t.name,
                "type": t.tensor_type.name,
                "ne": [int(v) for v in t.shape],
                "n_bytes": int(t.n_bytes),
                "file_offset": int(t.data_offset),
            }
            for t in r.tensors
        ],
        "matrices": matrices,
    }
    # check the metadata we claim is what the reader sees
    for m in obj["metadata"]:
        f = r.fields[m["key"]]
        if m["type"] == "ARRAY":
            got = [f.contents(i) for i in range(len(f.data))]
            got = [g.item() if isinstance(g, np.generic) else g for g in got]
        else:
            got = f.contents()
            got = got.item() if isinstance(got, np.generic) else got
        assert got == m["value"], (m, got)
    write_json(out / "kernels_reference.json", obj)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, required=True, help="path to SmolLM2-135M-Instruct.Q4_1.gguf")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--only", default="logits,dequant,kernels")
    ap.add_argument("--allow-other-model", action="store_true", help="skip the sha256 check")
    args = ap.parse_args()

    parts = {p.strip() for p in args.only.split(",") if p.strip()}
    args.out.mkdir(parents=True, exist_ok=True)
    sha = None
    if parts & {"logits", "dequant"}:
        sha = sha256_of(args.model)
        if sha != MODEL_SHA256 and not args.allow_other_model:
            print(f"error: {args.model} has sha256 {sha}, expected {MODEL_SHA256}", file=sys.stderr)
            return 1
    t0 = time.time()
    if "kernels" in parts:
        gen_kernels(args.out)
    if "dequant" in parts:
        gen_dequant(args.model, args.out, sha)
    if "logits" in parts:
        gen_logits(args.model, args.out, sha)
    print(f"done in {time.time() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
