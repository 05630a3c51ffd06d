#!/usr/bin/env bash
# Fusion benchmarks, side by side in one run, recorded in docs/BENCHMARKS.md:
#
#   scripts/bench/fusion.sh
#
#   1. Self-fusion: `ask --self 4 -m qwen2.5-coder-0.5b` panel wall time (minus loading) ÷ one solo
#      `generate` of the same length and prompt. Target <= 1.6.
#   2. Orchestration overhead of a mixed-panel fusion: (total − model_busy − loading) ÷ total. Target <= 2 %.
#   3. Mixed panel (smollm2-135m, gemma3-270m, qwen2.5-coder-0.5b; judge qwen2.5-coder-0.5b):
#      panel wall time with --threads 2 (seats one after another) vs --threads 4 (the planner then
#      runs 2 seats at once with 2 threads each: oversubscribed on 2 cores), under `timeout`.
#   4. Close to the limit: the mixed fusion's panel + judge + synthesis time (minus loading) ÷ the
#      time llama-bench's rates (pp256 / tg64, measured in this run) predict for its token counts.
#      Target <= 1.10.
#   5. Peak RSS vs budget on the mixed panel: ample (default), 60 % of the panel total, and just
#      above the largest model (estimates from `fusion plan --json`).
# Two llama-bench references explain what the targets cannot beat on a given machine: the cost of
# a 4-token decode step vs a 1-token one (pp4 vs pp1 at depth 256: the self-fusion floor), and the
# judge model's decode rate at the KV depth where the judge and synthesizer actually decode.
# Everything runs with --ignore-eos (fixed token counts), --seed 1 and the threads above.
#
# Before measuring, the script waits (polling every 20 s, up to QUIET_MAX seconds) until no other
# benchmark, test or build runs and the 1-minute load average is below 1.0; between steps it
# waits again if another benchmark process shows up.
#
# Environment:
#   MAX_TOKENS=128       panel tokens per answer (and the solo generation's length)
#   WRITER_TOKENS=128    judge and synthesis tokens of the measured mixed fusion
#   SHORT_TOKENS=16      judge and synthesis tokens where only the panel or memory matters
#                        (self-fusion, the concurrent run, the budget runs)
#   CONC_TIMEOUT=600     seconds the oversubscribed concurrent run may take
#   LB_REPS=2            llama-bench repetitions
#   QUIET_MAX=1800       longest wait for a quiet machine; QUIET_WAIT=0 skips the wait (development)
#   BENCH_DOC=FILE       Markdown file to update (default docs/BENCHMARKS.md; "-" to skip)
#   BENCH_KEEP=DIR       also keep every raw result (JSON, logs) in DIR
#   FUSION_BIN=PATH      use this fusion binary instead of building .build/release/fusion
#   FUSION_MODELS=DIR    models directory (default $LOCALFUSION_CACHE/models or ~/.cache/localfusion/models)
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

case "${1:-}" in
  -h|--help) awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; exit 0 ;;
  "") ;;
  *) lf_die "unknown argument: $1 (see --help)" ;;
esac

MAX_TOKENS="${MAX_TOKENS:-128}"
WRITER_TOKENS="${WRITER_TOKENS:-128}"
SHORT_TOKENS="${SHORT_TOKENS:-16}"
CONC_TIMEOUT="${CONC_TIMEOUT:-600}"
LB_REPS="${LB_REPS:-2}"
QUIET_MAX="${QUIET_MAX:-1800}"
QUIET_WAIT="${QUIET_WAIT:-1}"
DOC="${BENCH_DOC:-$LF_ROOT/docs/BENCHMARKS.md}"
MODELS_DIR="${FUSION_MODELS:-$LF_CACHE/models}"
case "$MAX_TOKENS$WRITER_TOKENS$SHORT_TOKENS$CONC_TIMEOUT$LB_REPS$QUIET_MAX" in
  *[!0-9]*) lf_die "MAX_TOKENS, WRITER_TOKENS, SHORT_TOKENS, CONC_TIMEOUT, LB_REPS and QUIET_MAX must be whole numbers" ;;
