#!/usr/bin/env bash
# Soak test (not CI): `hark run` against a local mosquitto for N minutes with continuous speech
# (espeak-ng through a real-time FIFO read by ALSA's `file` plugin) and text commands over MQTT.
# Samples the daemon's RSS every 10 s, counts commands sent and acted on, and prints a summary.
#
#   bench/soak.sh [minutes (default 30)]
#
# Needs: a built .build/debug/hark (or HARK=path), mosquitto, mosquitto_pub/sub, espeak-ng, sox,
# and the model (HARK_MODEL); HARK_ADAPTER picks the intent adapter as for `hark run`.
set -euo pipefail
MINUTES=${1:-30}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HARK=${HARK:-$ROOT/.build/debug/hark}
WORK=$(mktemp -d /tmp/hark-soak.XXXXXX)
PORT=$((20000 + RANDOM % 20000))
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

# The broker.
printf 'listener %s 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\n' "$PORT" > "$WORK/mosquitto.conf"
mosquitto -c "$WORK/mosquitto.conf" > "$WORK/mosquitto.log" 2>&1 & PIDS+=($!)
sleep 0.5

# Speech: a few commands in three voices, each after the wake phrase, as 16 kHz raw.
say() { # voice speed text out
    espeak-ng -v "$1" -s "$2" -w "$WORK/tmp.wav" "$3"
    sox "$WORK/tmp.wav" -r 16000 -c 1 -b 16 -e signed-integer "$4"
}
COMMANDS=("turn on the coffee machine" "turn off the ceiling light" "turn on the bedside lamp" "turn off the coffee machine")
VOICES=("en-us 150" "en-us+f3 170" "en-gb 130")
sox -n -r 16000 -c 1 -b 16 -e signed-integer "$WORK/gap.raw" synth 1.5 whitenoise vol 0.0012
sox -n -r 16000 -c 1 -b 16 -e signed-integer "$WORK/pause.raw" synth 0.4 whitenoise vol 0.0012
n=0; vi=0
for v in "${VOICES[@]}"; do
    set -- $v
    say "$1" "$2" "hey hark house" "$WORK/wake-$vi.raw"
    for c in "${COMMANDS[@]}"; do
        say "$1" "$2" "$c" "$WORK/cmd-$n.raw"
        n=$((n + 1))
    done
    vi=$((vi + 1))
done
ls "$WORK"/wake-*.raw > /dev/null
# One cycle of all utterances (each: wake, pause, command, gap), about a minute of audio.
: > "$WORK/cycle.raw"
i=0
for v in 0 1 2; do
    for c in 0 1 2 3; do
        cat "$WORK/wake-$v.raw" "$WORK/pause.raw" "$WORK/cmd-$i.raw" "$WORK/gap.raw" >> "$WORK/cycle.raw"
        i=$((i + 1))
    done
done
SPOKEN_PER_CYCLE=12
CYCLE_BYTES=$(stat -c %s "$WORK/cycle.raw")
CYCLE_S=$(python3 -c "print($CYCLE_BYTES / 32000)")

# The microphone: a FIFO fed in real time (pv-free pacing: 0.1 s of audio per 0.1 s).
mkfifo "$WORK/mic.fifo"
python3 - "$WORK/cycle.raw" "$WORK/mic.fifo" "$WORK/spoken.count" <<'PY' & PIDS+=($!)
import sys, time
cycle = open(sys.argv[1], 'rb').read()
out = open(sys.argv[2], 'wb', buffering=0)
chunk = 3200  # 0.1 s
start = time.monotonic(); sent = 0; cycles = 0
while True:
    for i in range(0, len(cycle), chunk):
        out.write(cycle[i:i + chunk]); sent += chunk
        if i % 32000 == 0:  # about once a second: utterances written so far (12 per cycle, equal shares)
            open(sys.argv[3], 'w').write(str(int(sent / len(cycle) * 12)))
        delay = start + sent / 32000 - time.monotonic()
        if delay > 0: time.sleep(delay)
PY
printf 'pcm.hark_mic {\n type file\n slave.pcm { type null }\n file "/dev/null"\n infile "%s"\n format "raw"\n}\n' "$WORK/mic.fifo" > "$WORK/asound.conf"

cat > "$WORK/hark.yaml" <<YAML
site: kitchen
areas:
  - {id: kitchen, name: kitchen}
  - {id: bedroom, name: bedroom}
