# Fresh machine:  make run  (build + demo)   |   make test  (build + every test suite)
BUILD_DIR ?= build
PYTHON := /usr/bin/python3
# Debian 12 packages; only the missing ones are installed. `make run` needs the
# library, the CLI and the demo only; `make test` adds the test, Python and MPI
# packages; the fuzzers add clang.
RUN_PACKAGES := cmake ninja-build g++ libhwy-dev libcli11-dev
TEST_PACKAGES := pybind11-dev python3-dev python3-numpy python3-pytest libgtest-dev libgmock-dev \
                 nlohmann-json3-dev python3-torch libtorch-dev python3-dask python3-distributed \
                 libopenmpi-dev openmpi-bin \
                 python3-venv python3-pip python3-setuptools python3-wheel python3-build
FUZZ_PACKAGES := clang-14 libclang-rt-14-dev llvm-14
PACKAGES := $(RUN_PACKAGES) $(TEST_PACKAGES) $(FUZZ_PACKAGES)
BENCH_PACKAGES := libbenchmark-dev libopenblas0-pthread libopenblas-dev libeigen3-dev libxsmm-dev python3-matplotlib python3-torch

.PHONY: all deps deps-run deps-test deps-fuzz build build-run run test bench bench-deps clean sanitize sanitize-asan sanitize-tsan fuzz \
        frameworks frameworks-test fuzz-python

all: build

# $(call install_missing,PACKAGE LIST)
install_missing = @missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi

deps-run:
	$(call install_missing,$(RUN_PACKAGES))
deps-test: deps-run
	$(call install_missing,$(TEST_PACKAGES))
deps-fuzz: deps-run
	$(call install_missing,$(FUZZ_PACKAGES))
deps: deps-run deps-test deps-fuzz

# The CLI alone (library + batchdot + demo): a first configure turns the tests
# and the Python module off; a folder `make test` configured keeps its options.
build-run: deps-run
	@if [ ! -f $(BUILD_DIR)/CMakeCache.txt ]; then \
	  cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=$(PYTHON) \
	    -DBATCHDOT_BUILD_TESTS=OFF -DBATCHDOT_BUILD_PYTHON=OFF; \
	fi
	cmake --build $(BUILD_DIR) --target batchdot_cli

build: deps-test
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=$(PYTHON) \
	  -DBATCHDOT_BUILD_TESTS=ON -DBATCHDOT_BUILD_PYTHON=ON
	cmake --build $(BUILD_DIR)

run: build-run
	$(BUILD_DIR)/bin/batchdot demo

# BATCHDOT_HEAVY_TESTS=1 (set by .ci/run) adds the slow signal, MPI and 1 GiB runs.
test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j2
	PYTHONPATH=$(BUILD_DIR)/python $(PYTHON) -m pytest -q tests/python
	BATCHDOT_BUILD_DIR=$(CURDIR)/$(BUILD_DIR) tests/packaging/check_pip_install.sh

# Sanitizer builds: the C++ suites and the CLI tests under ASan+UBSan, then TSan.
# No Python module (the interpreter is not instrumented) and no peer benchmarks.
# Sanitizer and fuzz builds compile two SIMD targets, not four: AVX3 (what the CI
# machine and most servers select, so the code users run) and SCALAR (Highway's
# baseline, one lane: every tail and remainder path). AVX2 and SSE4 run the same
# kernels at lane counts in between and found nothing the two did not; they cost
# half of the kernel compile time. HWY_DISABLED_TARGETS wants a number on the
# command line (no shell characters), so the compiler computes it from Highway's
# own constants. Recursive `=`: evaluated only when a sanitizer or fuzz build runs.
FEW_SIMD_TARGETS = -DHWY_DISABLED_TARGETS=$(shell printf '\043include <hwy/detect_targets.h>\nHWY_SSSE3|HWY_AVX2|HWY_SSE4\n' | \
                   g++ -std=c++20 -E -P -x c++ - | tail -1 | tr -d L | $(PYTHON) -c 'import sys; print(eval(sys.stdin.read()))')
SANITIZE_CONFIG = -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBATCHDOT_BUILD_PYTHON=OFF -DBATCHDOT_BUILD_TORCH=OFF \
                  -DBATCHDOT_BUILD_PEER_BENCH=OFF -DPython3_EXECUTABLE=$(PYTHON) -DCMAKE_CXX_FLAGS=$(FEW_SIMD_TARGETS)
sanitize: sanitize-asan sanitize-tsan

sanitize-asan: deps-test
	cmake -S . -B build-asan $(SANITIZE_CONFIG) -DBATCHDOT_SANITIZE=ON
	cmake --build build-asan -j2
	cd build-asan && BATCHDOT_TEST_CASE_DIVISOR=10 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j2
	BATCHDOT_CLI=build-asan/bin/batchdot $(PYTHON) -m pytest -q -p no:cacheprovider tests/python/test_cli.py tests/python/test_cli_limits.py

# TSan: suppressions (tests/tsan.supp) only for proven false positives, each with its reason.
TSAN_ENV := TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp"
sanitize-tsan: deps-test
	cmake -S . -B build-tsan $(SANITIZE_CONFIG) -DBATCHDOT_SANITIZE_THREAD=ON
	cmake --build build-tsan -j2
	cd build-tsan && BATCHDOT_TEST_CASE_DIVISOR=10 $(TSAN_ENV) ctest --output-on-failure -j2
	$(TSAN_ENV) BATCHDOT_CLI=build-tsan/bin/batchdot $(PYTHON) -m pytest -q -p no:cacheprovider tests/python/test_cli.py tests/python/test_cli_limits.py

# libFuzzer targets (clang-14, ASan+UBSan) in their own folder, FUZZ_SECONDS each.
FUZZ_SECONDS ?= 60
fuzz: deps-fuzz
	cmake -S fuzz -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_CXX_FLAGS=$(FEW_SIMD_TARGETS)
	cmake --build build-fuzz -j2
	fuzz/run.sh build-fuzz $(FUZZ_SECONDS)
	$(MAKE) fuzz-python

# atheris over the Python front ends (venv/fuzz from PyPI), FUZZ_SECONDS.
fuzz-python:
	frameworks/make_venvs.sh fuzz
	fuzz/python_frontends_run.sh venv/fuzz/bin/python $(FUZZ_SECONDS)

# Framework conformance, from PyPI (make test stays Debian-only): venv/<fw> per
# framework from frameworks/requirements/<fw>.txt, batchdot's wheel built once per
# NumPy ABI, each framework's native op; a second run installs nothing.
# ccache: the wheel and the three op libraries compile the same core sources, in
# four build folders; with ccache (CCACHE_BASEDIR = the tree) the core compiles once.
FRAMEWORK_VENVS := tensorflow jax mindspore
frameworks: deps
	$(call install_missing,ccache)
	frameworks/make_venvs.sh $(FRAMEWORK_VENVS)

# Every framework suite with its venv's interpreter (torch: Debian's, on $(BUILD_DIR)).
frameworks-test: frameworks build
	frameworks/run_suites.sh $(BUILD_DIR)

bench-deps:
	$(call install_missing,$(BENCH_PACKAGES))

bench: build bench-deps
	bench/run_all.sh

clean:
	rm -rf $(BUILD_DIR) build-asan build-tsan build-fuzz build-pip build-frameworks dist