esac

SEQ_THREADS=2      # the planner plans for this many cores: seats decode one after another
CONC_THREADS=4     # planned as 4 cores: 2 seats at once, 2 threads each (oversubscribed on 2 cores)
SEED=1
SELF_MODEL=qwen2.5-coder-0.5b
PANEL=(smollm2-135m gemma3-270m qwen2.5-coder-0.5b)
JUDGE=qwen2.5-coder-0.5b
QUESTION="Explain how a hash table works and how it handles collisions."

invocation=""
for v in MAX_TOKENS WRITER_TOKENS SHORT_TOKENS CONC_TIMEOUT LB_REPS; do
  if printenv "$v" >/dev/null; then invocation+="$v=${!v} "; fi
done
invocation+="scripts/bench/fusion.sh"
command -v python3 >/dev/null 2>&1 || lf_die "python3 is required (JSON parsing)"
command -v timeout >/dev/null 2>&1 || lf_die "coreutils' timeout is required"
cd "$LF_ROOT"

HELPER="$LF_ROOT/scripts/bench/fusion_bench.py"
[ -f "$HELPER" ] || lf_die "missing $HELPER"
py() { python3 -B "$HELPER" "$@"; }

work="$(mktemp -d)"
keep_work() {
  if [ -n "${BENCH_KEEP:-}" ]; then
    mkdir -p "$BENCH_KEEP" && cp -r "$work"/. "$BENCH_KEEP"/ && lf_log "raw results kept in $BENCH_KEEP"
  fi
  rm -rf "$work"
}
trap keep_work EXIT
: >"$work/status.tsv"; : >"$work/commands.md"; : >"$work/rates.txt"

# --- Waiting for a quiet machine ------------------------------------------------------------------
BUSY_PATTERN='throughput.sh|swift-test|xctest|swift-build|llama-bench|fusion (ask|generate)'

# Is PID this script, one of its ancestors, or one of its descendants?
is_ours() {
  local pid="$1" p
  p="$$"
  while [ -n "$p" ] && [ "$p" -gt 1 ]; do       # ancestors (and ourselves)
    [ "$p" = "$pid" ] && return 0
    p="$(awk '{ print $4 }' "/proc/$p/stat" 2>/dev/null || true)"
  done
  p="$pid"
  while [ -n "$p" ] && [ "$p" -gt 1 ]; do       # descendants
    [ "$p" = "$$" ] && return 0
    p="$(awk '{ print $4 }' "/proc/$p/stat" 2>/dev/null || true)"
  done
  return 1
}

# Other benchmark/test/build processes, one "PID COMMAND" a line. Command lines that merely
# mention the pattern (someone else's `pgrep -f …` wait loop) are not work.
foreign_busy() {
  local pid cmd
  for pid in $(pgrep -f "$BUSY_PATTERN" || true); do
    is_ours "$pid" && continue
    cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
    [ -n "$cmd" ] || continue
    case "$cmd" in *pgrep*) continue ;; esac
    printf '%s %s\n' "$pid" "${cmd:0:120}"
  done
}

# wait_quiet full|procs: "full" also needs the 1-minute load average below 1.0 (before the first
# measurement); "procs" only waits for other benchmark processes (our own runs raise the load).
wait_quiet() {
  [ "$QUIET_WAIT" = 0 ] && return 0
  local mode="$1" start now busy load last_log=0
  start="$(date +%s)"
  while :; do
    busy="$(foreign_busy)"
    load="$(cut -d' ' -f1 /proc/loadavg)"
    if [ -z "$busy" ] && { [ "$mode" != full ] || awk -v l="$load" 'BEGIN { exit !(l < 1.0) }'; }; then
      return 0
    fi
    now="$(date +%s)"
    if [ $((now - start)) -ge "$QUIET_MAX" ]; then
      lf_die "the machine was not quiet within ${QUIET_MAX} s (load $load${busy:+; running: $(echo "$busy" | head -3 | tr '\n' ';')})"
    fi
    if [ $((now - last_log)) -ge 60 ]; then
      lf_log "waiting for a quiet machine: load $load${busy:+, running: $(echo "$busy" | head -2 | tr '\n' ';')}"
      last_log="$now"
    fi
    sleep 20
  done
}