devices:
  - {id: kitchen.ceiling, name: ceiling light, area: kitchen, type: dimmable_light, adapter: {zigbee2mqtt: kitchen_ceiling}}
  - {id: kitchen.coffee, name: coffee machine, area: kitchen, type: outlet, adapter: {tasmota: coffee_plug}}
  - {id: bedroom.lamp, name: bedside lamp, area: bedroom, type: dimmable_light, adapter: {zigbee2mqtt: bedside_lamp}}
mqtt: {host: 127.0.0.1, port: $PORT, client_id: hark-soak}
parser: {confidence_threshold: 0.2}
audio: {device: hark_mic, alsa_config: asound.conf}
speech: {enabled: true}
logging: {level: info, stats_interval: 60}
YAML

mosquitto_sub -h 127.0.0.1 -p "$PORT" -v -t 'hark/kitchen/action' > "$WORK/actions.log" & PIDS+=($!)
"$HARK" run --config "$WORK/hark.yaml" > "$WORK/hark.log" 2>&1 & HARK_PID=$!; PIDS+=($HARK_PID)
for _ in $(seq 1 120); do grep -q "info listening " "$WORK/hark.log" && break; sleep 1; done
grep -q "info listening " "$WORK/hark.log" || { echo "hark did not start listening:"; tail -20 "$WORK/hark.log"; exit 1; }

# Text commands: one every 2 s, alternating two commands.
texts_sent=0
rss_first=""; rss_max=0; rss_last=0; rss_warm=""
end=$((SECONDS + MINUTES * 60)); next_sample=$SECONDS
echo "soak: $MINUTES min, broker port $PORT, work dir $WORK, speech cycle ${CYCLE_S} s ($SPOKEN_PER_CYCLE commands)"
while (( SECONDS < end )); do
    if ! kill -0 "$HARK_PID" 2>/dev/null; then echo "hark exited early"; break; fi
    if (( texts_sent % 2 == 0 )); then t="turn on the bedside lamp"; else t="turn off the bedside lamp"; fi
    mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t hark/kitchen/text -m "{\"text\":\"$t\",\"id\":\"soak-$texts_sent\"}"
    texts_sent=$((texts_sent + 1))
    if (( SECONDS >= next_sample )); then
        rss=$(awk '/VmRSS/ {print $2}' /proc/$HARK_PID/status)
        [[ -z "$rss_first" ]] && rss_first=$rss
        # After the first speech cycle (about a minute) every code path has run once.
        [[ -z "$rss_warm" ]] && (( MINUTES * 60 - end + SECONDS >= 90 )) && rss_warm=$rss
        (( rss > rss_max )) && rss_max=$rss
        rss_last=$rss
        echo "t=$((MINUTES * 60 - end + SECONDS))s rss=$((rss / 1024)) MB"
        next_sample=$((next_sample + 10))
    fi
    sleep 2
done
sleep 5
alive=yes; kill -0 "$HARK_PID" 2>/dev/null || alive=no
kill -TERM "$HARK_PID" 2>/dev/null || true
status=0; wait "$HARK_PID" || status=$?
spoken=$(cat "$WORK/spoken.count" 2>/dev/null || echo 0)
text_acted=$(grep -c '"source":"text"' "$WORK/actions.log" || true)
speech_acted=$(grep -c '"source":"speech"' "$WORK/actions.log" || true)
heard=$(grep -c "info heard " "$WORK/hark.log" || true)
wakes=$(grep -c "wake phrase heard" "$WORK/hark.log" || true)
crashes=$(grep -c "stage failed" "$WORK/hark.log" || true)
echo "---- summary ----"
echo "duration        $MINUTES min; hark alive at the end: $alive; exit status after SIGTERM: $status"
echo "rss             first $((rss_first / 1024)) MB, max $((rss_max / 1024)) MB, last $((rss_last / 1024)) MB, growth $(((rss_last - rss_first) / 1024)) MB"
[[ -n "$rss_warm" ]] && echo "rss after 90 s  $((rss_warm / 1024)) MB; growth from there to the end $(((rss_last - rss_warm) / 1024)) MB ($((rss_last - rss_warm)) kB)"
echo "text            sent $texts_sent, acted on $text_acted"
echo "speech          spoken about $spoken (wake phrase + command each), wake phrases heard $wakes, commands heard $heard, acted on $speech_acted"
echo "stage restarts  $crashes"
grep -E "warning|error" "$WORK/hark.log" | grep -v "reload" | sort | uniq -c | sort -rn | head -5 || true
echo "log: $WORK/hark.log"
