#!/usr/bin/env bash
# The cocotb bench (test_array.py) on one array configuration under Icarus.
# usage: run.sh VENV WORKDIR GEMMS SEED ROWS COLS ACC_EXP_W ACC_MAN_W SR_BITS Q_SR_BITS LFSR_W SEED_HEX MUL_STAGES Q_STAGES
# Exit 0 only when results.xml lists the test and no failure.
set -euo pipefail
[ $# -eq 14 ] || { echo "usage: run.sh VENV WORKDIR GEMMS SEED ROWS COLS ACC_EXP_W ACC_MAN_W SR_BITS Q_SR_BITS LFSR_W SEED MUL_STAGES Q_STAGES" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
venv=$1 work=$2
export FP8SA_COCOTB_GEMMS=$3 FP8SA_COCOTB_SEED=$4
export ROWS=$5 COLS=$6 ACC_EXP_W=$7 ACC_MAN_W=$8 SR_BITS=$9 Q_SR_BITS=${10} LFSR_W=${11} SEED=${12} MUL_STAGES=${13} Q_STAGES=${14}

export SEED_V=$((SEED))  # decimal: a quote in the value would break cocotb's makefiles
export PATH="$venv/bin:$PATH"
mkdir -p "$work"
# A fresh simulator build every run: cocotb does not rebuild when only -P parameters change.
rm -rf "$work/results.xml" "$work/sim_build"
# cocotb imports test_array from here and fp8sa from the venv.
make -s -C "$here" SIM_BUILD="$work/sim_build" COCOTB_RESULTS_FILE="$work/results.xml" \
  PYTHONPATH="$here" > "$work/cocotb.log" 2>&1 || { tail -40 "$work/cocotb.log"; exit 1; }
grep -E "ok seed|GEMMs,|MISMATCH|Error|FAIL" "$work/cocotb.log" | tail -20 || true
"$venv/bin/python" - "$work/results.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.findall(".//testcase")
failed = [c for c in cases if c.find("failure") is not None or c.find("error") is not None]
print(f"cocotb: {len(cases) - len(failed)} passed, {len(failed)} failed")
sys.exit(0 if cases and not failed else 1)
PY