# --- Tools ----------------------------------------------------------------------------------------
prefix="$(scripts/build-llama.sh --print-prefix 2>/dev/null || true)"
llama_bench="${prefix:+$prefix/bin/llama-bench}"
if [ -z "$llama_bench" ] || [ ! -x "$llama_bench" ]; then
  wait_quiet procs
  lf_log "building llama.cpp with llama-bench"
  scripts/build-llama.sh --tools >&2 || lf_die "scripts/build-llama.sh --tools failed"
  prefix="$(scripts/build-llama.sh --print-prefix)"
  llama_bench="$prefix/bin/llama-bench"
  [ -x "$llama_bench" ] || lf_die "no llama-bench in $prefix/bin"
fi

if [ -n "${FUSION_BIN:-}" ]; then
  fusion="$FUSION_BIN"
else
  wait_quiet procs
  lf_log "fusion (release, incremental build)"
  swift build -c release --product fusion >&2 || lf_die "swift build -c release --product fusion failed"
  fusion="$(swift build -c release --show-bin-path)/fusion"
fi
[ -x "$fusion" ] || lf_die "fusion binary not found: $fusion"

model_path() {
  local p="$MODELS_DIR/$1.gguf"
  [ -f "$p" ] || lf_die "model $1 not found at $p (fusion models pull $1)"
  echo "$p"
}
for m in "${PANEL[@]}" "$JUDGE" "$SELF_MODEL"; do model_path "$m" >/dev/null; done
models_flag=()
if [ -n "${FUSION_MODELS:-}" ]; then models_flag=(--models-dir "$FUSION_MODELS"); fi

# Record a command for the report, shortened for reading ($HOME → ~, the repository → relative).
record() {
  local line="" a q
  for a in "$@"; do
    a="${a#"$LF_ROOT"/}"; a="${a/#"$HOME"/\~}"
    case "$a" in
      *[[:space:]\"\'\$\`\\]*) q="\"${a//\"/\\\"}\"" ;;
      *) q="$a" ;;
    esac
    line+="${line:+ }$q"
  done
  # shellcheck disable=SC2016 # the backticks are Markdown
  printf -- '- `%s`\n' "$line" >>"$work/commands.md"
}

status() { printf '%s\t%s\n' "$1" "$2" >>"$work/status.tsv"; }

