#!/usr/bin/env bash
# Check scripts/eval/calls.sh, the eval's call pack in git, on real committed calls.
#
#   scripts/eval/test-calls.sh
#
# In a scratch directory of parts and an empty scratch cache (nothing in docs/eval or the user's
# cache is touched), with 80 calls taken from docs/eval/model-calls-0001.jsonl.gz:
#   1. save writes only the calls no part holds, as new parts of at most LF_CALLS_PART_LINES
#      calls, and leaves the existing part byte for byte as it was;
#   2. a second save writes nothing;
#   3. the same calls saved again elsewhere give the same bytes (so a rerun makes no git change);
#   4. load into another empty cache brings back every call, exactly the lines the parts hold.
# Prints one PASS/FAIL line per check; exits non-zero if any check fails.
#
# Environment: FUSION_BIN=PATH (default: $(swift build --show-bin-path)/fusion).
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
cd "$LF_ROOT"

fusion="${FUSION_BIN:-$(swift build --show-bin-path)/fusion}"
[ -x "$fusion" ] || lf_die "no fusion binary at $fusion (run swift build, or set FUSION_BIN)"
source_part="docs/eval/model-calls-0001.jsonl.gz"
[ -f "$source_part" ] || lf_die "missing $source_part: the test needs real committed calls"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failures=0
check() { # check NAME CONDITION...: runs the condition, prints PASS or FAIL
  local name="$1"; shift
  if "$@"; then echo "PASS $name"; else echo "FAIL $name"; failures=$((failures + 1)); fi
}
calls() { FUSION_BIN="$fusion" LOCALFUSION_CACHE="$1" LF_CALLS_DIR="$2" LF_CALLS_PART_LINES=20 \
  scripts/eval/calls.sh "$3"; }
exported() { LOCALFUSION_CACHE="$1" "$fusion" eval --export-cache - 2>/dev/null | LC_ALL=C sort; }
part_lines() { gunzip -c "$1" | wc -l | tr -d ' '; }

# 50 calls already committed as part 0001, 30 more made on "this machine" only.
# (|| true: head closing the pipe early makes gunzip fail with SIGPIPE under pipefail.)
{ gunzip -c "$source_part" || true; } | head -n 80 > "$tmp/calls.jsonl"
head -n 50 "$tmp/calls.jsonl" > "$tmp/committed.jsonl"
tail -n 30 "$tmp/calls.jsonl" > "$tmp/new.jsonl"
[ "$(LC_ALL=C sort -u "$tmp/calls.jsonl" | wc -l)" -eq 80 ] || lf_die "$source_part's first 80 lines are not 80 distinct calls"

for pack in packA packB; do
  mkdir -p "$tmp/$pack"
  gzip -9n < "$tmp/committed.jsonl" > "$tmp/$pack/model-calls-0001.jsonl.gz"
done
before="$(cksum < "$tmp/packA/model-calls-0001.jsonl.gz")"

# 1. One save: the 30 new calls become parts 0002 (20 calls) and 0003 (10 calls).
LOCALFUSION_CACHE="$tmp/cacheA" "$fusion" eval --import-cache - < "$tmp/new.jsonl" 2>/dev/null
calls "$tmp/cacheA" "$tmp/packA" save 2> "$tmp/save1.log" || { cat "$tmp/save1.log" >&2; lf_die "first save failed"; }
check "save: part 0001 unchanged" [ "$(cksum < "$tmp/packA/model-calls-0001.jsonl.gz")" = "$before" ]
check "save: new calls split into parts 0002 (20) and 0003 (10)" \
  [ "$(part_lines "$tmp/packA/model-calls-0002.jsonl.gz" 2>/dev/null):$(part_lines "$tmp/packA/model-calls-0003.jsonl.gz" 2>/dev/null)" = "20:10" ]
{ gunzip -c "$tmp/packA"/model-calls-000[23].jsonl.gz 2>/dev/null || true; } | LC_ALL=C sort > "$tmp/written.sorted"
check "save: the new parts hold exactly the 30 new calls" \
  cmp -s "$tmp/written.sorted" <(LC_ALL=C sort "$tmp/new.jsonl")

# 2. A second save has nothing to add.
calls "$tmp/cacheA" "$tmp/packA" save 2> "$tmp/save2.log" || { cat "$tmp/save2.log" >&2; lf_die "second save failed"; }
check "second save: no new part" [ "$(ls "$tmp/packA" | wc -l)" -eq 3 ]
check "second save: says the parts hold all 80 calls" grep -q "no new calls: the committed parts hold all 80" "$tmp/save2.log"

# 3. The same calls saved from another cache give the same bytes. The sleep puts the two saves in
# different seconds, so a gzip header time stamp would show as a difference.
sleep 1.1
LOCALFUSION_CACHE="$tmp/cacheB" "$fusion" eval --import-cache - < "$tmp/new.jsonl" 2>/dev/null
calls "$tmp/cacheB" "$tmp/packB" save 2> "$tmp/save3.log" || { cat "$tmp/save3.log" >&2; lf_die "save into a second pack failed"; }
check "save is reproducible: same parts, same bytes" diff -r "$tmp/packA" "$tmp/packB"

# 4. Load into an empty cache brings back every committed call.
calls "$tmp/cacheC" "$tmp/packA" load 2> "$tmp/load.log" || { cat "$tmp/load.log" >&2; lf_die "load failed"; }
exported "$tmp/cacheC" > "$tmp/loaded.sorted"
check "load: all 80 calls in the empty cache" [ "$(wc -l < "$tmp/loaded.sorted")" -eq 80 ]
check "load: the cache exports exactly the parts' lines" cmp -s "$tmp/loaded.sorted" <(LC_ALL=C sort "$tmp/calls.jsonl")

# A bad part size is refused before anything is written.
check "bad LF_CALLS_PART_LINES is refused" \
  bash -c '! LF_CALLS_PART_LINES=0 FUSION_BIN="$1" LOCALFUSION_CACHE="$2" LF_CALLS_DIR="$3" scripts/eval/calls.sh save 2>/dev/null' \
  _ "$fusion" "$tmp/cacheA" "$tmp/packA"

echo "calls.sh checks: $failures failed"
[ "$failures" -eq 0 ]
