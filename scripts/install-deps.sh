#!/usr/bin/env bash
# Installs fp8sa's dependencies from Debian packages.
# Safe to run any number of times: it installs only what is missing and does
# nothing (not even `apt-get update`) when everything is already there.
# usage: install-deps.sh [GROUP ...]   GROUP: core (default; build and
# make test), synth (make synth: nextpnr-ice40 and icetime for Fmax,
# matplotlib for the plots), fpga (make fpga: nextpnr-ice40, icestorm and
# the pinned PyPI packages of scripts/requirements-fpga.txt), all.
# core also makes the project's Python environment $VENV (build/venv, with
# Debian's site packages visible) and installs scripts/requirements-test.txt
# into it (fusesoc for the core-file check of make test).
set -euo pipefail

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(core)
want_core=0; want_synth=0; want_fpga=0
for g in "${groups[@]}"; do
  case $g in
    core) want_core=1 ;;
    synth) want_synth=1 ;;
    fpga) want_fpga=1 ;;
    all) want_core=1; want_synth=1; want_fpga=1 ;;
    *) echo "install-deps: unknown group '$g' (core, synth, fpga, all)" >&2; exit 2 ;;
  esac
done

core_packages=(
  build-essential cmake pkg-config python3
  verilator          # lint + Verilated RTL models (co-simulation)
  yosys              # synthesis / area
  iverilog           # Verilog-2005 portability check, event-driven sim
  libsystemc-dev     # SystemC face of the model
  googletest libgtest-dev libgmock-dev   # unit tests
  libbenchmark-dev   # make bench
  libmpfr-dev libgmp-dev   # independent exact reference (tests only)
  libopenblas-dev    # sgemm baseline for make bench
  clang libclang-rt-14-dev   # make fuzz (libFuzzer) and make sanitize (ASan + UBSan runtimes)
  nextpnr-ice40 fpga-icestorm fpga-icestorm-chipdb   # make test builds the iCEBreaker bitstream (docs/fpga.md)
)
synth_packages=(
  yosys python3
  nextpnr-ice40 fpga-icestorm   # make synth: place and route of the PE for an Fmax estimate
  python3-matplotlib            # make synth: plots of docs/area.md
)
fpga_packages=(
  yosys python3 python3-venv
  nextpnr-ice40 fpga-icestorm fpga-icestorm-chipdb   # make fpga: iCEBreaker place and route, icepack, icetime (and its chip database)
)
packages=()
[ $want_core -eq 0 ] || packages+=("${core_packages[@]}" python3-venv)
[ $want_synth -eq 0 ] || packages+=("${synth_packages[@]}")
[ $want_fpga -eq 0 ] || packages+=("${fpga_packages[@]}")

# The project's Python environment: build/venv (FP8SA_VENV overrides), made
# with Debian's python3 and its site packages, and pinned PyPI packages from
# requirements files, installed only when a pin is not yet satisfied.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${FP8SA_VENV:-$ROOT/build/venv}
venv_install() {
  local req=$1
  if [ ! -x "$VENV/bin/python" ]; then
    echo "install-deps: creating $VENV"
    /usr/bin/python3 -m venv --system-site-packages "$VENV"
  fi
  local want
  want=$(grep -vE '^[[:space:]]*(#|$)' "$req" | sed 's/[[:space:]]*#.*//')
  if "$VENV/bin/python" - "$want" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import version, PackageNotFoundError
for line in sys.argv[1].split():
    name, _, pin = line.partition("==")
    try:
        if version(name) != pin: sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PY
    echo "install-deps: $(basename "$req"): all pins present in $VENV"
  else
    echo "install-deps: pip install -r $req into $VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$req"
  fi
}
python_envs() {
  [ $want_core -eq 0 ] || venv_install "$ROOT/scripts/requirements-test.txt"
  [ $want_fpga -eq 0 ] || venv_install "$ROOT/scripts/requirements-fpga.txt"
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  python_envs
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
python_envs
echo "install-deps: done"
