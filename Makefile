# fp8sa front door. `make help` lists the targets.
BUILD ?= build
JOBS  ?= $(shell nproc)
CMAKE_BUILD_TYPE ?= Release
FP8SA := $(BUILD)/bin/fp8sa
# Progress and results only: no 'Entering directory' lines from the CMake sub-makes.
MAKEFLAGS += --no-print-directory

.PHONY: all help deps configure build run run-build demo test bench-tool lint iverilog yosys-smoke ctest \
        synth fpga explore explore-report bench regress sanitize fuzz formal clean train train-full

all: build

help:
	@echo "make            install dependencies (if missing) and build everything"
	@echo "make run        the main job: a GEMM on the functional model, cycle model and Verilated RTL, with a report"
	@echo "make demo       unit-level demo: a dot product on the model PE and the RTL PE"
	@echo "make test       lint + Icarus + Yosys smoke + all unit and co-simulation tests"
	@echo "make lint       verilator --lint-only -Wall on every RTL top and parameter set"
	@echo "make regress    SEEDS=N GEMMS=G: lockstep model vs RTL on every configuration, N seeds each, all cores"
	@echo "                (SCHED=slurm SCHED_OPTS=...: regress, explore and synth as Slurm job arrays, docs/scale-out.md)"
	@echo "make bench      functional vs OpenBLAS sgemm, cycle model vs Verilated vs Icarus (docs/bench.md)"
	@echo "make sanitize   ASan + UBSan build of the model, CLI and tests ($(BUILD)/sanitize), every test run"
	@echo "make fuzz       FUZZ_SECONDS=N [FUZZ_TARGETS=...]: each libFuzzer target (clang) for N seconds from its seed corpus"
	@echo "make formal     the RTL's formal properties (formal/*.sby, SymbiYosys): every proof unbounded, covers reached"
	@echo "make synth      Yosys area tables for iCE40, ECP5, Xilinx 7, CMOS: docs/area.md (cached, all cores)"
	@echo "make explore    accumulator-width sweep: docs/explore/explore.csv, plots, docs/exploration.md (cached)"
	@echo "make explore-report  docs/exploration.md and plots again from the committed CSV (EXPLORE_AREA=\"docs/area.csv more.csv\")"
	@echo "make train      FP8 training recipes on the array's numerics, MLP on Fashion-MNIST: docs/training/recipes.md,"
	@echo "                then every experiment's quick grid: docs/experiments/ and its summary.md, docs/training.md"
	@echo "make train-full every experiment's full grid (5 seeds, 5x the steps): docs/experiments/full/, docs/training.md"
	@echo "make fpga       bitstreams and timing for the iCEBreaker and ULX3S boards (docs/fpga.md)"
	@echo "make clean      remove $(BUILD)/"

# core: the C++ build and make test; python: the Python package, PyTorch,
# pytest, Fashion-MNIST, and the venv $(BUILD)/venv (docs/python.md).
deps:
	@FP8SA_VENV=$(abspath $(BUILD))/venv ./scripts/install-deps.sh core python

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(CMAKE_BUILD_TYPE) -DFP8SA_RUN_ONLY=OFF > $(BUILD).configure.log 2>&1 \
	  || { cat $(BUILD).configure.log; exit 1; }
	@rm -f $(BUILD).configure.log

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

RUN_DIR := $(BUILD)/run

# The main job: a 64x256x64 GEMM (E4M3 x E5M2, FP32 accumulate, SR output to
# E4M3) on an 8x8 array, through the functional model, the cycle-accurate
# model and the Verilated RTL, which must agree bit for bit; then the report.
# It installs (install-deps.sh run: compiler, CMake, Verilator) and builds
# (FP8SA_RUN_ONLY: the model, the CLI, the a8x8 array) only what it needs; in
# a build folder that `make` already configured in full it builds the CLI
# there instead (nothing, once that build is done).
run-build:
	@./scripts/install-deps.sh run
	@if grep -qs '^FP8SA_RUN_ONLY:BOOL=OFF' $(BUILD)/CMakeCache.txt; then run_only=OFF; else run_only=ON; fi; \
	  cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(CMAKE_BUILD_TYPE) -DFP8SA_RUN_ONLY=$$run_only \
	    > $(BUILD).configure.log 2>&1 || { cat $(BUILD).configure.log; exit 1; }
	@rm -f $(BUILD).configure.log
	@cmake --build $(BUILD) -j $(JOBS) --target fp8sa

