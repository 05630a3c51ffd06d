#!/usr/bin/env bash
# Peer comparison: the same panel and aggregator run the way a user would without LocalFusion
# (Together-MoA-style Python over one llama-server per model) against `fusion ask`.
#
#   scripts/bench/moa-baseline.sh
#
#   1. MoA sequential: one llama-server per model (same llama.cpp build, -t/-tb THREADS, -c 4096,
#      one slot), all started beforehand (startup reported apart, not in the wall time); the
#      proposers are asked one after another over HTTP (stdlib urllib), then the aggregator gets
#      their answers in a Together-MoA style "synthesize these responses" system message.
#   2. MoA parallel: the same with the proposers asked at once (MoA's default). On 2 cores with
#      THREADS each this oversubscribes; a repetition longer than PAR_TIMEOUT stops the variant.
#   3. `fusion ask --mode aggregate` with the same panel and aggregator: the same work.
#   4. `fusion ask` full fusion: the same panel, the aggregator model as judge + synthesizer.
# Every side is greedy (temperature 0, seed 1) and generates exactly its budget (llama-server's
# ignore_eos, fusion's --ignore-eos): MAX_TOKENS per proposer, AGG_TOKENS for the aggregator or
# synthesis, JUDGE_TOKENS for the judge. Variants run one at a time, REPS times each (median).
# Wall time: MoA from the first request to the aggregator's answer; fusion around the whole
# process, which loads every model (a new process per question), so fusion is reported with and
# without loading (trace.stages.loading plus the writer's load inside its stage).
# Peak memory: MoA, the sum of the llama-servers' VmHWM (and the peak of their summed VmRSS sampled
# every 0.2 s); fusion, trace.peak_resident_bytes (VmHWM; and its VmRSS sampled the same way).
# Ratios: (3) ÷ (1) target ≤ 0.9, (3) ÷ (2) target ≤ 0.2, (4) ÷ (1) target ≤ 1.3.
# Prints a Markdown block (command, machine, load, per-variant wall and peak MiB, ratios).
# Before measuring, the script waits (polling every 20 s, up to QUIET_MAX seconds) until the
# 1-minute load average is below 1.0: on 2 cores another process's threads distort everything.
#
# Environment:
#   REPS=3                 repetitions per variant (median)
#   PROPOSERS=qwen2.5-coder-0.5b,smollm2-135m,gemma3-270m    panel (catalog ids)
#   AGGREGATOR=qwen2.5-coder-1.5b                           aggregator, judge and synthesizer
#   MAX_TOKENS=128  AGG_TOKENS=220  JUDGE_TOKENS=384  THREADS=2
#   PAR_TIMEOUT=300        seconds one parallel-MoA repetition may take
#   FUSION_TIMEOUT=900     seconds one `fusion ask` may take
#   PROMPT="…"             the question
#   QUIET_MAX=1800         longest wait for a quiet machine; QUIET_WAIT=0 skips the wait
#   FUSION_BIN=PATH        use this fusion binary instead of building the release one
#   FUSION_MODELS=DIR      models directory (default $LOCALFUSION_CACHE/models or ~/.cache/localfusion/models)
#   BENCH_KEEP=DIR         also keep the raw results (JSON, logs) in DIR
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
case "${1:-}" in
  -h|--help) awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; exit 0 ;;
  "") ;;
  *) lf_die "unknown argument: $1 (see --help)" ;;
esac
cd "$LF_ROOT"

REPS="${REPS:-3}"
PROPOSERS="${PROPOSERS:-qwen2.5-coder-0.5b,smollm2-135m,gemma3-270m}"
AGGREGATOR="${AGGREGATOR:-qwen2.5-coder-1.5b}"
MAX_TOKENS="${MAX_TOKENS:-128}"
AGG_TOKENS="${AGG_TOKENS:-220}"
JUDGE_TOKENS="${JUDGE_TOKENS:-384}"
THREADS="${THREADS:-2}"
PAR_TIMEOUT="${PAR_TIMEOUT:-300}"
FUSION_TIMEOUT="${FUSION_TIMEOUT:-900}"
QUIET_MAX="${QUIET_MAX:-1800}"
PROMPT="${PROMPT:-Explain how a hash table works and how it handles collisions.}"
MODELS_DIR="${FUSION_MODELS:-$LF_CACHE/models}"
case "$REPS$MAX_TOKENS$AGG_TOKENS$JUDGE_TOKENS$THREADS$PAR_TIMEOUT$FUSION_TIMEOUT$QUIET_MAX" in
  *[!0-9]*) lf_die "REPS, MAX_TOKENS, AGG_TOKENS, JUDGE_TOKENS, THREADS, PAR_TIMEOUT, FUSION_TIMEOUT and QUIET_MAX must be whole numbers" ;;
