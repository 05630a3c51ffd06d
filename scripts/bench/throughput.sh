#!/usr/bin/env bash
# Compare fusion's prefill and decode speed with llama.cpp's own llama-bench, model by model,
# in one run, on the same threads, and record the result in docs/BENCHMARKS.md.
#
#   scripts/bench/throughput.sh [MODEL_ID...]   # default: every catalog model that is present
#
# For each model:
#   llama-bench -m PATH -p 256 -n 64 -d 0,256 -r 3 -t THREADS -o json
#       prefill = pp256 on an empty cache; decode = tg64 with 256 tokens already in the cache
#   fusion generate -m PATH --json --raw --ignore-eos --temperature 0 --max-tokens 64 --threads THREADS PROMPT
#       3 runs with a ~256-token raw PROMPT; the median of each rate is reported
# Why -d 256: our decode runs right after the 256-token prompt, so llama-bench's decode is measured
# at the same depth (attention over the cached prompt slows each decode step, most visibly on
# small models). BENCH_DEPTH=0 compares against llama-bench's plain tg64 instead.
#
# Environment:
#   THREADS=2          threads for both sides (default 2)
#   BENCH_DEPTH=256    KV depth of llama-bench's decode test (default: the prompt size, 256)
#   BENCH_DOC=FILE     Markdown file to update (default docs/BENCHMARKS.md; "-" to skip)
#   FUSION_BIN=PATH    use this fusion binary instead of building .build/release/fusion
#   FUSION_MODELS=DIR  models directory (default $LOCALFUSION_CACHE/models or ~/.cache/localfusion/models)
# The target is a ratio of at least 0.97 for both prefill and decode.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

case "${1:-}" in
  -h|--help) awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; exit 0 ;;
esac

THREADS="${THREADS:-2}"
PP=256           # prompt tokens (prefill)
TG=64            # generated tokens (decode)
REPS=3           # llama-bench repetitions and fusion runs
DEPTH="${BENCH_DEPTH:-$PP}"
DOC="${BENCH_DOC:-$LF_ROOT/docs/BENCHMARKS.md}"
MODELS_DIR="${FUSION_MODELS:-$LF_CACHE/models}"
CATALOG="$LF_ROOT/models/catalog.json"
case "$THREADS$DEPTH" in *[!0-9]*) lf_die "THREADS and BENCH_DEPTH must be whole numbers" ;; esac
# llama-bench runs every test at every listed depth; prefill is read at depth 0, decode at DEPTH.
depths="0"
if [ "$DEPTH" -gt 0 ]; then depths="0,$DEPTH"; fi
command -v python3 >/dev/null 2>&1 || lf_die "python3 is required (JSON parsing)"
invocation="THREADS=$THREADS scripts/bench/throughput.sh${*:+ $*}"
cd "$LF_ROOT"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# All JSON handling in one stdlib-only Python helper: `python3 $work/bench.py COMMAND ARGS...`.
cat > "$work/bench.py" <<'PY'
import json, re, statistics, sys

def load(path):
    with open(path) as f:
        return json.load(f)

def field(obj, path):                   # "usage.prompt_tokens"; accepts camelCase keys too
    for key in path.split("."):
        camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), key)
        if not isinstance(obj, dict) or (key not in obj and camel not in obj):
            sys.exit(f"fusion --json output has no {path}")
        obj = obj[key] if key in obj else obj[camel]
    return obj

def catalog(path):                      # id <TAB> file, one per catalog model
    for m in load(path)["models"]:
        print(f'{m["id"]}\t{m.get("file", m["id"] + ".gguf")}')

def info_path(path):                    # "path" from `fusion models info --json`
    print(load(path).get("path", ""))

def llama_bench(path, pp, tg, depth):   # pp256 at depth 0, tg64 at `depth`, build commit
    rows = load(path)
    def rate(n_prompt, n_gen, n_depth):
        for r in rows:
            if (r["n_prompt"], r["n_gen"], r.get("n_depth", 0)) == (n_prompt, n_gen, n_depth):
                return r["avg_ts"]
        sys.exit(f"llama-bench output has no test p={n_prompt} n={n_gen} d={n_depth}")
    print(f'{rate(int(pp), 0, 0):.2f} {rate(0, int(tg), int(depth)):.2f} {rows[0].get("build_commit", "?")}')

def prompt_tokens(path):
    print(int(field(load(path), "usage.prompt_tokens")))

def ours(*paths):                       # median prefill and decode rates, prompt tokens
    runs = [load(p) for p in paths]
    pp = statistics.median(float(field(r, "timings.prefill_tokens_per_second")) for r in runs)
    tg = statistics.median(float(field(r, "timings.decode_tokens_per_second")) for r in runs)
    print(f'{pp:.2f} {tg:.2f} {int(field(runs[0], "usage.prompt_tokens"))}')