run: run-build
	@mkdir -p $(RUN_DIR)
	@$(FP8SA) randn --rows 64 --cols 256 --seed 1 --out $(RUN_DIR)/A.npy
	@$(FP8SA) randn --rows 256 --cols 64 --seed 2 --out $(RUN_DIR)/B.npy
	$(FP8SA) gemm --rows 8 --cols 8 --a $(RUN_DIR)/A.npy --b $(RUN_DIR)/B.npy \
	  --fmt-a e4m3 --fmt-b e5m2 --acc e8m23 --round rne --out-fmt e4m3 --out-round sr \
	  --backend all --out $(RUN_DIR)/C.npy

demo: build
	$(FP8SA) demo --k 4096 --seed 1

lint: deps
	@./scripts/rtl-check.sh lint

iverilog: deps
	@./scripts/rtl-check.sh iverilog

yosys-smoke: deps
	@./scripts/rtl-check.sh yosys

ctest: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test: lint iverilog yosys-smoke ctest

# make train (docs/training/recipes.md): the recipes of fp8sa.torch on an MLP over
# Fashion-MNIST, 3 seeds each, through the Python package in $(BUILD)/venv
# (the in-tree module, built here). TRAIN_ARGS: e.g. --epochs 5 --seeds 5
# (python -m fp8sa.train_fmnist --help).
TRAIN_ARGS ?=

formal:
	@FP8SA_VENV=$(abspath $(BUILD))/venv ./scripts/install-deps.sh formal
	@./formal/run.sh $(BUILD)/venv

# Scale-out (docs/scale-out.md): make regress, explore, synth and train as job
# lists (scripts/joblist.sh) run by scripts/jobs.sh, with results in
# $(JOBS_DIR)/TARGET (a second run resumes: finished jobs are skipped).
# SCHED=slurm: one Slurm job array per list (the repository and the build on
# a filesystem every node sees); SCHED_OPTS: jobs.sh run options, e.g.
# "--partition cpu --time 30 --mem 2G --cpus-per-task 1" or "-j 4" (local).
# make explore, make synth and make train run the list only when SCHED is set (local or
# slurm); make regress always does (SCHED=local by default).
SCHED ?=
SCHED_OPTS ?=
JOBS_DIR ?= $(BUILD)/jobs
SHARDS ?= 64

# make synth (docs/area.md): the Yosys area sweep over four targets, cached
# in $(BUILD)/synth; writes docs/area.csv, docs/area.md and docs/area/*.png.
# SYNTH_ARGS: extra synth/area.sh options (e.g. --only 'ice40 pe ').
SYNTH_ARGS ?=
synth:
	@./scripts/install-deps.sh synth
ifeq ($(SCHED),)
	@./synth/area.sh -j $(JOBS) $(SYNTH_ARGS)
else
	@mkdir -p $(JOBS_DIR)
	@./scripts/joblist.sh synth docs/area.csv > $(JOBS_DIR)/synth.list
	@./scripts/jobs.sh run $(JOBS_DIR)/synth.list $(JOBS_DIR)/synth --sched $(SCHED) $(SCHED_OPTS)
endif

# make train (docs/training/recipes.md): the recipe x seed grid of fp8sa.train_fmnist
# in one process; with SCHED (local or slurm) one job per run
# (scripts/joblist.sh train), merged --reproducible (no measured times).
# Then every experiment's quick grid (docs/experiments.md) over $(JOBS) local
# worker processes into docs/experiments/ with summary.md (SCHED does not
# apply to this part). make train-full: the full grids into
# docs/experiments/full/ (hours: docs/experiments.md). Both end by rendering
# docs/training.md from docs/training/template.md and the results CSVs
# (fp8sa.training_doc; make test checks that the committed one matches).
EXP_DIR ?= docs/experiments
train: configure
	@cmake --build $(BUILD) -j $(JOBS) --target fp8sa_py_core
ifeq ($(SCHED),)
	$(BUILD)/venv/bin/python -m fp8sa.train_fmnist --threads $(JOBS) $(TRAIN_ARGS)
else
	@mkdir -p $(JOBS_DIR)
	@./scripts/joblist.sh train $(BUILD)/venv/bin/python $(TRAIN_ARGS) > $(JOBS_DIR)/train.list
	@./scripts/jobs.sh run $(JOBS_DIR)/train.list $(JOBS_DIR)/train --sched $(SCHED) $(SCHED_OPTS)
