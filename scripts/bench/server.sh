#!/usr/bin/env bash
# Server benchmarks: `fusion serve` against llama.cpp's own llama-server, and under concurrent load.
#
#   scripts/bench/server.sh [--model ID] [--reps N] [--max-tokens N]
#                           [--load-model ID] [--clients N] [--duration S] [--load-max-tokens N]
#                           [--threads N] [--ctx-size N]
#
#   1. Single-model chat (default qwen2.5-coder-0.5b): the same greedy request (same prompt, same
#      max_tokens, default 256) to `fusion serve` and to llama-server (same llama.cpp build, same
#      model file, -t/--threads 2, same context, one slot), one request at a time, alternating which
#      server goes first, --reps times (default 5) after one warm-up each; the medians are compared.
#      tokens/s = completion_tokens ÷ wall time of the request; llama-server's own decode rate (its
#      "timings") is shown too. Our server has no --ignore-eos, so the prompt asks for a long answer.
#      Target: ours ÷ llama-server >= 0.95.
#   2. --clients (16) concurrent clients for --duration seconds (60) against a fresh `fusion serve`
#      with one small model (default smollm2-135m, max_tokens 32): requests, errors (any non-200 or
#      exception, 429 included; target 0), p50/p99 latency, and the server's VmRSS sampled every
#      second (idle, start, peak, end) to show it is stable.
#   3. A Markdown block to paste into docs/BENCHMARKS.md (this script does not edit it).
# Only one server is measured at a time. Before measuring, the script waits (polling every 20 s, up
# to QUIET_MAX seconds) until the 1-minute load average is below 1.0: on 2 cores, another process's
# decode threads make ours spin-wait and run 10-100x slower. The report shows how much CPU other
# processes used during the measurements.
#
# Environment:
#   QUIET_MAX=1800     longest wait for a quiet machine; QUIET_WAIT=0 skips the wait (smoke runs)
#   FUSION_BIN=PATH    use this fusion binary instead of building .build/release/fusion
#   FUSION_MODELS=DIR  models directory (default $LOCALFUSION_CACHE/models or ~/.cache/localfusion/models)
#   BENCH_KEEP=DIR     also keep the raw results (JSON, server logs) in DIR
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

MODEL=qwen2.5-coder-0.5b
REPS=5
MAX_TOKENS=256
LOAD_MODEL=smollm2-135m
CLIENTS=16
DURATION=60
LOAD_MAX_TOKENS=32
THREADS=2
CTX=4096
invocation="scripts/bench/server.sh${*:+ $*}"
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; exit 0 ;;
    --model) MODEL="${2:?--model needs a value}"; shift 2 ;;
    --reps) REPS="${2:?}"; shift 2 ;;
    --max-tokens) MAX_TOKENS="${2:?}"; shift 2 ;;
    --load-model) LOAD_MODEL="${2:?}"; shift 2 ;;
    --clients) CLIENTS="${2:?}"; shift 2 ;;
    --duration) DURATION="${2:?}"; shift 2 ;;
    --load-max-tokens) LOAD_MAX_TOKENS="${2:?}"; shift 2 ;;
    --threads) THREADS="${2:?}"; shift 2 ;;
    --ctx-size) CTX="${2:?}"; shift 2 ;;
    *) lf_die "unknown argument: $1 (see --help)" ;;
  esac
done
case "$REPS$MAX_TOKENS$CLIENTS$DURATION$LOAD_MAX_TOKENS$THREADS$CTX" in
  *[!0-9]*) lf_die "--reps, --max-tokens, --clients, --duration, --load-max-tokens, --threads and --ctx-size take whole numbers" ;;
esac
[ "$REPS" -ge 1 ] && [ "$CLIENTS" -ge 1 ] && [ "$DURATION" -ge 1 ] || lf_die "--reps, --clients and --duration must be at least 1"
command -v python3 >/dev/null 2>&1 || lf_die "python3 is required"
cd "$LF_ROOT"
MODELS_DIR="${FUSION_MODELS:-$LF_CACHE/models}"
HELPER="$LF_ROOT/scripts/bench/server_bench.py"
[ -f "$HELPER" ] || lf_die "missing $HELPER"
py() { python3 -B "$HELPER" "$@"; }

