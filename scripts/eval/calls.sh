#!/usr/bin/env bash
# Move the eval's model-call cache through git, so a run outlives the machine that made it.
#
#   scripts/eval/calls.sh load   # add the committed calls to this machine's cache (then rerun
#                                # the same `fusion eval` command: done calls are cache hits)
#   scripts/eval/calls.sh save   # write this machine's calls, plus the committed ones, back to
#                                # docs/eval/model-calls.jsonl.gz (then commit it)
#
# Why a script: `fusion eval --export-cache - | gzip > file` truncates the committed file before
# the export runs, and would drop the calls of machines this one never imported. `save` imports
# the committed file first, exports to a temporary file, and only then replaces the old one.
#
# Environment: FUSION_BIN=PATH uses this fusion binary instead of building
# .build/release/fusion; LOCALFUSION_CACHE moves the cache as it does for `fusion eval`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
cd "$LF_ROOT"

PACK="docs/eval/model-calls.jsonl.gz"

if [ -n "${FUSION_BIN:-}" ]; then
  fusion="$FUSION_BIN"
else
  swift build -c release --product fusion >&2
  fusion="$(swift build -c release --show-bin-path)/fusion"
fi

load() {
  if [ ! -f "$PACK" ]; then
    lf_log "no $PACK yet: nothing to load"
    return 0
  fi
  gunzip -c "$PACK" | "$fusion" eval --import-cache -
}

save() {
  load
  local tmp
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  "$fusion" eval --export-cache "$tmp/calls.jsonl"
  mkdir -p "$(dirname "$PACK")"
  # -n: no name or time stamp in the header, so the same calls give the same bytes.
  gzip -9n < "$tmp/calls.jsonl" > "$tmp/calls.jsonl.gz"
  mv "$tmp/calls.jsonl.gz" "$PACK"
  lf_log "wrote $PACK ($(wc -c < "$PACK") bytes, $(wc -l < "$tmp/calls.jsonl") calls)"
}

case "${1:-}" in
  load) load ;;
  save) save ;;
  *) lf_die "usage: scripts/eval/calls.sh load|save" ;;
esac
