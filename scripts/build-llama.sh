#!/usr/bin/env bash
# Build llama.cpp (static libraries + headers, optionally llama-bench and llama-server) into a
# prefix outside the repository, and point "$LF_CACHE/llama/current" at it for Package.swift.
#
#   scripts/build-llama.sh            # libraries only
#   scripts/build-llama.sh --tools    # also llama-bench and llama-server (benchmarks, remote-seat tests)
#   scripts/build-llama.sh --print-prefix
#
# Environment:
#   LLAMA_CPP_DIR=/path/to/llama.cpp   use your own checkout instead of the pinned PyPI sdist
#   LOCALFUSION_GPU=none|cuda|vulkan|metal   GPU backend (default: metal on macOS, none elsewhere)
#   LOCALFUSION_CPU_FLAGS="-DGGML_AVX2=ON ..."   override the detected x86 ISA flags
#   LOCALFUSION_CACHE=DIR              cache root (default ${XDG_CACHE_HOME:-~/.cache}/localfusion)
# Idempotent: a finished build with the same source, flags and CPU is reused.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

SDIST_NAME="llama-cpp-python"
SDIST_VERSION="0.3.36"
SDIST_SHA256="832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"
SCRIPT_REVISION=1   # bump when the build recipe changes, so old prefixes are not reused

want_tools=0
for arg in "$@"; do
  case "$arg" in
    --tools) want_tools=1 ;;
    --print-prefix) readlink -f "$LF_CACHE/llama/current" 2>/dev/null || exit 1; exit 0 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) lf_die "unknown argument: $arg (see --help)" ;;
  esac
done

sha256_of() { if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi; }

# --- 1. Source -------------------------------------------------------------------------------
fetch_sdist_source() {
  local dl="$LF_CACHE/downloads/sdist" tarball src
  tarball="$dl/llama_cpp_python-$SDIST_VERSION.tar.gz"
  if [ ! -f "$tarball" ]; then
    lf_log "downloading $SDIST_NAME==$SDIST_VERSION source from PyPI"
    mkdir -p "$dl"
    "$(lf_python)" -m pip download --quiet --no-deps --no-binary "$SDIST_NAME" \
      "$SDIST_NAME==$SDIST_VERSION" -d "$dl" >&2 || lf_die "pip download of $SDIST_NAME failed"
  fi
  local got; got="$(sha256_of "$tarball")"
  if [ "$got" != "$SDIST_SHA256" ]; then
    rm -f "$tarball"
    lf_die "sha256 mismatch for $tarball: expected $SDIST_SHA256, got $got (file removed; refusing to build)"
  fi
  src="$LF_CACHE/src/llama-cpp-python-$SDIST_VERSION"
  if [ ! -f "$src/.extracted" ]; then
    rm -rf "$src"; mkdir -p "$src"
    tar -xzf "$tarball" -C "$src" --strip-components=1
    touch "$src/.extracted"
  fi
  LLAMA_SRC="$src/vendor/llama.cpp"
  SOURCE_ID="pypi:$SDIST_NAME==$SDIST_VERSION:$SDIST_SHA256"
}

if [ -n "${LLAMA_CPP_DIR:-}" ]; then
  [ -f "$LLAMA_CPP_DIR/include/llama.h" ] || lf_die "LLAMA_CPP_DIR=$LLAMA_CPP_DIR has no include/llama.h"
  LLAMA_SRC="$(cd "$LLAMA_CPP_DIR" && pwd)"
  rev="$(git -C "$LLAMA_SRC" rev-parse HEAD 2>/dev/null || echo unversioned)"
  dirty="$(git -C "$LLAMA_SRC" status --porcelain 2>/dev/null | sha256sum 2>/dev/null | cut -c1-12 || true)"
  SOURCE_ID="dir:$LLAMA_SRC:$rev:$dirty"
else
  fetch_sdist_source
fi

# --- 2. Flags ---------------------------------------------------------------------------------
os="$(uname -s)"; arch="$(uname -m)"
gpu="${LOCALFUSION_GPU:-}"
[ -z "$gpu" ] && { [ "$os" = Darwin ] && gpu=metal || gpu=none; }

# Explicit ISA flags from what this CPU reports; never -march=native (one host here advertises AMX
# but SIGILLs in ggml's AMX kernel), AMX always off.
detect_x86_flags() {
  local f; f=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
  has() { case "$f" in *" $1 "*) echo ON ;; *) echo OFF ;; esac; }
  echo "-DGGML_SSE42=$(has sse4_2) -DGGML_AVX=$(has avx) -DGGML_AVX2=$(has avx2) -DGGML_FMA=$(has fma)" \
       "-DGGML_F16C=$(has f16c) -DGGML_BMI2=$(has bmi2) -DGGML_AVX_VNNI=$(has avx_vnni)" \
       "-DGGML_AVX512=$(has avx512f) -DGGML_AVX512_VBMI=$(has avx512vbmi)" \
       "-DGGML_AVX512_VNNI=$(has avx512_vnni) -DGGML_AVX512_BF16=$(has avx512_bf16)"
}
cpu_flags="${LOCALFUSION_CPU_FLAGS:-}"
if [ -z "$cpu_flags" ] && [ "$os" = Linux ] && { [ "$arch" = x86_64 ] || [ "$arch" = amd64 ]; }; then
  cpu_flags="$(detect_x86_flags)"