esac
[ "$REPS" -ge 1 ] || lf_die "REPS must be at least 1"
invocation=""
for v in REPS PROPOSERS AGGREGATOR MAX_TOKENS AGG_TOKENS JUDGE_TOKENS THREADS PAR_TIMEOUT FUSION_TIMEOUT PROMPT; do
  if printenv "$v" >/dev/null; then invocation+="$v=$(printf '%q' "${!v}") "; fi
done
invocation+="scripts/bench/moa-baseline.sh"
command -v python3 >/dev/null 2>&1 || lf_die "python3 is required"
HELPER="$LF_ROOT/scripts/bench/moa_baseline.py"
[ -f "$HELPER" ] || lf_die "missing $HELPER"
py() { python3 -B "$HELPER" "$@"; }

# --- Tools and models -----------------------------------------------------------------------------
if [ -z "${FUSION_BIN:-}" ]; then
  scripts/build-llama.sh --tools >&2 || lf_die "scripts/build-llama.sh --tools failed"
  lf_log "fusion (release, incremental build)"
  swift build -c release --product fusion >&2 || lf_die "swift build -c release --product fusion failed"
  FUSION_BIN="$(swift build -c release --show-bin-path)/fusion"
fi
[ -x "$FUSION_BIN" ] || lf_die "fusion binary not found: $FUSION_BIN"
prefix="$(scripts/build-llama.sh --tools --print-prefix)"
server_bin="$prefix/bin/llama-server"
[ -x "$server_bin" ] || lf_die "llama-server not found in $prefix (scripts/build-llama.sh --tools)"
IFS=, read -r -a proposer_ids <<<"$PROPOSERS"
for m in "${proposer_ids[@]}" "$AGGREGATOR"; do
  [ -f "$MODELS_DIR/$m.gguf" ] || lf_die "model $m missing ($MODELS_DIR/$m.gguf): fusion models pull $m"
done
models_flag=()
if [ -n "${FUSION_MODELS:-}" ]; then models_flag=(--models-dir "$FUSION_MODELS"); fi

