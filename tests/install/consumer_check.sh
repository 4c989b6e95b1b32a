#!/usr/bin/env bash
# usage: consumer_check.sh SOURCE_DIR WORK_DIR CXX
set -euo pipefail
src=${1:?}; work=${2:?}; cxx=${3:?}
rm -rf "$work"; mkdir -p "$work"
echo "== model-only configure (FP8SA_WITH_RTL=OFF FP8SA_WITH_TESTS=OFF FP8SA_WITH_CLI=OFF)"
cmake -S "$src" -B "$work/model" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" \
  -DFP8SA_WITH_RTL=OFF -DFP8SA_WITH_TESTS=OFF -DFP8SA_WITH_CLI=OFF > "$work/model.configure.log"
if grep -qE '^(verilator_DIR|GTest_DIR|MPFR_[A-Z_]+)[:=]' "$work/model/CMakeCache.txt"; then
  echo "FAIL: the model-only configure looked for Verilator, GoogleTest or MPFR:"
  grep -E '^(verilator_DIR|GTest_DIR|MPFR_[A-Z_]+)[:=]' "$work/model/CMakeCache.txt" | head -5
  exit 1
fi
cmake --build "$work/model" -j 2 > "$work/model.build.log"
cmake --install "$work/model" --prefix "$work/prefix" > "$work/install.log"
for f in include/fp8sa/backend.hpp include/fp8sa/systemc/fp8sa_array_sc.hpp share/fp8sa/rtl/array/fp8sa_array.v \
         lib/cmake/fp8sa/fp8saConfig.cmake; do
  [ -f "$work/prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
echo "== examples/consumer against the installed package"
cmake -S "$src/examples/consumer" -B "$work/consumer" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/consumer.configure.log"
cmake --build "$work/consumer" > "$work/consumer.build.log"
"$work/consumer/consumer"