fi
cpu_flags="$cpu_flags -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"

gpu_flags=""; gpu_libs=""
case "$gpu" in
  none)   gpu_flags="-DGGML_METAL=OFF -DGGML_CUDA=OFF -DGGML_VULKAN=OFF -DGGML_BLAS=OFF" ;;
  cuda)   gpu_flags="-DGGML_CUDA=ON"; gpu_libs="lib:ggml-cuda lib:cudart lib:cublas lib:cublasLt lib:cuda" ;;
  vulkan) gpu_flags="-DGGML_VULKAN=ON"; gpu_libs="lib:ggml-vulkan lib:vulkan" ;;
  metal)  gpu_flags="-DGGML_METAL=ON -DGGML_METAL_EMBED_LIBRARY=ON -DGGML_BLAS=ON"
          gpu_libs="lib:ggml-metal lib:ggml-blas framework:Metal framework:MetalKit framework:Foundation framework:Accelerate" ;;
  *) lf_die "LOCALFUSION_GPU must be none, cuda, vulkan or metal (got '$gpu')" ;;
esac

cmake_flags="-DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=OFF -DGGML_OPENMP=OFF \
 -DGGML_BACKEND_DL=OFF -DGGML_CPU_ALL_VARIANTS=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
 -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF \
 -DLLAMA_BUILD_COMMON=ON -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON -DLLAMA_ALL_WARNINGS=OFF \
 -DCMAKE_POSITION_INDEPENDENT_CODE=ON $cpu_flags $gpu_flags"

key="$(printf '%s\n' "$SCRIPT_REVISION" "$SOURCE_ID" "$cmake_flags" "$os-$arch" | \
  { command -v sha256sum >/dev/null && sha256sum || shasum -a 256; } | cut -c1-16)"
root="$LF_CACHE/llama/$key"
prefix="$root/prefix"
build="$root/build"

link_current() { ln -sfn "$prefix" "$LF_CACHE/llama/current.tmp" && mv -Tf "$LF_CACHE/llama/current.tmp" "$LF_CACHE/llama/current" 2>/dev/null \
  || { rm -f "$LF_CACHE/llama/current"; ln -s "$prefix" "$LF_CACHE/llama/current"; }; }

if [ -f "$prefix/.complete" ] && { [ $want_tools = 0 ] || [ -x "$prefix/bin/llama-server" ]; }; then
  link_current
  lf_log "llama.cpp ready: $prefix"
  exit 0
fi

# --- 3. Build ---------------------------------------------------------------------------------
lf_ensure_build_tools
lf_log "building llama.cpp ($SOURCE_ID) gpu=$gpu"
lf_log "cpu flags: $cpu_flags"
mkdir -p "$build"
# shellcheck disable=SC2086
cmake -S "$LLAMA_SRC" -B "$build" -G Ninja $cmake_flags >"$root/configure.log" 2>&1 \
  || { tail -30 "$root/configure.log" >&2; lf_die "cmake configure failed (log: $root/configure.log)"; }
targets="llama"
[ $want_tools = 1 ] && targets="llama llama-bench llama-server"
# shellcheck disable=SC2086
cmake --build "$build" --target $targets -j "$(lf_jobs)" >"$root/build.log" 2>&1 \
  || { tail -40 "$root/build.log" >&2; lf_die "build failed (log: $root/build.log)"; }

# --- 4. Install into the prefix ----------------------------------------------------------------
rm -rf "$prefix.tmp"; mkdir -p "$prefix.tmp/include" "$prefix.tmp/lib" "$prefix.tmp/bin"
cp "$LLAMA_SRC/include/llama.h" "$LLAMA_SRC"/ggml/include/*.h "$prefix.tmp/include/"
find "$build" -name '*.a' -exec cp {} "$prefix.tmp/lib/" \;
for t in llama-bench llama-server; do
  p="$(find "$build" -type f -name "$t" -perm -u+x | head -1)"
  [ -n "$p" ] && cp "$p" "$prefix.tmp/bin/"
done
# Link order for static libraries: users before providers.
{
  echo "lib:llama"
  [ -f "$prefix.tmp/lib/libllama-common.a" ] && true   # common is for tools only, not linked into LocalFusion
  echo "lib:ggml"
  for l in $gpu_libs; do echo "$l"; done
  echo "lib:ggml-cpu"
  echo "lib:ggml-base"
  [ -f "$prefix.tmp/lib/libvendor-hash.a" ] && echo "lib:vendor-hash"
  if [ "$os" = Darwin ]; then echo "lib:c++"; else echo "lib:stdc++"; echo "lib:m"; echo "lib:pthread"; echo "lib:dl"; fi
} > "$prefix.tmp/localfusion-link.txt"
printf 'source=%s\nflags=%s\ngpu=%s\nbuilt=%s\n' "$SOURCE_ID" "$cmake_flags" "$gpu" "$(date -u +%FT%TZ)" > "$prefix.tmp/localfusion-build.txt"
touch "$prefix.tmp/.complete"
rm -rf "$prefix"; mv "$prefix.tmp" "$prefix"
link_current
lf_log "llama.cpp built: $prefix"