work="$(mktemp -d)"
cleanup() {
  if [ -n "${BENCH_KEEP:-}" ]; then mkdir -p "$BENCH_KEEP" && cp -r "$work"/. "$BENCH_KEEP"/ && lf_log "raw results kept in $BENCH_KEEP"; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- A quiet machine ------------------------------------------------------------------------------
lf_wait_for_quiet
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
if lf_busy_load; then lf_log "warning: load average $load_start: the machine is busy, the numbers will be noisy"; fi
started="$(date '+%F %T %Z')"
# Other processes' CPU use during the run (as scripts/bench/server.sh): machine busy ticks minus ours.
cpu_busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
own_ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$$/stat"; }
busy0="$(cpu_busy_ticks)"; own0="$(own_ticks)"; wall0="$(date +%s.%N)"

# --- 1, 2. MoA over llama-server ------------------------------------------------------------------
moa() {  # moa seq|par TIMEOUT
  py moa --server "$server_bin" --models-dir "$MODELS_DIR" --proposers "$PROPOSERS" --aggregator "$AGGREGATOR" \
    --mode "$1" --reps "$REPS" --timeout "$2" --threads "$THREADS" --ctx-size 4096 --max-tokens "$MAX_TOKENS" \
    --agg-max-tokens "$AGG_TOKENS" --seed 1 --prompt "$PROMPT" --logdir "$work" --out "$work/moa-$1.json" \
    || lf_log "MoA $1 did not complete (see the report)"
}
lf_log "1. MoA sequential: $PROPOSERS → $AGGREGATOR, $REPS reps"
moa seq "$FUSION_TIMEOUT"
lf_log "2. MoA parallel proposers, $REPS reps, $PAR_TIMEOUT s timeout per rep"
moa par "$PAR_TIMEOUT"

# --- 3, 4. fusion ask -----------------------------------------------------------------------------
common=(--panel "$PROPOSERS" --judge "$AGGREGATOR" --max-tokens "$MAX_TOKENS" --synthesis-max-tokens "$AGG_TOKENS"
        --ignore-eos --seed 1 --temperature 0 --threads "$THREADS" --json "${models_flag[@]}")
agg_cmd=("$FUSION_BIN" ask --mode aggregate "${common[@]}" "$PROMPT")
full_cmd=("$FUSION_BIN" ask "${common[@]}" --judge-max-tokens "$JUDGE_TOKENS" "$PROMPT")
lf_log "3. fusion ask --mode aggregate, $REPS reps"
py fusion --reps "$REPS" --timeout "$FUSION_TIMEOUT" --out "$work/fusion-agg.json" -- "${agg_cmd[@]}" \
  || lf_log "fusion aggregate did not complete (see the report)"
lf_log "4. fusion ask (judge + synthesizer), $REPS reps"
py fusion --reps "$REPS" --timeout "$FUSION_TIMEOUT" --out "$work/fusion-full.json" -- "${full_cmd[@]}" \
  || lf_log "fusion full did not complete (see the report)"

# --- Report ---------------------------------------------------------------------------------------
busy1="$(cpu_busy_ticks)"; own1="$(own_ticks)"; wall1="$(date +%s.%N)"
other_pct="$(awk -v b="$((busy1 - busy0))" -v o="$((own1 - own0))" -v w0="$wall0" -v w1="$wall1" \
  -v hz="$(getconf CLK_TCK 2>/dev/null || echo 100)" \
  'BEGIN { w = w1 - w0; if (w <= 0) w = 1; x = (b - o) / hz / w * 100; if (x < 0) x = 0; printf "%.0f", x }')"
cpu="$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
[ -n "$cpu" ] || cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo '?')"
if [ -n "$(git status --porcelain -- Sources Package.swift 2>/dev/null)" ]; then commit+=" (with uncommitted changes)"; fi
short() { local a out=""; for a in "$@"; do a="${a#"$LF_ROOT"/}"; a="${a/#"$HOME"/\~}"; [[ "$a" == *" "* ]] && a="\"$a\""; out+="${out:+ }$a"; done; echo "$out"; }
server_line="$(short "$server_bin" -m MODEL.gguf -t "$THREADS" -tb "$THREADS" -c 4096 -np 1 --no-webui)"
fusion_line="$(short "${full_cmd[@]}")"
python3 -c 'import json, sys; json.dump(dict(a.split("=", 1) for a in sys.argv[2:]), open(sys.argv[1], "w"))' \
  "$work/info.json" "date=$started" "command=$invocation" "cpu=${cpu:-unknown CPU}" "nproc=$(nproc)" \
  "ram=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)" "commit=$commit" \
  "llama=$(sed -n 's/^source=//p' "$prefix/localfusion-build.txt" 2>/dev/null | cut -c1-40 || echo '?')" \
  "load_start=$load_start" "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" "other_pct=$other_pct" \
  "proposers=$PROPOSERS" "aggregator=$AGGREGATOR" "max_tokens=$MAX_TOKENS" "agg_tokens=$AGG_TOKENS" \
  "judge_tokens=$JUDGE_TOKENS" "threads=$THREADS" "reps=$REPS" "prompt=$PROMPT" \
  "server_cmd=$server_line" "fusion_cmd=$fusion_line"
echo
echo '```markdown'
echo "## Peer comparison: MoA over llama-server vs fusion ask $(date +%F), ${cpu:-unknown CPU}, $(nproc) cores"
echo
py report --info "$work/info.json" --seq "$work/moa-seq.json" --par "$work/moa-par.json" \
  --agg "$work/fusion-agg.json" --full "$work/fusion-full.json"
echo '```'
