#!/usr/bin/env bash
# Installs fp8sa's dependencies from Debian packages.
# Safe to run any number of times: it installs only what is missing and does
# nothing (not even `apt-get update`) when everything is already there.
# usage: install-deps.sh [GROUP ...]   GROUP: core (default; build and
# make test), synth (make synth: nextpnr-ice40 and icetime for Fmax,
# matplotlib for the plots), all
set -euo pipefail

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(core)
want_core=0; want_synth=0
for g in "${groups[@]}"; do
  case $g in
    core) want_core=1 ;;
    synth) want_synth=1 ;;
    all) want_core=1; want_synth=1 ;;
    *) echo "install-deps: unknown group '$g' (core, synth, all)" >&2; exit 2 ;;
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
)
synth_packages=(
  yosys python3
  nextpnr-ice40 fpga-icestorm   # make synth: place and route of the PE for an Fmax estimate
  python3-matplotlib            # make synth: plots of docs/area.md
)
packages=()
[ $want_core -eq 0 ] || packages+=("${core_packages[@]}")
[ $want_synth -eq 0 ] || packages+=("${synth_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
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
echo "install-deps: done"
