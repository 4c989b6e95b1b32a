# fp8sa front door. `make help` lists the targets.
BUILD ?= build
JOBS  ?= $(shell nproc)
CMAKE_BUILD_TYPE ?= Release
FP8SA := $(BUILD)/bin/fp8sa

.PHONY: all help deps configure build run test lint iverilog yosys-smoke ctest \
        synth fpga explore bench regress clean

all: build

help:
	@echo "make            install dependencies (if missing) and build everything"
	@echo "make run        the main job: a demo co-simulated on the model and the RTL, with a report"
	@echo "make test       lint + Icarus + Yosys smoke + all unit and co-simulation tests"
	@echo "make lint       verilator --lint-only -Wall on every RTL top and parameter set"
	@echo "make synth      Yosys synthesis of the numerics units with cell counts"
	@echo "make clean      remove $(BUILD)/"

deps:
	@./scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(CMAKE_BUILD_TYPE) > $(BUILD).configure.log 2>&1 \
	  || { cat $(BUILD).configure.log; exit 1; }
	@rm -f $(BUILD).configure.log

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

run: build
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

synth: deps
	@./synth/synth.sh

fpga explore bench regress:
	@echo "make $@: not implemented yet (tracked by an open issue); nothing was run" >&2; exit 2

clean:
	rm -rf $(BUILD)