work="$(mktemp -d)"
pids=()
stop_pid() {   # stop_pid PID: SIGTERM, up to 20 s, then SIGKILL; sets stopped_rc to its exit status
  local pid="$1" rc=0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && { kill -KILL "$pid" 2>/dev/null || true; }
  wait "$pid" 2>/dev/null || rc=$?
  stopped_rc="$rc"
}
cleanup() {
  local pid
  for pid in "${pids[@]}"; do if kill -0 "$pid" 2>/dev/null; then stop_pid "$pid"; fi; done
  if [ -n "${BENCH_KEEP:-}" ]; then mkdir -p "$BENCH_KEEP" && cp -r "$work"/. "$BENCH_KEEP"/ && lf_log "raw results kept in $BENCH_KEEP"; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- Tools ----------------------------------------------------------------------------------------
prefix="$(scripts/build-llama.sh --print-prefix 2>/dev/null || true)"
llama_server="${prefix:+$prefix/bin/llama-server}"
if [ -z "$llama_server" ] || [ ! -x "$llama_server" ]; then
  lf_log "building llama.cpp with llama-server"
  scripts/build-llama.sh --tools >&2 || lf_die "scripts/build-llama.sh --tools failed"
  prefix="$(scripts/build-llama.sh --print-prefix)"
  llama_server="$prefix/bin/llama-server"
  [ -x "$llama_server" ] || lf_die "no llama-server in $prefix/bin"
fi
if [ -n "${FUSION_BIN:-}" ]; then
  fusion="$FUSION_BIN"
else
  lf_log "fusion (release, incremental build)"
  swift build -c release --product fusion >&2 || lf_die "swift build -c release --product fusion failed"
  fusion="$(swift build -c release --show-bin-path)/fusion"
fi
[ -x "$fusion" ] || lf_die "fusion binary not found: $fusion"
models_flag=()
if [ -n "${FUSION_MODELS:-}" ]; then models_flag=(--models-dir "$FUSION_MODELS"); fi

# The CLI knows where a model lives (`models info --json` has "path"); MODELS_DIR/ID.gguf otherwise.
model_path() {
  local path=""
  if "$fusion" models info "$1" --json "${models_flag[@]}" >"$work/info-$1.json" 2>/dev/null; then
    path="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("path", ""))' "$work/info-$1.json" 2>/dev/null || true)"
  fi
  [ -n "$path" ] && [ -f "$path" ] || path="$MODELS_DIR/$1.gguf"
  [ -f "$path" ] || lf_die "model $1 not found (fusion models pull $1)"
  echo "$path"
}
model_file="$(model_path "$MODEL")"
model_path "$LOAD_MODEL" >/dev/null

# start_fusion NAME: `fusion serve --port 0` in the background; sets server_pid and server_url.
start_fusion() {
  local name="$1" port="" deadline
  ours_cmd=("$fusion" serve --port 0 --threads "$THREADS" --ctx-size "$CTX" "${models_flag[@]}")
  "${ours_cmd[@]}" 2>"$work/$name.log" &
  server_pid=$!
  pids+=("$server_pid")
  deadline=$((SECONDS + 60))
  while [ -z "$port" ]; do
    port="$(sed -n 's|^fusion serve: listening on http://[^ ]*:\([0-9][0-9]*\) .*|\1|p' "$work/$name.log" | head -1)"
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/$name.log" >&2; lf_die "fusion serve exited before listening"; }
    [ "$SECONDS" -lt "$deadline" ] || { cat "$work/$name.log" >&2; lf_die "fusion serve did not listen within 60 s"; }
    sleep 0.2
  done
  server_url="http://127.0.0.1:$port"
}

# Machine and interference bookkeeping (as scripts/bench/fusion.sh).
cpu_busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
own_ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$$/stat"; }
lf_wait_for_quiet
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
if lf_busy_load; then lf_log "warning: load average $load_start: the machine is busy, the numbers will be noisy"; fi
started="$(date '+%F %T %Z')"
busy0="$(cpu_busy_ticks)"; own0="$(own_ticks)"; wall0="$(date +%s.%N)"

# --- 1. Single model: fusion serve vs llama-server -------------------------------------------------
lf_log "1. $MODEL: fusion serve vs llama-server, $REPS alternating repetitions, max_tokens $MAX_TOKENS, $THREADS threads"
llama_port="$(py free-port)"
theirs_cmd=("$llama_server" -m "$model_file" -t "$THREADS" -tb "$THREADS" -c "$CTX" -np 1 --host 127.0.0.1 --port "$llama_port")
"${theirs_cmd[@]}" >"$work/llama-server.log" 2>&1 &
llama_pid=$!
pids+=("$llama_pid")
py wait-health "http://127.0.0.1:$llama_port/health" 120 || { tail -20 "$work/llama-server.log" >&2; lf_die "llama-server did not start"; }
start_fusion single-serve
single_pid="$server_pid"
py single --ours "$server_url" --theirs "http://127.0.0.1:$llama_port" --model "$MODEL" \
    --max-tokens "$MAX_TOKENS" --reps "$REPS" --out "$work/single.json" \
  || { tail -20 "$work/single-serve.log" "$work/llama-server.log" >&2; lf_die "single-model measurement failed"; }
stop_pid "$llama_pid"
stop_pid "$single_pid"

# --- 2. Concurrent clients ------------------------------------------------------------------------
lf_log "2. $CLIENTS clients for $DURATION s against a fresh fusion serve ($LOAD_MODEL, max_tokens $LOAD_MAX_TOKENS)"
start_fusion load-serve
load_status=0
py load --url "$server_url" --pid "$server_pid" --model "$LOAD_MODEL" --clients "$CLIENTS" --duration "$DURATION" \
    --max-tokens "$LOAD_MAX_TOKENS" --out "$work/load.json" || load_status=$?
stop_pid "$server_pid"
shutdown_rc="$stopped_rc"
[ "$load_status" -eq 0 ] || { tail -20 "$work/load-serve.log" >&2; lf_die "load measurement failed"; }

# --- 3. Report ------------------------------------------------------------------------------------
busy1="$(cpu_busy_ticks)"; own1="$(own_ticks)"; wall1="$(date +%s.%N)"
other_pct="$(awk -v b="$((busy1 - busy0))" -v o="$((own1 - own0))" -v w0="$wall0" -v w1="$wall1" \
  -v hz="$(getconf CLK_TCK 2>/dev/null || echo 100)" \
  'BEGIN { w = w1 - w0; if (w <= 0) w = 1; x = (b - o) / hz / w * 100; if (x < 0) x = 0; printf "%.0f", x }')"
cpu="$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
[ -n "$cpu" ] || cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo '?')"
if [ -n "$(git status --porcelain -- Sources Package.swift 2>/dev/null)" ]; then commit+=" (with uncommitted changes)"; fi
short() { local a out=""; for a in "$@"; do a="${a#"$LF_ROOT"/}"; a="${a/#"$HOME"/\~}"; out+="${out:+ }$a"; done; echo "$out"; }
ours_line="$(short "${ours_cmd[@]}")"; theirs_line="$(short "${theirs_cmd[@]}")"; fusion_line="$(short "$fusion")"
shutdown_note="SIGTERM after the load test: fusion serve exited with status $shutdown_rc."
# key=value pairs → info.json (argv, so quotes in commands cannot break anything).
python3 -c 'import json, sys; json.dump(dict(a.split("=", 1) for a in sys.argv[2:]), open(sys.argv[1], "w"))' \
  "$work/info.json" "date=$started" "command=$invocation" "cpu=${cpu:-unknown CPU}" "nproc=$(nproc)" \
  "ram=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)" "os=$(uname -sr)" \
  "commit=$commit" "fusion_bin=$fusion_line" \
  "llama_source=$(sed -n 's/^source=//p' "$prefix/localfusion-build.txt" 2>/dev/null || echo '?')" \
  "ours_cmd=$ours_line" "theirs_cmd=$theirs_line" "load_start=$load_start" "other_pct=$other_pct" \
  "shutdown=$shutdown_note"
echo
echo '```markdown'
echo "## Server benchmarks $(date +%F), ${cpu:-unknown CPU}, $(nproc) cores"
echo
py report --single "$work/single.json" --load "$work/load.json" --info "$work/info.json"
echo '```'
errors="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["errors"])' "$work/load.json")"
[ "$errors" -eq 0 ] || lf_log "the load test had $errors errors (target 0)"
