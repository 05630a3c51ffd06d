#!/usr/bin/env bash
# From a fresh clone to an answer: build llama.cpp and the `fusion` CLI, pull the models, ask.
#
#   scripts/quickstart.sh "Why is the sky blue?"
#
# The answer goes to stdout; building and download progress go to stderr, so
# `scripts/quickstart.sh "..." > answer.txt` captures only the answer.
# Needs Swift, a C/C++ compiler and Python with pip. Later runs reuse every build and download.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

if [ $# -eq 0 ] || [ -z "$1" ]; then
  cat >&2 <<USAGE
usage: scripts/quickstart.sh "question" [fusion options...]
Builds llama.cpp and fusion, downloads the default models, and answers the question locally.
USAGE
  exit 64   # EX_USAGE, like the fusion CLI itself
fi
cd "$LF_ROOT"

# The panel of `fusion ask` (two small families, then the strongest models as judge/synthesizer).
FUSION_MODELS_DEFAULT=(smollm2-135m gemma3-270m qwen2.5-coder-0.5b qwen2.5-coder-1.5b)
# Until `fusion ask` exists, one good small model answers alone.
SINGLE_MODEL=qwen2.5-coder-0.5b

lf_log "step 1/3: llama.cpp"
scripts/build-llama.sh >&2

lf_log "step 2/3: fusion (release build; the first one takes a few minutes)"
swift build -c release --product fusion >&2
fusion="$(swift build -c release --show-bin-path)/fusion"

# Capture the help first: `fusion --help | grep -q` could kill fusion with SIGPIPE, and
# pipefail would turn that into "no ask".
help_text="$("$fusion" --help 2>/dev/null || true)"
if grep -Eq '^[[:space:]]+ask([[:space:]]|$)' <<<"$help_text"; then
  lf_log "step 3/3: models: ${FUSION_MODELS_DEFAULT[*]}"
  "$fusion" models pull "${FUSION_MODELS_DEFAULT[@]}" >&2
  exec "$fusion" ask "$@"
else
  lf_log "step 3/3: model: $SINGLE_MODEL ('fusion ask' is not available yet: answering with one model)"
  "$fusion" models pull "$SINGLE_MODEL" >&2
  exec "$fusion" generate -m "$SINGLE_MODEL" "$@"
fi