endif
	$(BUILD)/venv/bin/python -m fp8sa.experiments --run-all --quick --jobs $(JOBS) --out-dir $(EXP_DIR)
	$(BUILD)/venv/bin/python -m fp8sa.training_doc

train-full: configure
	@cmake --build $(BUILD) -j $(JOBS) --target fp8sa_py_core
	$(BUILD)/venv/bin/python -m fp8sa.experiments --run-all --full --jobs $(JOBS) --out-dir $(EXP_DIR)/full
	$(BUILD)/venv/bin/python -m fp8sa.training_doc

SEEDS ?= 8
GEMMS ?= 50
# Longer lockstep regression over every named configuration, in parallel,
# then the sanitizer build's tests.
regress: build
	@SCHED=$(if $(SCHED),$(SCHED),local) SCHED_OPTS="$(SCHED_OPTS)" RESULTS=$(JOBS_DIR)/regress \
	  ./scripts/regress.sh $(FP8SA) $(SEEDS) $(GEMMS)
	@$(MAKE) bench-tool BENCH32=1
	@./scripts/regress_big.sh $(BUILD)/bin/fp8sa_bench $(SEEDS) $(GEMMS)
	@$(MAKE) sanitize

# make sanitize: the model, the CLI, the lockstep checker and every test
# built with -fsanitize=address,undefined (the Verilated models without: see
# CMakeLists.txt) in $(SAN_DIR), and all tests run; any report fails.
SAN_DIR := $(BUILD)/sanitize
# The 2^32-input quantizer sweep runs on every 15th block here (its full
# sweep is in make test; under the sanitizers it would take most of an hour).
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1 \
           UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
           FP8SA_QUANT_EXHAUSTIVE_STRIDE=15