# run_ask NAME [timeout SECONDS] -- ARGS...: `fusion ask --json ARGS` into $work/NAME.json.
# Returns 0 when the result is ok; otherwise records why in status.tsv and returns 1.
run_ask() {
  local name="$1" limit="" rc=0 reason
  shift
  if [ "$1" = timeout ]; then limit="$2"; shift 2; fi
  [ "$1" = -- ] && shift
  local cmd=("$fusion" ask --json "${models_flag[@]}" "$@" "$QUESTION")
  if [ -n "$limit" ]; then cmd=(timeout --signal=TERM --kill-after=30 "$limit" "${cmd[@]}"); fi
  wait_quiet procs
  record "${cmd[@]}"
  lf_log "$name: fusion ask $*"
  "${cmd[@]}" >"$work/$name.json" 2>"$work/$name.log" || rc=$?
  if [ -n "$limit" ] && { [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; }; then
    lf_log "$name: timed out after $limit s"
    status "$name" "timeout (> $limit s)"
    return 1
  fi
  if [ "$rc" -ne 0 ]; then
    reason="$(py ask-check "$work/$name.json" 2>&1 || true)"
    [ -n "$reason" ] || reason="$(tail -1 "$work/$name.log")"
    lf_log "$name: fusion ask exited with $rc: $reason"
    tail -5 "$work/$name.log" >&2 || true
    status "$name" "failed (exit $rc: ${reason:0:80})"
    return 1
  fi
  if ! reason="$(py ask-check "$work/$name.json" 2>&1)"; then
    lf_log "$name: $reason"
    status "$name" "failed (${reason:0:80})"
    return 1
  fi
  status "$name" ok
}

failures=()
csv() { local IFS=,; echo "$*"; }

# --- Wait, then measure ---------------------------------------------------------------------------
lf_log "waiting until no other benchmark/test/build runs and the load average is below 1.0"
wait_quiet full
started="$(date '+%F %T %Z')"
# CPU time the whole machine spent busy vs the time our own runs used, to flag interference.
cpu_busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
cpu_steal_ticks() { awk '/^cpu / { print $9 }' /proc/stat; }
own_ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$$/stat"; }
busy0="$(cpu_busy_ticks)"; steal0="$(cpu_steal_ticks)"; own0="$(own_ticks)"; wall0="$(date +%s.%N)"
lf_log "quiet (load $(cut -d' ' -f1 /proc/loadavg)); measuring"

# llama-bench rates, in two passes: one now (it also brings the model files into the page cache)
# and one right after the mixed fusion. Item 4 uses the faster of the two for each rate, so noise
# on this shared machine cannot make llama.cpp's limit look slower than it is.
lb_commit="?"
llama_bench_pass() {
  local pass="$1" m path pp tg
  for m in "${PANEL[@]}"; do
    wait_quiet procs
    path="$(model_path "$m")"
    cmd=("$llama_bench" -m "$path" -p 256 -n 64 -t "$SEQ_THREADS" -r "$LB_REPS" -o json)
    if [ "$pass" = 1 ]; then record "${cmd[@]}"; fi
    lf_log "$m: llama-bench (pass $pass)"
    "${cmd[@]}" >"$work/lb-$m-$pass.json" 2>"$work/lb-$m.log" \
      || { tail -20 "$work/lb-$m.log" >&2; lf_die "llama-bench failed for $m"; }
    read -r pp tg lb_commit <<<"$(py llama-bench "$work/lb-$m-$pass.json")" || lf_die "cannot read llama-bench output for $m"
    echo "$m $pp $tg $lb_commit $pass" >>"$work/rates.txt"
    lf_log "$m: pp256 $pp tok/s, tg64 $tg tok/s"
  done
}
llama_bench_pass 1

# llama.cpp's own cost of one decode step of 4 tokens vs 1 token (at a KV depth of 256, about the
# mean depth of a 4 × 128-token self-fusion): the floor the self-fusion ratio can reach with this
# llama.cpp build, model quantization and core count.
wait_quiet procs
cmd=("$llama_bench" -m "$(model_path "$SELF_MODEL")" -p "1,4" -n 0 -d 256 -t "$SEQ_THREADS" -r 3 -o json)
record "${cmd[@]}"
lf_log "$SELF_MODEL: llama-bench batch of 1 vs 4 tokens"
"${cmd[@]}" >"$work/lb-batch.json" 2>"$work/lb-batch.log" \
  || { tail -20 "$work/lb-batch.log" >&2; lf_log "llama-bench (batch floor) failed: the reference is left out"; rm -f "$work/lb-batch.json"; }

# 1. Solo generation of the same length and prompt, then self-fusion.
wait_quiet procs
cmd=("$fusion" generate -m "$SELF_MODEL" "${models_flag[@]}" --json --temperature 0 --max-tokens "$MAX_TOKENS"
     --ignore-eos --seed "$SEED" --threads "$SEQ_THREADS" "$QUESTION")
record "${cmd[@]}"
lf_log "solo: fusion generate -m $SELF_MODEL --max-tokens $MAX_TOKENS"
if "${cmd[@]}" >"$work/solo.json" 2>"$work/solo.log" && py generate-check "$work/solo.json"; then
  status solo ok
else
  tail -5 "$work/solo.log" >&2 || true
  status solo "failed"; failures+=(solo)
fi
run_ask self -- --self 4 -m "$SELF_MODEL" --ignore-eos --max-tokens "$MAX_TOKENS" \
    --judge-max-tokens "$SHORT_TOKENS" --synthesis-max-tokens "$SHORT_TOKENS" --seed "$SEED" \
    --threads "$SEQ_THREADS" || failures+=(self)

# 2–4. The mixed panel, sequential (measured in full) and concurrent (panel only matters).
mixed=(--panel "$(csv "${PANEL[@]}")" --judge "$JUDGE" --ignore-eos --max-tokens "$MAX_TOKENS" --seed "$SEED")
run_ask mixed-seq -- "${mixed[@]}" --judge-max-tokens "$WRITER_TOKENS" --synthesis-max-tokens "$WRITER_TOKENS" \
    --threads "$SEQ_THREADS" || failures+=(mixed-seq)
llama_bench_pass 2

# The judge and synthesizer decode deep in their context (after the panel's answers), where a
# decode step costs more than llama-bench's tg64 on an empty cache: measure the judge model's
# decode rate at the mean KV depth of its decoded tokens, as a second reference for item 4.
if grep -q $'^mixed-seq\tok' "$work/status.tsv"; then
  depth="$(py writer-depth "$work/mixed-seq.json")" || lf_die "cannot compute the judge model's KV depth"
  wait_quiet procs
  cmd=("$llama_bench" -m "$(model_path "$JUDGE")" -p 0 -n 64 -d "$depth" -t "$SEQ_THREADS" -r "$LB_REPS" -o json)
  record "${cmd[@]}"
  lf_log "$JUDGE: llama-bench tg64 at depth $depth"
  "${cmd[@]}" >"$work/lb-depth.json" 2>"$work/lb-depth.log" \
    || { tail -20 "$work/lb-depth.log" >&2; lf_log "llama-bench (depth) failed: the reference is left out"; rm -f "$work/lb-depth.json"; }
fi
if ! run_ask mixed-conc timeout "$CONC_TIMEOUT" -- "${mixed[@]}" --judge-max-tokens "$SHORT_TOKENS" \
    --synthesis-max-tokens "$SHORT_TOKENS" --threads "$CONC_THREADS"; then
  grep -q $'^mixed-conc\ttimeout' "$work/status.tsv" || failures+=(mixed-conc)   # a timeout is a result
fi

# 5. Budgets from the plan's estimates.
cmd=("$fusion" plan --json "${models_flag[@]}" "${mixed[@]}" --threads "$SEQ_THREADS")
record "${cmd[@]}"
"${cmd[@]}" >"$work/plan.json" 2>"$work/plan.log" || { tail -5 "$work/plan.log" >&2; lf_die "fusion plan failed"; }
# The budget covers the whole process: the engine keeps part of it for itself. A plan with a
# known budget shows how much (asked − budget.bytes).
probe=$((2 * 1024 * 1024 * 1024))
cmd=("$fusion" plan --json "${models_flag[@]}" "${mixed[@]}" --threads "$SEQ_THREADS" --memory-budget "$probe")
record "${cmd[@]}"
"${cmd[@]}" >"$work/plan-probe.json" 2>"$work/plan.log" || { tail -5 "$work/plan.log" >&2; lf_die "fusion plan --memory-budget $probe failed"; }
py budgets "$work/plan.json" "$work/plan-probe.json" "$probe" >"$work/budgets.txt" || lf_die "cannot read the plan's estimates"
read -r panel_total largest sixty above overhead <"$work/budgets.txt"
lf_log "panel total $panel_total B, largest model $largest B, engine's own share $overhead B → budgets: ample, $sixty B, $above B"
budget_common=("${mixed[@]}" --judge-max-tokens "$SHORT_TOKENS" --synthesis-max-tokens "$SHORT_TOKENS" --threads "$SEQ_THREADS")
run_ask budget-ample -- "${budget_common[@]}" || failures+=(budget-ample)
run_ask budget-sixty -- "${budget_common[@]}" --memory-budget "$sixty" || failures+=(budget-sixty)
run_ask budget-above -- "${budget_common[@]}" --memory-budget "$above" || failures+=(budget-above)

# --- Report ---------------------------------------------------------------------------------------
busy1="$(cpu_busy_ticks)"; steal1="$(cpu_steal_ticks)"; own1="$(own_ticks)"; wall1="$(date +%s.%N)"
hz="$(getconf CLK_TCK 2>/dev/null || echo 100)"
interference="$(awk -v b="$((busy1 - busy0))" -v o="$((own1 - own0))" -v st="$((steal1 - steal0))" \
  -v w0="$wall0" -v w1="$wall1" -v hz="$hz" 'BEGIN {
    w = w1 - w0; if (w <= 0) w = 1
    other = (b - o) / hz / w * 100; if (other < 0) other = 0
    printf "%.0f %.1f %.1f", w, other, st / hz / w * 100 }')"
