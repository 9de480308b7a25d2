#!/usr/bin/env bash
# Build hark (release) and compare it with llama.cpp on the same GGUF in the same run.
#   bench/compare-llamacpp.sh [--threads 1,2] [--repeats 3] [--json OUT] [--model PATH] [--llama-only]
# See bench/compare_llamacpp.py for what is measured. HARK_BIN skips the build and uses that binary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -z "${HARK_BIN:-}" ] && [[ " $* " != *" --llama-only "* ]]; then
    if ! command -v swift >/dev/null 2>&1; then
        for d in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
            if [ -x "$d/swift" ]; then PATH="$d:$PATH"; break; fi
        done
    fi
    echo "==> swift build -c release --product hark" >&2
    swift build -c release --product hark >&2
fi
exec python3 bench/compare_llamacpp.py "$@"