sanitize: deps
	@mkdir -p $(SAN_DIR)
	@cmake -S . -B $(SAN_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFP8SA_SANITIZE=ON > $(SAN_DIR).configure.log 2>&1 \
	  || { cat $(SAN_DIR).configure.log; exit 1; }
	@rm -f $(SAN_DIR).configure.log
	@cmake --build $(SAN_DIR) -j $(JOBS)
	@cd $(SAN_DIR) && $(SAN_ENV) ctest --output-on-failure -j $(JOBS)

# make fuzz: libFuzzer targets of the .npy reader, the TestFloat reader, the
# option parser, the sweep-file parser and the board link's reply decoder
# (tests/fuzz), built with clang in $(FUZZ_DIR), each run FUZZ_SECONDS from
# its committed seed corpus (make test replays the corpora). FUZZ_TARGETS: a
# subset, e.g. "sweep board_reply" (or "fuzz_sweep fuzz_board_reply").
FUZZ_SECONDS ?= 60
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_TARGETS ?=
fuzz:
	@./scripts/install-deps.sh fuzz
	@mkdir -p $(FUZZ_DIR)
	@CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFP8SA_FUZZ=ON \
	  > $(FUZZ_DIR).configure.log 2>&1 || { cat $(FUZZ_DIR).configure.log; exit 1; }
	@rm -f $(FUZZ_DIR).configure.log
	@cmake --build $(FUZZ_DIR) -j $(JOBS)
	@./scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# make bench (docs/bench.md): configure with the bench option, build only the
# bench tool (its targets are not in the default build), run it; the table
# goes to the terminal and to $(BENCH_DIR)/bench.txt. BENCH_ARGS: extra
# fp8sa_bench options (e.g. --quick). BENCH32=1 adds the Verilated 32x32
# array (its first compile takes long: docs/bench.md); make regress sets it.
# Section 8 (training steps): bench/train_step.py on the venv's fp8sa;
# bench/python_gemm.py: fp8sa.gemm against numpy's matmul (issue 20 1b).
BENCH_DIR := $(BUILD)/bench
BENCH_ARGS ?=
BENCH32 ?= 0
bench: bench-tool
	@mkdir -p $(BENCH_DIR)
	$(BUILD)/bin/fp8sa_bench --workdir $(BENCH_DIR) --out $(BENCH_DIR)/bench.txt $(BENCH_ARGS)
	$(BUILD)/bin/fp8sa_bench_acc --generic --arrays 4,8,16 --out $(BENCH_DIR)/bench.txt $(filter --quick,$(BENCH_ARGS))
	$(BUILD)/bin/fp8sa_bench_pe --generic --arrays 4,8,16 --out $(BENCH_DIR)/bench.txt $(filter --quick,$(BENCH_ARGS))
	@cmake --build $(BUILD) -j $(JOBS) --target fp8sa_py_core
	$(BUILD)/venv/bin/python bench/python_gemm.py --out $(BENCH_DIR)/bench.txt $(if $(filter --quick,$(BENCH_ARGS)),--n 256 --rounds 3)
	OMP_NUM_THREADS=1 $(BUILD)/venv/bin/python bench/train_step.py --out $(BENCH_DIR)/bench.txt $(if $(filter --quick,$(BENCH_ARGS)),--rounds 3 --warmup 1)
	@FP8SA_VENV=$(abspath $(BUILD))/venv ./scripts/install-deps.sh bench
	TORCH_EXTENSIONS_DIR=$(abspath $(BUILD))/torch_extensions $(BUILD)/venv/bin/python bench/qpytorch_loop.py \
	  --build-dir $(BUILD)/torch_extensions --out $(BENCH_DIR)/bench.txt $(if $(filter --quick,$(BENCH_ARGS)),--sizes 256x512x256)

bench-tool: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(CMAKE_BUILD_TYPE) -DFP8SA_BENCH=ON \
	  -DFP8SA_BENCH32=$(if $(filter 1,$(BENCH32)),ON,OFF) > $(BUILD).bench-configure.log 2>&1 \
	  || { cat $(BUILD).bench-configure.log; exit 1; }
	@rm -f $(BUILD).bench-configure.log
	@cmake --build $(BUILD) -j $(JOBS) --target fp8sa_bench fp8sa_bench_acc fp8sa_bench_pe

# make fpga (docs/fpga.md): every board of fpga/boards.txt through synthesis,
# place and route, bitstream and timing reports ($(BUILD)/fpga/BOARD/);
# fails if a board does not route or misses its clock. BOARDS (or
# FPGA_BOARDS): names from fpga/boards.txt, or "all"; default: its MAKE
# "default" rows (e.g. make fpga BOARDS="icebreaker ulx3s": the FMA arrays).
BOARDS ?=
FPGA_BOARDS ?= $(BOARDS)
fpga:
	@./scripts/install-deps.sh fpga
	@./fpga/build.sh -o $(BUILD)/fpga $(FPGA_BOARDS)

# make explore (docs/exploration.md): the accumulator-width sweep of
# docs/explore/sweep.conf on all cores, cached per point in
# $(BUILD)/explore-cache; writes docs/explore/explore.csv, the plots
# (docs/explore/*.png, matplotlib via Debian's python3) and docs/exploration.md
# (tools/explore_report.py, from the CSV and the run's facts, --run-info).
EXPLORE_CONF ?= docs/explore/sweep.conf
# The area tables the report joins (docs/area.csv first; more, such as a
# synthesis run's early rows, fill in the (unit, config) rows it lacks), and
# the run info, committed beside the CSV so that `make explore-report
# EXPLORE_AREA="docs/area.csv more.csv"` remakes docs/exploration.md and the
# plots from committed files alone, without rerunning the sweep.
EXPLORE_AREA ?= docs/area.csv
EXPLORE_RUN_INFO ?= docs/explore/run-info.json
# With SCHED (local or slurm): the sweep as SHARDS jobs (fp8sa explore
# --shard), merged with --reproducible (no date or measured time: the same
# bytes wherever the jobs ran).
explore: build
	@mkdir -p docs/explore
ifeq ($(SCHED),)
	$(FP8SA) explore --config $(EXPLORE_CONF) --cache $(BUILD)/explore-cache \
	  --csv docs/explore/explore.csv --run-info $(EXPLORE_RUN_INFO)
	@$(MAKE) explore-report
else
	@mkdir -p $(JOBS_DIR)
	@./scripts/joblist.sh explore $(FP8SA) $(EXPLORE_CONF) $(SHARDS) docs/explore/explore.csv docs/exploration.md \
	  docs/area.csv docs/explore > $(JOBS_DIR)/explore.list
	@./scripts/jobs.sh run $(JOBS_DIR)/explore.list $(JOBS_DIR)/explore --sched $(SCHED) $(SCHED_OPTS)
endif

explore-report:
	/usr/bin/python3 tools/explore_report.py --csv docs/explore/explore.csv --run-info $(EXPLORE_RUN_INFO) \
	  $(foreach a,$(EXPLORE_AREA),--area $(a)) --out docs/exploration.md
	/usr/bin/python3 tools/plot_explore.py docs/explore/explore.csv $(EXPLORE_AREA) docs/explore

clean:
	rm -rf $(BUILD)
