#!/usr/bin/env python3
"""Train Hark's intent LoRA adapter on CPU (or a GPU when there is one) and export it as a llama.cpp
LoRA GGUF.

Input: JSON lines from `hark export-training-data` ({"prompt", "completion", "intent"}); the prompt
is exactly the parser's prompt (system + registry prefix, then the user turn). Loss is on the
completion tokens only (the canonical action and <|im_end|>); prompt tokens are masked.

Prefix sharing: the system + registry prefix is 250-450 tokens and a command plus its action only
~35, so consecutive examples with the same prefix (`--per-registry K` at export) are trained as one
group: the prefix is run once (with gradients) into a KV cache, the cache is repeated K times and
the K continuations run on top of it. This is exactly the same computation as K separate
sequences (checked by --check-sharing) at a fraction of the cost.

See README.md next to this file for the commands.
"""
import argparse
import json
import math
import os
import random
import sys
import time

# Threads that wait must sleep, not spin (DESIGN.md section 4): set before torch loads OpenMP.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402
from tqdm import tqdm  # noqa: E402

TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
USER_TURN = "<|im_start|>user\n"
ASSISTANT_TURN = "<|im_end|>"  # closes the command; the answer follows directly (ParserPrompt.swift)


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, flush=True)


def load_base(model_path, dtype=torch.float32):
    """The base model and tokenizer from a GGUF file (transformers dequantizes it)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    directory, name = os.path.split(os.path.abspath(model_path))
    tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, dtype=dtype)
    return model, tokenizer


def split_prompt(prompt):
    """(prefix, command): the prefix ends where the last user turn begins."""
    cut = prompt.rfind(USER_TURN)
    if cut < 0 or not prompt.endswith(ASSISTANT_TURN):
        raise ValueError("prompt does not end with a user turn closed by <|im_end|>")
    return prompt[:cut], prompt[cut + len(USER_TURN):-len(ASSISTANT_TURN)]


class Encoder:
    """Tokenizes as the Swift parser does: the prefix as one text (special tokens parsed), the
    user turn as header + command as plain text + footer, the completion as text + <|im_end|>."""

    def __init__(self, tokenizer):
        self.tok = tokenizer
        self.im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
        self.user = self.ids(USER_TURN)
        self.assistant = self.ids(ASSISTANT_TURN)

    def ids(self, text, plain=False):
        if plain:
            return self.tok(text, add_special_tokens=False, split_special_tokens=True).input_ids
        return self.tok(text, add_special_tokens=False).input_ids

    def continuation(self, command, completion):
        """(token ids, labels) of user turn + completion; labels are -100 on the user turn."""
        head = self.user + self.ids(command, plain=True) + self.assistant
        if completion.endswith("<|im_end|>"):
            completion = completion[: -len("<|im_end|>")]
        tail = self.ids(completion) + [self.im_end]
        return head + tail, [-100] * len(head) + tail


def load_groups(path, encoder, limit=None):
    """Examples grouped by consecutive identical prefixes: [(prefix ids, [(ids, labels, intent)])]."""
    groups, last_prefix = [], None
    prefix_cache = {}
    with open(path) as f:
        for n, line in enumerate(f):
            if limit is not None and n >= limit:
                break
            row = json.loads(line)
            prefix, command = split_prompt(row["prompt"])
            ids, labels = encoder.continuation(command, row["completion"])
            if prefix != last_prefix:
                if prefix not in prefix_cache:
                    prefix_cache = {prefix: encoder.ids(prefix)}
                groups.append((prefix_cache[prefix], []))
                last_prefix = prefix
            groups[-1][1].append((ids, labels, row.get("intent", "")))
    return groups


def chunk_groups(groups, size):
    """Splits groups larger than `size` continuations."""
    out = []
    for prefix, items in groups:
        for i in range(0, len(items), size):
            out.append((prefix, items[i:i + size]))
    return out


def group_loss(model, prefix, items, device):
    """Sum of token losses and the token count of one group, computing the prefix once."""
    k = len(items)
    p = torch.tensor([prefix], device=device)
    out = model(input_ids=p, use_cache=True)
    cache = out.past_key_values
    cache.batch_repeat_interleave(k)
    width = max(len(ids) for ids, _, _ in items)
    ids = torch.zeros((k, width), dtype=torch.long, device=device)
    labels = torch.full((k, width), -100, dtype=torch.long, device=device)
    mask = torch.zeros((k, len(prefix) + width), dtype=torch.long, device=device)
    mask[:, : len(prefix)] = 1
    for row, (x, y, _) in enumerate(items):
        ids[row, : len(x)] = torch.tensor(x)
        labels[row, : len(y)] = torch.tensor(y)
        mask[row, len(prefix): len(prefix) + len(x)] = 1
    positions = torch.arange(len(prefix), len(prefix) + width, device=device).unsqueeze(0).expand(k, -1)
    out = model(input_ids=ids, attention_mask=mask, position_ids=positions, past_key_values=cache, use_cache=True)
    logits = out.logits[:, :-1].float()
    target = labels[:, 1:]
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), target.reshape(-1), ignore_index=-100, reduction="sum")
    return loss, int((target != -100).sum())


def plain_loss(model, prefix, items, device):
    """The same loss with every example run as its own full sequence (for --check-sharing)."""
    total, count = 0.0, 0
    for x, y, _ in items:
        ids = torch.tensor([prefix + x], device=device)
        labels = torch.tensor([[-100] * len(prefix) + y], device=device)
        logits = model(input_ids=ids).logits[:, :-1].float()
        target = labels[:, 1:]
        total = total + torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), target.reshape(-1), ignore_index=-100, reduction="sum")
        count += int((target != -100).sum())
    return total, count


def make_lora(model, rank, alpha):
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=0.0, bias="none", target_modules=TARGET_MODULES, task_type="CAUSAL_LM")
    return get_peft_model(model, config)


@torch.no_grad()
def greedy(model, encoder, prompt, device, max_new=40):
    """Unconstrained greedy decoding of one prompt: the text before <|im_end|>."""
    prefix, command = split_prompt(prompt)
    ids = encoder.ids(prefix) + encoder.user + encoder.ids(command, plain=True) + encoder.assistant
    x = torch.tensor([ids], device=device)
    out = model(input_ids=x, use_cache=True)
    cache, produced = out.past_key_values, []
    for _ in range(max_new):
        nxt = int(out.logits[0, -1].argmax())
        if nxt == encoder.im_end:
            break
        produced.append(nxt)
        out = model(input_ids=torch.tensor([[nxt]], device=device), past_key_values=cache, use_cache=True)
        cache = out.past_key_values
    return encoder.tok.decode(produced)


def evaluate(model, encoder, path, count, device, autocast):
    """Exact-match accuracy of greedy decoding on held-out JSONL (with per-kind figures)."""
    rows = []
    with open(path) as f:
        for line in f:
            rows.append(json.loads(line))
            if len(rows) >= count:
                break
    model.eval()
    right = none_total = none_right = 0
    failures = []
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
        for row in tqdm(rows, desc="eval", mininterval=10, file=sys.stdout):
            want = row["completion"].removesuffix("<|im_end|>")
            got = greedy(model, encoder, row["prompt"], device).strip()
            ok = got == want
            right += ok
            if want == "none":
                none_total += 1
                none_right += ok
            if not ok:
                failures.append((split_prompt(row["prompt"])[1], got, want))
    model.train()
    for command, got, want in failures[:40]:
        log(f"  FAIL {command!r}: got {got!r}, want {want!r}")
    acc = right / max(1, len(rows))
    log(f"eval: accuracy {acc:.4f} ({right}/{len(rows)}), none rejection {none_right}/{none_total}")
    return acc


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="base model GGUF (SmolLM2-135M-Instruct.Q4_1.gguf)")
    ap.add_argument("--data", required=True, help="training JSONL from hark export-training-data")
    ap.add_argument("--out", default="intents/adapter/hark-intents.lora.gguf", help="adapter GGUF to write")
    ap.add_argument("--checkpoint-dir", default=None, help="PEFT checkpoints (default: OUT.ckpt)")
    ap.add_argument("--steps", type=int, default=0, help="optimizer steps (0: one pass over the data)")
    ap.add_argument("--batch", type=int, default=8, help="examples per optimizer step")
    ap.add_argument("--group", type=int, default=16, help="most continuations sharing one prefix computation")
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--alpha", type=float, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--limit", type=int, default=None, help="use only the first N lines of --data")
    ap.add_argument("--save-every", type=int, default=50, help="checkpoint every N steps")
    ap.add_argument("--resume", action="store_true", help="continue from the checkpoint in --checkpoint-dir")
    ap.add_argument("--no-bf16", action="store_true", help="train in float32 (bf16 autocast is ~1.8x faster on CPUs with AVX512-BF16)")
    ap.add_argument("--eval-data", default=None, help="held-out JSONL (another seed) for greedy exact-match accuracy")
    ap.add_argument("--eval-count", type=int, default=200)
    ap.add_argument("--eval-only", action="store_true", help="only evaluate the checkpoint in --checkpoint-dir")
    ap.add_argument("--check-sharing", action="store_true", help="check that prefix sharing gives the plain loss, then exit")
    ap.add_argument("--time-steps", type=int, default=0, help="time N steps, print seconds per step, then exit")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    autocast = not args.no_bf16
    ckpt_dir = args.checkpoint_dir or args.out + ".ckpt"

    t0 = time.time()
    model, tokenizer = load_base(args.model)
    log(f"loaded {args.model} in {time.time() - t0:.1f} s; threads {torch.get_num_threads()}, device {device}, "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}")
    encoder = Encoder(tokenizer)

    if args.eval_only:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, ckpt_dir).to(device)
        evaluate(model, encoder, args.eval_data, args.eval_count, device, autocast)
        return

    model = make_lora(model, args.rank, args.alpha)
    if args.resume and os.path.exists(os.path.join(ckpt_dir, "adapter_model.safetensors")):
        from peft import set_peft_model_state_dict
        from safetensors.torch import load_file

        set_peft_model_state_dict(model, load_file(os.path.join(ckpt_dir, "adapter_model.safetensors")))
    model.to(device)
    model.train()
    model.print_trainable_parameters()

    groups = chunk_groups(load_groups(args.data, encoder, args.limit), args.group)
    examples = sum(len(items) for _, items in groups)
    log(f"{examples} examples in {len(groups)} prefix groups; mean prefix {sum(len(p) for p, _ in groups) / len(groups):.0f} tokens, "
        f"mean continuation {sum(len(x) for _, it in groups for x, _, _ in it) / examples:.1f} tokens")

    if args.check_sharing:
        prefix, items = groups[0]
        with torch.no_grad():
            a, n = group_loss(model, prefix, items, device)
            b, m = plain_loss(model, prefix, items, device)
        log(f"shared {a.item() / n:.6f} ({n} tokens) vs plain {b.item() / m:.6f} ({m} tokens)")
        assert n == m and abs(a.item() / n - b.item() / m) < 1e-3, "prefix sharing does not match"
        log("prefix sharing matches")
        return

    # Batches: whole groups, as many as fill `batch` examples, in a seeded random order.
    rng = random.Random(args.seed)
    rng.shuffle(groups)
    batches, current, size = [], [], 0
    for g in groups:
        current.append(g)
        size += len(g[1])
        if size >= args.batch:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    steps = args.steps or len(batches)
    start_step = 0
    state_path = os.path.join(ckpt_dir, "trainer_state.json")
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)

    def lr_at(step):
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        progress = (step - args.warmup) / max(1, steps - args.warmup)
        return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))

    if args.resume and os.path.exists(state_path):
        with open(state_path) as f:
            start_step = json.load(f)["step"]
        opt_path = os.path.join(ckpt_dir, "optimizer.pt")
        if os.path.exists(opt_path):
            optimizer.load_state_dict(torch.load(opt_path))
        log(f"resuming at step {start_step}")

    def save(step):
        os.makedirs(ckpt_dir, exist_ok=True)
        model.save_pretrained(ckpt_dir)
        torch.save(optimizer.state_dict(), os.path.join(ckpt_dir, "optimizer.pt"))
        with open(state_path, "w") as f:
            json.dump({"step": step, "steps": steps, "args": vars(args)}, f)

    log(f"training {steps} steps of ~{args.batch} examples (lr {args.lr}, rank {args.rank}, alpha {args.alpha}, bf16 autocast {autocast})")
    timing = args.time_steps or None
    window, window_tokens, started = 0.0, 0, time.time()
    bar = tqdm(range(start_step, steps), initial=start_step, total=steps, desc="train", mininterval=15, file=sys.stdout)
    for step in bar:
        batch = batches[step % len(batches)]
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step)
        total_tokens = sum(sum(1 for t in y[1:] if t != -100) for _, items in batch for _, y, _ in items)
        step_loss = 0.0
        t = time.time()
        for prefix, items in batch:
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
                loss, _ = group_loss(model, prefix, items, device)
            (loss / total_tokens).backward()
            step_loss += loss.item()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        window += step_loss
        window_tokens += total_tokens
        bar.set_postfix(loss=f"{step_loss / total_tokens:.4f}", s_per_step=f"{time.time() - t:.2f}")
        if timing:
            log(f"step {step + 1}: {time.time() - t:.2f} s, {sum(len(i) for _, i in batch)} examples, loss {step_loss / total_tokens:.4f}")
            if step + 1 - start_step >= timing:
                return
        if (step + 1) % 10 == 0:
            elapsed = time.time() - started
            log(f"step {step + 1}/{steps} loss {window / window_tokens:.4f} lr {lr_at(step):.2e} "
                f"{elapsed / (step + 1 - start_step):.2f} s/step")
            window, window_tokens = 0.0, 0
        if (step + 1) % args.save_every == 0:
            save(step + 1)
    save(steps)
    log(f"trained in {(time.time() - started) / 60:.1f} min")

    from export_adapter import export

    export(model, args.out, args.rank, args.alpha, base_gguf=args.model)
    if args.eval_data:
        evaluate(model, encoder, args.eval_data, args.eval_count, device, autocast)


if __name__ == "__main__":
    main()
