#!/usr/bin/env bash
# Builds pool_bench against an existing build tree (default build-pool): bench/pg_pool/build.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-pool}
g++ -std=c++20 -O2 -g -Wall -Wextra -Werror -I"$root/libs/pg/include" -I"$root/libs/core/include" \
  -I/usr/include/postgresql "$root/bench/pg_pool/pool_bench.cpp" -o "$build/pool_bench" \
  "$build/libs/pg/libstk_pg.a" "$build/libs/core/libstk_core.a" -lpq -lsodium -lpthread
echo "$build/pool_bench"