read -r measured_s other_pct steal_pct <<<"$interference"
lf_log "measurement took ${measured_s} s; other processes used ${other_pct} % of a core on average, steal ${steal_pct} %"
lscpu_field() { lscpu 2>/dev/null | sed -n "s/^$1:[[:space:]]*//p" | head -1; }
cpu="$(lscpu_field 'Model name')"
[ -n "$cpu" ] || cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)"
[ -n "$cpu" ] || cpu="unknown CPU"
cores="$(nproc)"
mem="$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || echo "?")"
isa="$(lscpu_field Flags | tr ' ' '\n' | grep -E '^(avx|avx2|avx512f|avx512_vnni|avx512_bf16|amx_tile|fma|f16c)$' | tr '\n' ' ' || true)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo '?')"
if [ -n "$(git status --porcelain -- Sources Package.swift 2>/dev/null)" ]; then commit+=" (with uncommitted changes)"; fi
source_line="$(sed -n 's/^source=//p' "$prefix/localfusion-build.txt" 2>/dev/null || true)"
{
  echo "### Setup"
  echo
  echo "- Date: $started; command: \`$invocation\`."
  echo "- Machine: $cpu; nproc $cores; lscpu: $(lscpu_field 'CPU(s)') CPU(s), $(lscpu_field 'Thread(s) per core') thread(s) per core," \
       "$(lscpu_field 'Core(s) per socket') core(s) per socket, $(lscpu_field 'Socket(s)') socket(s), L3 $(lscpu_field 'L3 cache' || true)," \
       "hypervisor $(lscpu_field 'Hypervisor vendor' || true); ISA: ${isa:-?}; RAM $mem; $(uname -sr)."
  echo "- fusion $commit; llama.cpp ${source_line:-?}, build $lb_commit."
  echo "- Question: \"$QUESTION\" (chat template, same prompt for \`generate\` and every seat)."
  echo "- Every run: --ignore-eos, --seed $SEED; panel $MAX_TOKENS tokens per answer; judge and synthesis" \
       "$WRITER_TOKENS tokens in the measured mixed fusion, $SHORT_TOKENS where only the panel or memory matters."
  echo "- Interference: the measurements took ${measured_s} s, during which other processes used ${other_pct} % of" \
       "one core on average (machine busy time minus our own runs' CPU time, from /proc/stat) and the" \
       "hypervisor stole ${steal_pct} %. The script waits for no other benchmark/test/build and a load below 1.0 first."
  echo "- llama-bench rates: the faster of two passes (before the fusion runs, and right after the mixed fusion)."
  echo "- Commands, in order:"
  sed 's/^/  /' "$work/commands.md"
} >"$work/details.md"

echo
if [ "$DOC" != "-" ]; then mkdir -p "$(dirname "$DOC")"; fi
py report "$work" "$DOC" "## Fusion benchmarks $(date +%F), $cpu, $cores cores" || lf_die "report failed"
if [ ${#failures[@]} -gt 0 ]; then lf_die "failed: ${failures[*]} (see the table)"; fi
