#!/usr/bin/env python3
"""Benchmark Hark against llama.cpp on the same GGUF, in the same run.

    python3 bench/compare_llamacpp.py [--model PATH] [--threads 1,2] [--repeats 3] [--json OUT]

(or bench/compare-llamacpp.sh, which builds `hark` in release mode first).

For each thread count it alternates a Hark run (`$HARK_BIN bench --model PATH --threads N --json`,
HARK_BIN defaults to .build/release/hark) with a llama.cpp run (a subprocess of
llama-cpp-python's venv, OMP_WAIT_POLICY=passive), repeats that --repeats times, and prints the
median of each figure with its min-max spread (the noise), and the ratio Hark / llama.cpp.

llama.cpp is PyPI llama-cpp-python==0.3.36, installed on demand into a venv outside the
repository: ${HARK_LLAMA_VENV:-~/.cache/hark/llamaenv}. The first install compiles llama.cpp for
the host CPU (CMAKE_ARGS=-DGGML_NATIVE=ON), which takes about 20 minutes on 2 cores.

What the figures are. Each engine runs in a fresh process per repeat: load, one untimed warm-up
pass, then --inner-repeats (default 5) timed passes whose median it reports; the table shows the
median over the --repeats processes and their min-max. For llama.cpp:
  load_ms               Llama(model, n_ctx=256, n_batch=64, n_threads=N) construction (mmap, context)
  prefill_tokens_per_s  64 prompt tokens / wall time of one eval() of them (one batch); the KV cache
                        is cleared before each pass (prefill_cold_tokens_per_s: the warm-up pass)
  decode_tokens_per_s   32 greedy tokens / wall time of 32 single-token eval()s, each followed by
                        an argmax over the last logits row (from llama_get_logits_ith)
  peak_rss_mb           the process's ru_maxrss (MiB), Python interpreter included
                        (python_baseline_rss_mb: RSS with numpy loaded, before llama_cpp)
Hark's are `hark bench --json --repeats 5` (same protocol, see Sources/hark/Bench.swift).
Tokenization is never inside a timed region: both sides are given token ids. The 64 prompt token
ids come from `hark bench --print-prompt-ids` when the binary supports it (a JSON array or
whitespace-separated integers on stdout), else from llama.cpp's tokenizer on FALLBACK_TEXT
(first 64 tokens, no BOS: SmolLM2's GGUF says add_bos_token=false).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

LLAMA_CPP_VERSION = "0.3.36"
REPO_ROOT = Path(__file__).resolve().parents[1]
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
PROMPT_TOKENS = 64
DECODE_TOKENS = 32
FALLBACK_TEXT = (
    "<|im_start|>system\nYou control the lights, switches, covers, locks, fans, thermostats and "
    "media players of this home. Devices: kitchen.ceiling (light, kitchen), kitchen.counter "
    "(light, kitchen), living.lamp (light, living room), bedroom.lamp (light, bedroom), "
    "hall.thermostat (climate, hall), garage.door (cover, garage), front.lock (lock, hall). "
    "Answer with one action.<|im_end|>\n<|im_start|>user\nDim the bedroom lamp to thirty percent "
    "and then turn off every light in the kitchen please<|im_end|>\n<|im_start|>assistant\n"
)

METRICS = [
    # key, label, unit, higher_is_better
    ("load_ms", "load", "ms", False),
    ("prefill_tokens_per_s", "prefill", "tok/s", True),
    ("decode_tokens_per_s", "decode", "tok/s", True),
    ("peak_rss_mb", "peak RSS", "MB", False),
]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# llama.cpp worker: runs inside the llama-cpp-python venv (`python compare_llamacpp.py --worker`)
# ---------------------------------------------------------------------------------------------

def worker(args: argparse.Namespace) -> int:
    import ctypes
    import resource

    import numpy as np

    def rss_mb() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1 << 20)

    baseline_rss = rss_mb()
    import llama_cpp
    from llama_cpp import Llama

    if args.tokenize is not None:
        vocab = Llama(model_path=args.model, vocab_only=True, verbose=False)
        ids = vocab.tokenize(args.tokenize.encode("utf-8"), add_bos=False, special=True)
        print(json.dumps({"token_ids": ids}))
        return 0

    n = args.threads
    t0 = time.perf_counter()
    llm = Llama(
        model_path=args.model,
        n_ctx=256,
        n_batch=64,
        n_ubatch=64,
        n_threads=n,
        n_threads_batch=n,
        logits_all=False,
        verbose=False,
    )
    load_ms = (time.perf_counter() - t0) * 1000.0
    n_vocab = llm.n_vocab()

    prompt = json.loads(args.prompt_ids)

    def last_logits():
        ptr = llm._ctx.get_logits_ith(-1)
        return np.ctypeslib.as_array(ctypes.cast(ptr, ctypes.POINTER(ctypes.c_float)), shape=(n_vocab,))

    def run_once(n_decode: int):
        llm.reset()  # n_tokens = 0; eval() removes the old cache entries from there on
        t_p0 = time.perf_counter()
        llm.eval(prompt)
        t_p1 = time.perf_counter()
        tok = int(np.argmax(last_logits()))
        out = [tok]
        t_d0 = time.perf_counter()
        for _ in range(n_decode):
            llm.eval([tok])
            tok = int(np.argmax(last_logits()))
            out.append(tok)
        t_d1 = time.perf_counter()
        return t_p1 - t_p0, t_d1 - t_d0, out

    cold_prefill_s, _, _ = run_once(4)  # warm-up: first touch of the mmap'd weights, allocations
    prefill_times, decode_times = [], []
    for _ in range(max(1, args.inner_repeats)):  # like `hark bench --repeats`: median in-process
        p_s, d_s, generated = run_once(args.decode_tokens)
        prefill_times.append(p_s)
        decode_times.append(d_s)
    prefill_s, decode_s = statistics.median(prefill_times), statistics.median(decode_times)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "engine": "llama.cpp",
                "llama_cpp_python": llama_cpp.__version__,
                "threads": n,
                "load_ms": load_ms,
                "prefill_tokens_per_s": len(prompt) / prefill_s,
                "prefill_cold_tokens_per_s": len(prompt) / cold_prefill_s,
                "decode_tokens_per_s": args.decode_tokens / decode_s,
                "peak_rss_mb": peak_kb / 1024.0,
                "python_baseline_rss_mb": baseline_rss,
                "prefill_tokens_per_s_min": len(prompt) / max(prefill_times),
                "prefill_tokens_per_s_max": len(prompt) / min(prefill_times),
                "decode_tokens_per_s_min": args.decode_tokens / max(decode_times),
                "decode_tokens_per_s_max": args.decode_tokens / min(decode_times),
                "repeats": len(prefill_times),
                "prompt_tokens": len(prompt),
                "decode_tokens": args.decode_tokens,
                "generated_token_ids": generated,
                "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
            }
        )
    )
    return 0


# ---------------------------------------------------------------------------------------------
# orchestration (any python3, standard library only)
# ---------------------------------------------------------------------------------------------

def default_model() -> Path | None:
    env = os.environ.get("HARK_MODEL")
    xdg = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    for c in [env, f"{xdg}/hark/models/{MODEL_FILE}", f"/usr/local/share/hark/models/{MODEL_FILE}",
              f"/usr/share/hark/models/{MODEL_FILE}"]:
        if c and Path(c).is_file():
            return Path(c)
    return None


def ensure_llama_venv(venv: Path) -> Path:
    py = venv / "bin" / "python"
    check = [str(py), "-c", f"import llama_cpp,sys; sys.exit(llama_cpp.__version__ != '{LLAMA_CPP_VERSION}')"]
    if py.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return py
    log(f"llama-cpp-python {LLAMA_CPP_VERSION} is not installed in {venv}.")
    log("Installing it now: this compiles llama.cpp for this CPU and takes about 20 minutes on 2 cores.")
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = dict(os.environ)
    env["CMAKE_ARGS"] = env.get("CMAKE_ARGS", "-DGGML_NATIVE=ON")
    env.setdefault("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
    t0 = time.time()
    subprocess.run([str(py), "-m", "pip", "install", "--upgrade", "pip"], check=True, env=env)
    subprocess.run(
        [str(py), "-m", "pip", "install", "--no-cache-dir", "numpy", f"llama-cpp-python=={LLAMA_CPP_VERSION}"],
        check=True,
        env=env,
    )
    log(f"llama-cpp-python installed in {time.time() - t0:.0f} s")
    if subprocess.run(check, capture_output=True).returncode != 0:
        raise SystemExit(f"error: {py} still cannot import llama_cpp {LLAMA_CPP_VERSION}")
    return py


def run_json(cmd: list[str], env: dict | None = None, timeout: float = 900) -> dict:
    """Run cmd, return the last JSON object line of its stdout."""
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(
            f"{shlex.join(cmd)} exited with {p.returncode}\n--- stderr ---\n{p.stderr[-4000:]}"
            f"\n--- stdout ---\n{p.stdout[-2000:]}"
        )
    text = p.stdout.strip()
    try:
        obj = json.loads(text)
        if isinstance(obj, dict):
            return obj
    except json.JSONDecodeError:
        pass
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    raise RuntimeError(f"{shlex.join(cmd)} printed no JSON object:\n{p.stdout[-2000:]}")


def hark_prompt_ids(hark_bin: Path, model: Path) -> list[int] | None:
    try:
        p = subprocess.run([str(hark_bin), "bench", "--model", str(model), "--print-prompt-ids"], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if p.returncode != 0:
        return None
    out = p.stdout.strip()
    try:
        ids = json.loads(out)
        if isinstance(ids, dict):
            ids = ids.get("prompt_ids") or ids.get("token_ids")
    except json.JSONDecodeError:
        try:
            ids = [int(t) for t in out.replace(",", " ").split()]
        except ValueError:
            return None
    if isinstance(ids, list) and ids and all(isinstance(i, int) for i in ids):
        return ids
    return None


def summarize(values: list[float]) -> dict:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
        "values": values,
    }


def fmt(v: float) -> str:
    if v >= 1000:
        return f"{v:.0f}"
    if v >= 100:
        return f"{v:.1f}"
    return f"{v:.2f}" if v < 10 else f"{v:.1f}"


def cell(s: dict | None) -> str:
    if not s:
        return "n/a"
    return f"{fmt(s['median'])} ({fmt(s['min'])}-{fmt(s['max'])})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=None, help="GGUF (default: where hark looks, HARK_MODEL first)")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    ap.add_argument("--repeats", "-r", type=int, default=3, help="runs of each measurement (default 3)")
    ap.add_argument("--hark-bin", type=Path, default=Path(os.environ.get("HARK_BIN", REPO_ROOT / ".build/release/hark")))
    ap.add_argument("--llama-venv", type=Path,
                    default=Path(os.environ.get("HARK_LLAMA_VENV", os.path.expanduser("~/.cache/hark/llamaenv"))))
    ap.add_argument("--llama-only", action="store_true", help="measure only llama.cpp (no hark binary needed)")
    ap.add_argument("--hark-only", action="store_true", help="measure only Hark")
    ap.add_argument("--omp-wait-policy", default="passive", choices=["passive", "active"],
                    help="OMP_WAIT_POLICY for llama.cpp (default passive, DESIGN.md section 4; active spins "
                    "and is faster on an idle machine, collapses when the cores are shared)")
    ap.add_argument("--json", dest="json_out", type=Path, default=None, help="also write all runs and the summary here")
    # internal: the llama.cpp measurement subprocess
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--prompt-ids", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--tokenize", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--decode-tokens", type=int, default=DECODE_TOKENS, help=argparse.SUPPRESS)
    ap.add_argument("--inner-repeats", type=int, default=5,
                    help="timed passes inside each llama.cpp process, median reported (hark bench's --repeats default)")
    args = ap.parse_args()

    if args.worker:
        args.threads = int(args.threads)
        args.model = str(args.model)
        return worker(args)

    threads = [int(t) for t in args.threads.split(",") if t.strip()]
    model = args.model or default_model()
    if model is None or not Path(model).is_file():
        raise SystemExit(f"error: model not found ({model or 'none of the default locations'}); run deploy/setup.sh or pass --model")
    model = Path(model).resolve()

    use_hark, use_llama = not args.llama_only, not args.hark_only
    hark_bin = args.hark_bin
    if use_hark:
        if not hark_bin.is_file() or not os.access(hark_bin, os.X_OK):
            raise SystemExit(
                f"error: Hark binary not found or not executable: {hark_bin}\n"
                "  build it with `swift build -c release --product hark` (bench/compare-llamacpp.sh does),\n"
                "  set HARK_BIN / --hark-bin, or pass --llama-only to measure llama.cpp alone."
            )
    llama_py = ensure_llama_venv(args.llama_venv) if use_llama else None

    # The worker runs this very file with the venv's python.
    def llama_env() -> dict:
        env = dict(os.environ)
        env["OMP_WAIT_POLICY"] = args.omp_wait_policy  # read by OpenMP when the process starts
        return env

    def llama_cmd(n: int, extra: list[str]) -> list[str]:
        return [str(llama_py), str(Path(__file__).resolve()), "--worker", "--model", str(model), "--threads", str(n)] + extra

    # prompt token ids: Hark's own, else llama.cpp's tokenization of FALLBACK_TEXT
    prompt_ids, prompt_source = None, None
    if use_hark:
        prompt_ids = hark_prompt_ids(hark_bin, model)
        prompt_source = "hark bench --print-prompt-ids" if prompt_ids else None
    if prompt_ids is None and use_llama:
        ids = run_json(llama_cmd(1, ["--tokenize", FALLBACK_TEXT]), env=llama_env())["token_ids"]
        if len(ids) < PROMPT_TOKENS:
            raise SystemExit(f"error: fallback text has only {len(ids)} tokens")
        prompt_ids, prompt_source = ids[:PROMPT_TOKENS], "llama.cpp tokenizer on FALLBACK_TEXT (first 64)"
    if prompt_ids is not None and len(prompt_ids) != PROMPT_TOKENS:
        log(f"warning: prompt has {len(prompt_ids)} tokens, not {PROMPT_TOKENS}")
    if prompt_ids is not None:
        log(f"prompt: {len(prompt_ids)} token ids from {prompt_source}")

    log(f"model: {model}")
    log(f"threads {threads}, {args.repeats} repeats; Hark: {hark_bin if use_hark else 'skipped'}; "
        f"llama.cpp: {args.llama_venv if use_llama else 'skipped'}")

    load_before = os.getloadavg()
    runs: dict[str, dict[int, list[dict]]] = {"hark": {n: [] for n in threads}, "llama.cpp": {n: [] for n in threads}}
    for r in range(args.repeats):
        for n in threads:
            # alternate which engine goes first, so slow drifts of the machine hit both alike
            order = ["hark", "llama.cpp"] if r % 2 == 0 else ["llama.cpp", "hark"]
            for eng in order:
                if eng == "hark" and use_hark:
                    cmd = [str(hark_bin), "bench", "--model", str(model), "--threads", str(n), "--json",
                           "--repeats", str(args.inner_repeats)]
                    res = run_json(cmd)
                elif eng == "llama.cpp" and use_llama:
                    res = run_json(llama_cmd(n, ["--prompt-ids", json.dumps(prompt_ids),
                                                 "--decode-tokens", str(DECODE_TOKENS),
                                                 "--inner-repeats", str(args.inner_repeats)]), env=llama_env())
                else:
                    continue
                res["loadavg_1min_after"] = os.getloadavg()[0]
                runs[eng][n].append(res)
                log(f"  [{r + 1}/{args.repeats}] {eng:9s} t={n}: " + ", ".join(
                    f"{k}={fmt(float(res[k]))}" for k, *_ in METRICS if k in res))

    # checks on what Hark reports
    for n in threads:
        for res in runs["hark"][n]:
            if res.get("threads") not in (None, n):
                log(f"warning: hark reported threads={res.get('threads')} for --threads {n}")
            if res.get("prompt_tokens") not in (None, PROMPT_TOKENS) or res.get("decode_tokens") not in (None, DECODE_TOKENS):
                log(f"warning: hark measured prompt_tokens={res.get('prompt_tokens')}, decode_tokens="
                    f"{res.get('decode_tokens')} (llama.cpp: {PROMPT_TOKENS}, {DECODE_TOKENS})")

    summary = []
    for key, label, unit, higher in METRICS:
        for n in threads:
            row = {"metric": key, "threads": n}
            for eng in ("hark", "llama.cpp"):
                vals = [float(x[key]) for x in runs[eng][n] if key in x and x[key] is not None]
                row[eng] = summarize(vals) if vals else None
            if row["hark"] and row["llama.cpp"] and row["llama.cpp"]["median"]:
                row["ratio_hark_over_llama"] = row["hark"]["median"] / row["llama.cpp"]["median"]
            else:
                row["ratio_hark_over_llama"] = None
            summary.append(row)

    print()
    print(f"Hark vs llama.cpp {LLAMA_CPP_VERSION} (OMP_WAIT_POLICY={args.omp_wait_policy}) on {model.name}, "
          f"median (min-max) of {args.repeats} runs")
    print("ratio = Hark / llama.cpp: above 1 is better for tok/s, below 1 is better for ms and MB")
    hdr = f"{'metric':<18} {'thr':>3}  {'Hark':>24}  {'llama.cpp':>24}  {'ratio':>6}"
    print(hdr)
    print("-" * len(hdr))
    labels = {k: f"{l} ({u})" for k, l, u, _ in METRICS}
    for row in summary:
        ratio = row["ratio_hark_over_llama"]
        print(f"{labels[row['metric']]:<18} {row['threads']:>3}  {cell(row['hark']):>24}  "
              f"{cell(row['llama.cpp']):>24}  {(f'{ratio:.2f}' if ratio is not None else 'n/a'):>6}")
    extra = [(n, [x.get("prefill_cold_tokens_per_s") for x in runs["llama.cpp"][n]],
              [x.get("python_baseline_rss_mb") for x in runs["llama.cpp"][n]]) for n in threads]
    for n, cold, base in extra:
        if cold and all(c is not None for c in cold):
            print(f"llama.cpp t={n}: first (cold) prefill {fmt(statistics.median(cold))} tok/s; "
                  f"python interpreter before load {fmt(statistics.median(base))} MB of the peak RSS")

    load_after = os.getloadavg()
    print(f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f} on {os.cpu_count()} CPUs"
          " (other work on the machine shows up as noise)")

    if args.json_out:
        out = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "host": {"machine": platform.machine(), "cpus": os.cpu_count(), "cpu": _cpu_name(),
                     "loadavg_before": load_before, "loadavg_after": load_after},
            "model": str(model),
            "llama_cpp_python": LLAMA_CPP_VERSION,
            "omp_wait_policy": args.omp_wait_policy,
            "prompt_token_ids": prompt_ids,
            "prompt_source": prompt_source,
            "repeats": args.repeats,
            "threads": threads,
            "summary": summary,
            "runs": {eng: {str(n): v for n, v in d.items()} for eng, d in runs.items()},
        }
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(out, indent=1) + "\n")
        log(f"wrote {args.json_out}")
    return 0


def _cpu_name() -> str | None:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
