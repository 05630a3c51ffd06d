#!/usr/bin/env bash
# Check fusion's OpenAI-compatible API with the real `openai` Python client, end to end.
#
#   scripts/test-openai-client.sh
#
# Starts `fusion serve --port 0 --api-key RANDOM`, installs the `openai` package from PyPI into a
# throwaway venv (deleted on exit; pip's cache makes reruns fast) and runs
# scripts/openai_client_test.py against it: models.list, one local model, `fusion` (default preset),
# `fusion/fast` streamed with usage, the fusion plugin through extra_body, the fusion server tool,
# and the client's error classes (wrong key, unknown model, bad parameter). Finally SIGTERM must
# stop the server with exit status 0 within its grace period.
# Needs the models of scripts/test.sh (smollm2-135m gemma3-270m qwen2.5-coder-0.5b qwen2.5-coder-1.5b).
# Prints one PASS/FAIL line per check and a summary; exits non-zero if any check fails.
#
# Environment:
#   FUSION_BIN=PATH    the fusion binary (default: $(swift build --show-bin-path)/fusion)
#   FUSION_MODELS=DIR  models directory (default $LOCALFUSION_CACHE/models or ~/.cache/localfusion/models)
#   OPENAI_PIP_SPEC    what to pip install (default: openai)
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

case "${1:-}" in
  -h|--help) awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; exit 0 ;;
  "") ;;
  *) lf_die "unknown argument: $1 (see --help)" ;;
esac
cd "$LF_ROOT"

START_TIMEOUT=60   # seconds until the server must print its listening line
GRACE=10           # the server's --grace (seconds running requests get on shutdown)

fusion="${FUSION_BIN:-$(swift build --show-bin-path)/fusion}"
[ -x "$fusion" ] || lf_die "fusion binary not found: $fusion (swift build, or set FUSION_BIN)"
command -v python3 >/dev/null 2>&1 || lf_die "python3 is required"

work="$(mktemp -d)"
server_pid=""
# shellcheck disable=SC2317 # called from the EXIT trap
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
# shellcheck disable=SC2317 # the EXIT trap
cleanup() { stop_server; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- A throwaway venv with the real openai package ------------------------------------------------
# python3 -m venv needs ensurepip, which Debian/Ubuntu ship separately (python3-venv).
install_venv_package() {
  local sudo="" pkgs=(python3-venv) ver
  ver="$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
  [ "$(uname -s)" = Linux ] || lf_die "python3 -m venv does not work; install Python's venv module"
  command -v apt-get >/dev/null 2>&1 || lf_die "python3 -m venv does not work and there is no apt-get: install python3-venv"
  [ "$(id -u)" -ne 0 ] && { command -v sudo >/dev/null 2>&1 && sudo="sudo" || lf_die "need root (or sudo) to apt-get install python3-venv"; }
  if apt-cache show "python$ver-venv" >/dev/null 2>&1; then pkgs+=("python$ver-venv"); fi
  lf_log "installing ${pkgs[*]} (python3 -m venv needs it)"
  # apt-get update once per machine run, as lf_ensure_build_tools does.
  if [ ! -f "$LF_CACHE/.apt-updated" ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ]; then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq >&2 || lf_die "apt-get update failed"
    mkdir -p "$LF_CACHE" && touch "$LF_CACHE/.apt-updated"
    if apt-cache show "python$ver-venv" >/dev/null 2>&1 && [ ${#pkgs[@]} -eq 1 ]; then pkgs+=("python$ver-venv"); fi
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${pkgs[@]}" >&2 || lf_die "apt-get install ${pkgs[*]} failed"
}

venv="$work/venv"
if ! python3 -m venv "$venv" >"$work/venv.log" 2>&1; then
  rm -rf "$venv"
  install_venv_package
  python3 -m venv "$venv" >"$work/venv.log" 2>&1 || { cat "$work/venv.log" >&2; lf_die "python3 -m venv failed"; }
fi
lf_log "installing ${OPENAI_PIP_SPEC:-openai} from PyPI into a throwaway venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${OPENAI_PIP_SPEC:-openai}" >&2 \
  || lf_die "pip install ${OPENAI_PIP_SPEC:-openai} failed"

# --- The server ---------------------------------------------------------------------------------
api_key="lf-test-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
models_flag=()
if [ -n "${FUSION_MODELS:-}" ]; then models_flag=(--models-dir "$FUSION_MODELS"); fi
lf_log "starting $fusion serve --port 0"
"$fusion" serve --port 0 --api-key "$api_key" --grace "$GRACE" "${models_flag[@]}" 2>"$work/serve.log" &
server_pid=$!

port=""
deadline=$((SECONDS + START_TIMEOUT))
while [ -z "$port" ]; do
  port="$(sed -n 's|^fusion serve: listening on http://[^ ]*:\([0-9][0-9]*\) .*|\1|p' "$work/serve.log" | head -1)"
  [ -n "$port" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    cat "$work/serve.log" >&2; server_pid=""; lf_die "fusion serve exited before listening"
  fi
  [ "$SECONDS" -lt "$deadline" ] || { cat "$work/serve.log" >&2; lf_die "fusion serve did not listen within $START_TIMEOUT s"; }
  sleep 0.2
done
lf_log "fusion serve (pid $server_pid) listens on port $port"

# --- The client test ----------------------------------------------------------------------------
status=0
FUSION_PORT="$port" FUSION_API_KEY="$api_key" \
  "$venv/bin/python" -B "$LF_ROOT/scripts/openai_client_test.py" || status=$?

# --- Graceful shutdown --------------------------------------------------------------------------
# SIGTERM: stop accepting, let running requests finish (none now), exit 0 within the grace period.
if kill -0 "$server_pid" 2>/dev/null; then
  t0=$SECONDS
  kill -TERM "$server_pid"
  rc=""
  for _ in $(seq $(((GRACE + 5) * 5))); do
    if ! kill -0 "$server_pid" 2>/dev/null; then rc=0; wait "$server_pid" || rc=$?; break; fi
    sleep 0.2
  done
  if [ "$rc" = 0 ]; then
    echo "PASS  SIGTERM stops fusion serve with exit 0 ($((SECONDS - t0)) s)"
    server_pid=""
  elif [ -n "$rc" ]; then
    echo "FAIL  SIGTERM: fusion serve exited with $rc"; server_pid=""; status=1
  else
    echo "FAIL  SIGTERM: fusion serve still runs after $((GRACE + 5)) s"; status=1
  fi
else
  echo "FAIL  fusion serve died during the test"; server_pid=""; status=1
  tail -20 "$work/serve.log" >&2
fi

if [ "$status" -ne 0 ]; then
  lf_log "server log (last 30 lines):"
  tail -30 "$work/serve.log" >&2
  echo "OpenAI client test: FAILED"
else
  echo "OpenAI client test: all checks passed"
fi
exit "$status"