TEXT = ("The committee met on a cold morning in early spring to review the plans for the new "
        "library. Several members argued that the reading rooms should face the river, while "
        "others preferred a quiet courtyard with trees and a small fountain. After a long "
        "discussion about costs, light, noise and the needs of students, they agreed to ask "
        "three architects for sketches and to meet again before the end of the month. ")

def prompt(words):                      # the first N words of TEXT, repeated as needed
    pool = TEXT.split()
    print(" ".join(pool[i % len(pool)] for i in range(int(words))))

def ratio(ours, theirs):
    return float(ours) / float(theirs) if float(theirs) > 0 else float("nan")

def report(results, doc, heading, details):
    header = ["model", "ours pp", "llama-bench pp", "ratio", "ours tg", "llama-bench tg", "ratio"]
    rows = []
    for line in open(results):
        model, opp, lpp, otg, ltg = line.split()[:5]
        rows.append([model, opp, lpp, f"{ratio(opp, lpp):.3f}", otg, ltg, f"{ratio(otg, ltg):.3f}"])
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    fmt = lambda r: " | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    print(fmt(header))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(fmt(r))
    below = [f"{r[0]} ({name})" for r in rows for name, v in (("pp", r[3]), ("tg", r[6])) if not float(v) >= 0.97]
    print("target ratio >= 0.97: " + ("met" if not below else "NOT met for " + ", ".join(below)))
    if doc == "-":
        return
    table = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    table += ["| " + " | ".join(r) + " |" for r in rows]
    section = [f"## {heading}", ""] + table + [""] + open(details).read().rstrip("\n").split("\n") + [""]
    try:
        lines = open(doc).read().rstrip("\n").split("\n")
    except FileNotFoundError:
        lines = ["# Benchmarks", "",
                 "Written by `scripts/bench/throughput.sh`; a rerun on the same day, CPU and thread count replaces its section.",
                 "Rates are tokens per second; a ratio is ours / llama-bench (target: at least 0.97).", ""]
    # Replace the section with the same heading (up to the next "## "), or append a new one.
    out, i, replaced = [], 0, False
    while i < len(lines):
        if lines[i] == f"## {heading}":
            out += section
            replaced = True
            i += 1
            while i < len(lines) and not lines[i].startswith("## "):
                i += 1
            continue
        out.append(lines[i])
        i += 1
    if not replaced:
        if out and out[-1] != "":
            out.append("")
        out += section
    while out and out[-1] == "":
        out.pop()
    with open(doc, "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"updated {doc}", file=sys.stderr)

globals()[sys.argv[1].replace("-", "_")](*sys.argv[2:])
PY
py() { python3 "$work/bench.py" "$@"; }

# --- Build both sides ---------------------------------------------------------------------------
lf_log "llama.cpp with llama-bench"
scripts/build-llama.sh --tools
prefix="$(scripts/build-llama.sh --print-prefix)"
llama_bench="$prefix/bin/llama-bench"
[ -x "$llama_bench" ] || lf_die "no llama-bench in $prefix/bin (scripts/build-llama.sh --tools should build it)"

if [ -n "${FUSION_BIN:-}" ]; then
  fusion="$FUSION_BIN"
else
  lf_log "fusion (release)"
  swift build -c release --product fusion >&2
  fusion="$(swift build -c release --show-bin-path)/fusion"
fi
[ -x "$fusion" ] || lf_die "fusion binary not found: $fusion"

# --- Which models ---------------------------------------------------------------------------------
declare -A catalog_file=()
while IFS=$'\t' read -r id file; do catalog_file[$id]="$file"; done < <(py catalog "$CATALOG")

# The CLI knows where a model lives (`models info --json` has "path"); the catalog's file name in
# the models directory is the fallback, so the benchmark still works if `info` changes.
model_path() {
  local id="$1" path=""
  if "$fusion" models info "$1" --json >"$work/info.json" 2>/dev/null; then
    path="$(py info-path "$work/info.json" 2>/dev/null || true)"
  fi
  if [ -z "$path" ] || [ ! -f "$path" ]; then
    path="$MODELS_DIR/${catalog_file[$id]:-$id.gguf}"
  fi
  [ -f "$path" ] && echo "$path"
}

models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  while IFS=$'\t' read -r id _; do
    if model_path "$id" >/dev/null; then models+=("$id"); fi
  done < <(py catalog "$CATALOG")
  [ ${#models[@]} -gt 0 ] || lf_die "no catalog model is present in $MODELS_DIR (fusion models pull smollm2-135m)"
fi
lf_log "models: ${models[*]} (threads $THREADS, llama-bench decode depth $DEPTH)"

# --- One model ------------------------------------------------------------------------------------
# Called as `bench_model ID || ...`: errexit is off inside, so every step checks itself.
bench_model() {
  local id="$1" path lb pp_lb tg_lb commit words tokens i prompt
  path="$(model_path "$id")" || { lf_log "$id: not found (fusion models pull $id)"; return 1; }

  lf_log "$id: llama-bench ($REPS repetitions)"
  "$llama_bench" -m "$path" -p "$PP" -n "$TG" -d "$depths" -r "$REPS" -t "$THREADS" -o json \
      >"$work/lb.json" 2>"$work/lb.log" || { tail -20 "$work/lb.log" >&2; return 1; }
  lb="$(py llama-bench "$work/lb.json" "$PP" "$TG" "$DEPTH")" || return 1
  read -r pp_lb tg_lb commit <<<"$lb"

  # Size the raw prompt to ~PP tokens for this model's tokenizer: measure a guess with one
  # generated token, scale, measure again. These runs also warm the page cache for the timed ones.
  words=200
  for i in 1 2; do
    "$fusion" generate -m "$path" --json --raw --ignore-eos --temperature 0 --max-tokens 1 \
        --threads "$THREADS" "$(py prompt "$words")" >"$work/calibrate.json" 2>"$work/fusion.log" \
      || { tail -20 "$work/fusion.log" >&2; return 1; }
    tokens="$(py prompt-tokens "$work/calibrate.json")" || return 1
    [ "$tokens" -gt 0 ] || { lf_log "$id: fusion reported 0 prompt tokens"; return 1; }
    words=$(( words * PP / tokens ))
  done
  prompt="$(py prompt "$words")"

  local runs=()
  for i in $(seq "$REPS"); do
    lf_log "$id: fusion generate, run $i/$REPS"
    "$fusion" generate -m "$path" --json --raw --ignore-eos --temperature 0 --max-tokens "$TG" \
        --threads "$THREADS" "$prompt" >"$work/ours-$i.json" 2>"$work/fusion.log" \
      || { tail -20 "$work/fusion.log" >&2; return 1; }
    runs+=("$work/ours-$i.json")
  done
  local ours pp_ours tg_ours prompt_tokens
  ours="$(py ours "${runs[@]}")" || return 1
  read -r pp_ours tg_ours prompt_tokens <<<"$ours"

  printf '%s %s %s %s %s\n' "$id" "$pp_ours" "$pp_lb" "$tg_ours" "$tg_lb" >>"$work/results.txt"
  # shellcheck disable=SC2016 # the backticks are Markdown
  printf -- '- %s: `%s`, our prompt %s tokens.\n' "$id" "${path/#$HOME/\~}" "$prompt_tokens" >>"$work/models.md"
  llama_commit="$commit"
}

: >"$work/results.txt"; : >"$work/models.md"
llama_commit="?"
failed=()
for id in "${models[@]}"; do
  bench_model "$id" || failed+=("$id")
done
[ -s "$work/results.txt" ] || lf_die "no model could be benchmarked (failed: ${failed[*]})"

# --- Report ---------------------------------------------------------------------------------------
cpu="$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
[ -n "$cpu" ] || cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)"
[ -n "$cpu" ] || cpu="$(sysctl -n machdep.cpu.brand_string 2>/dev/null || echo unknown CPU)"
cores="$(lf_jobs)"
source_line="$(sed -n 's/^source=//p' "$prefix/localfusion-build.txt" 2>/dev/null || true)"
depth_note="tg$TG with $DEPTH tokens already in the KV cache, like ours, which decodes after its prompt"
if [ "$DEPTH" -eq 0 ]; then depth_note="plain tg$TG on an empty KV cache"; fi
{
  echo "- Machine: $cpu, $cores cores ($(uname -sm)), $THREADS threads on both sides."
  echo "- Command: \`$invocation\`"
  echo "- llama-bench: \`llama-bench -m MODEL -p $PP -n $TG -d $depths -r $REPS -t $THREADS -o json\`;" \
       "prefill is pp$PP on an empty cache, decode is $depth_note."
  echo "- Ours: median of $REPS runs of \`fusion generate -m MODEL --json --raw --ignore-eos --temperature 0" \
       "--max-tokens $TG --threads $THREADS PROMPT\` with a ~$PP-token raw prompt (rates from its \"timings\")."
  echo "- llama.cpp: ${source_line:-unknown source}, build $llama_commit."
  cat "$work/models.md"
  if [ ${#failed[@]} -gt 0 ]; then echo "- Failed: ${failed[*]}"; fi
} >"$work/details.md"

echo
if [ "$DOC" != "-" ]; then mkdir -p "$(dirname "$DOC")"; fi
py report "$work/results.txt" "$DOC" "Throughput $(date +%F), $cpu, $THREADS threads" "$work/details.md"
if [ ${#failed[@]} -gt 0 ]; then lf_die "failed: ${failed[*]}"; fi
