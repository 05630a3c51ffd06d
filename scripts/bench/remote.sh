#!/usr/bin/env bash
# Remote-seat overhead: the same model as a local seat vs as a remote seat served by llama-server
# on loopback (same llama.cpp build, same GGUF file, same threads, greedy, same max tokens).
#
#   scripts/bench/remote.sh [MODEL_ID]        # default qwen2.5-coder-0.5b
#
# Each side runs `fusion ask --json --panel SEAT --judge smollm2-135m --mode aggregate` REPS times,
# alternating; the seat's time is its answer's wall time (for the local seat: prefill + decode,
# load excluded; for the remote seat: the whole HTTP call, connection and streaming included).
# Reported: median seconds per seat answer and per generated token, and remote ÷ local.
#
# Environment: REPS (default 5), MAX_TOKENS (128), THREADS (2), FUSION_BIN, QUIET_WAIT=0 to skip
# waiting for a quiet machine (1-minute load average below 1.0).
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
case "${1:-}" in -h|--help) awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; exit 0 ;; esac
cd "$LF_ROOT"

MODEL="${1:-qwen2.5-coder-0.5b}"
REPS="${REPS:-5}"
MAX_TOKENS="${MAX_TOKENS:-128}"
THREADS="${THREADS:-2}"
MODELS_DIR="${FUSION_MODELS:-$LF_CACHE/models}"
if [ -z "${FUSION_BIN:-}" ]; then
  scripts/build-llama.sh --tools >/dev/null
  swift build -c release --product fusion >/dev/null
  FUSION_BIN="$(swift build -c release --show-bin-path)/fusion"
fi
prefix="$(scripts/build-llama.sh --tools --print-prefix)"
server_bin="$prefix/bin/llama-server"
[ -x "$server_bin" ] || lf_die "llama-server not found in $prefix (scripts/build-llama.sh --tools)"
model_path="$MODELS_DIR/$MODEL.gguf"
[ -f "$model_path" ] || lf_die "model $MODEL missing ($model_path): fusion models pull $MODEL"

lf_wait_for_quiet

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$server_bin" -m "$model_path" --host 127.0.0.1 --port "$port" -t "$THREADS" -c 4096 -np 1 >"$work/llama-server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 240); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.5
done
cat > "$work/providers.json" <<JSON
{"providers": {"loop": {"base_url": "http://127.0.0.1:$port/v1", "timeout_s": 600}}}
JSON

question="Explain how a hash map works, step by step, in detail."
run() {  # run SIDE REP
  local seat="$MODEL"; [ "$1" = remote ] && seat="remote:loop/$MODEL"
  "$FUSION_BIN" ask --json --providers "$work/providers.json" --panel "$seat" --judge smollm2-135m --mode aggregate \
    --temperature 0 --seed 1 --max-tokens "$MAX_TOKENS" --synthesis-max-tokens 8 --threads "$THREADS" \
    "$question" > "$work/$1-$2.json" 2>/dev/null
}
run local warmup; run remote warmup
for rep in $(seq 1 "$REPS"); do run local "$rep"; run remote "$rep"; done

python3 - "$work" "$REPS" "$MODEL" "$MAX_TOKENS" "$THREADS" <<'PY'
import json, statistics, sys, os, platform
work, reps, model, max_tokens, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
def seat(side, rep):
    r = json.load(open(f"{work}/{side}-{rep}.json"))
    assert r["status"] == "ok" and r["responses"], r.get("error")
    a = r["responses"][0]
    return a["seconds"], a["usage"]["completion_tokens"], a["source"]
rows = {side: [seat(side, i) for i in range(1, reps + 1)] for side in ("local", "remote")}
med = {s: statistics.median(x[0] for x in rows[s]) for s in rows}
per = {s: statistics.median(x[0] / max(1, x[1]) for x in rows[s]) for s in rows}
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
print(f"\n### Remote seat overhead ({model}, {max_tokens} max tokens, {threads} threads, {reps} reps, median)\n")
print(f"Machine: {os.cpu_count()} cores, {cpu}\n")
print("| seat | source | seconds per answer | tokens | ms per token |")
print("|---|---|---:|---:|---:|")
for s in ("local", "remote"):
    print(f"| {s} | {rows[s][0][2]} | {med[s]:.2f} | {statistics.median(x[1] for x in rows[s])} | {per[s]*1000:.1f} |")
print(f"\nremote ÷ local: **{med['remote']/med['local']:.3f}** per answer, **{per['remote']/per['local']:.3f}** per token")
PY
