#!/usr/bin/env bash
# Installs fp8sa's build and test dependencies from Debian packages.
# Safe to run any number of times: it installs only what is missing and does
# nothing (not even `apt-get update`) when everything is already there.
set -euo pipefail

packages=(
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
