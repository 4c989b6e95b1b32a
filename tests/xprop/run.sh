#!/usr/bin/env bash
# X-propagation check (tests/xprop/fp8sa_array_xprop_tb.v) under Icarus.
# usage: run.sh RTL_DIR WORK_DIR
set -euo pipefail
rtl=${1:?}; work=${2:?}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
. "$here/../../scripts/rtl-sources.sh"
iverilog -g2005 -Wall $(rtl_incs "$rtl") -s fp8sa_array_xprop_tb -o "$work/xprop.vvp" "$here/fp8sa_array_xprop_tb.v" $(rtl_sources "$rtl")
out=$(vvp -n "$work/xprop.vvp")
echo "$out"
grep -q '^xprop: PASS' <<<"$out"
