#pragma once
// Resolved against the llama.cpp prefix built by scripts/build-llama.sh.
#include <llama.h>
