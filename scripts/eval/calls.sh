#!/usr/bin/env bash
# Move the eval's model-call cache through git, so a run outlives the machine that made it.
#
#   scripts/eval/calls.sh load   # add the committed calls to this machine's cache (then rerun
#                                # the same `fusion eval` command: done calls are cache hits)
#   scripts/eval/calls.sh save   # write this machine's calls that no committed part holds to a
#                                # new part, docs/eval/model-calls-NNNN.jsonl.gz (then commit it)
#
# Why parts, appended and never rewritten: one file rewritten on every save grew past 5 MB and
# added its whole size to the history each time; a new part holds only the new calls.
# Why a script: `fusion eval --export-cache - | gzip > file` would truncate a committed file before
# the export ran. `save` imports every committed part first, so the export holds them all, and
# writes the calls missing from them (a line is a call's compact, key-sorted envelope, so the same
# call always exports the same line).
#
# Environment: FUSION_BIN=PATH uses this fusion binary instead of building
# .build/release/fusion; LOCALFUSION_CACHE moves the cache as it does for `fusion eval`;
# LF_CALLS_DIR=DIR keeps the parts in DIR instead of docs/eval and LF_CALLS_PART_LINES=N caps a
# part at N calls instead of 6000 (both for scripts/eval/test-calls.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
cd "$LF_ROOT"
case "${1:-}" in load|save) ;; *) lf_die "usage: scripts/eval/calls.sh load|save" ;; esac

PACK_DIR="${LF_CALLS_DIR:-docs/eval}"
# Calls per new part: about 2 MB gzipped at this run's mean call size, well below 5 MB.
PART_LINES="${LF_CALLS_PART_LINES:-6000}"
case "$PART_LINES" in ''|*[!0-9]*|0) lf_die "LF_CALLS_PART_LINES must be a positive whole number" ;; esac

if [ -n "${FUSION_BIN:-}" ]; then
  fusion="$FUSION_BIN"
else
  swift build -c release --product fusion >&2
  fusion="$(swift build -c release --show-bin-path)/fusion"
fi

parts() {
  compgen -G "$PACK_DIR/model-calls-[0-9][0-9][0-9][0-9].jsonl.gz" | LC_ALL=C sort || true
}

load() {
  local part found=0
  while IFS= read -r part; do
    gunzip -c "$part" | "$fusion" eval --import-cache -
    found=1
  done < <(parts)
  [ "$found" = 1 ] || lf_log "no $PACK_DIR/model-calls-NNNN.jsonl.gz yet: nothing to load"
}

save() {
  local tmp part
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  # Each part is read once: imported (so the export below holds every committed call) and kept
  # for the comparison.
  : > "$tmp/committed.jsonl"
  while IFS= read -r part; do gunzip -c "$part" >> "$tmp/committed.jsonl"; done < <(parts)
  "$fusion" eval --import-cache "$tmp/committed.jsonl"
  "$fusion" eval --export-cache "$tmp/all.jsonl"
  LC_ALL=C sort -u "$tmp/committed.jsonl" -o "$tmp/committed.sorted"
  LC_ALL=C sort -u "$tmp/all.jsonl" -o "$tmp/all.sorted"
  LC_ALL=C comm -23 "$tmp/all.sorted" "$tmp/committed.sorted" > "$tmp/new.jsonl"
  local count
  count=$(wc -l < "$tmp/new.jsonl")
  if [ "$count" -eq 0 ]; then
    lf_log "no new calls: the committed parts hold all $(wc -l < "$tmp/all.jsonl")"
    return 0
  fi
  mkdir -p "$PACK_DIR"
  split -l "$PART_LINES" -a 4 "$tmp/new.jsonl" "$tmp/chunk."
  local last next chunk out
  last=$(parts | tail -1 | sed -E 's/.*model-calls-([0-9]{4})\.jsonl\.gz/\1/')
  next=$((10#${last:-0} + 1))
  for chunk in "$tmp"/chunk.*; do
    out="$PACK_DIR/$(printf 'model-calls-%04d.jsonl.gz' "$next")"
    # -n: no name or time stamp in the header, so the same calls give the same bytes.
    gzip -9n < "$chunk" > "$out"
    lf_log "wrote $out ($(wc -c < "$out") bytes, $(wc -l < "$chunk") new calls)"
    next=$((next + 1))
  done
  lf_log "committed parts now hold $(wc -l < "$tmp/all.sorted") calls"
}

"$1"
