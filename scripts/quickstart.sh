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

# Every preset's models (models/presets.json): the default preset uses the two Qwen models, the
# others add SmolLM2 and Gemma 3, so `--preset fast|budget` works afterwards too.
PRESET_MODELS=(smollm2-135m gemma3-270m qwen2.5-coder-0.5b qwen2.5-coder-1.5b)

lf_log "step 1/3: llama.cpp"
scripts/build-llama.sh >&2

lf_log "step 2/3: fusion (release build; the first one takes a few minutes)"
swift build -c release --product fusion >&2
fusion="$(swift build -c release --show-bin-path)/fusion"

lf_log "step 3/3: models: ${PRESET_MODELS[*]}"
"$fusion" models pull "${PRESET_MODELS[@]}" >&2
exec "$fusion" ask "$@"
