# Fresh machine:  make run  (build + demo)   |   make test  (build + every test suite)
BUILD_DIR ?= build
PYTHON := /usr/bin/python3
# Debian 12 packages the build and the tests need; only the missing ones are installed.
PACKAGES := cmake ninja-build g++ libhwy-dev libcli11-dev pybind11-dev python3-dev \
            python3-numpy python3-pytest libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev python3-torch
BENCH_PACKAGES := libopenblas0-pthread libopenblas-dev libeigen3-dev libxsmm-dev python3-matplotlib python3-torch

.PHONY: all deps build run test bench bench-deps clean

all: build

deps:
	@missing=$$(for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi

build: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=$(PYTHON)
	cmake --build $(BUILD_DIR)

run: build
	$(BUILD_DIR)/bin/batchdot demo

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j2
	PYTHONPATH=$(BUILD_DIR)/python $(PYTHON) -m pytest -q tests/python

bench-deps:
	@missing=$$(for p in $(BENCH_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi

bench: build bench-deps
	bench/run_all.sh

clean:
	rm -rf $(BUILD_DIR)
