# Fresh machine:  make run  (build + demo)   |   make test  (build + every test suite)
BUILD_DIR ?= build
PYTHON := /usr/bin/python3
# Debian 12 packages the build and the tests need; only the missing ones are installed.
PACKAGES := cmake ninja-build g++ libhwy-dev libcli11-dev pybind11-dev python3-dev \
            python3-numpy python3-pytest libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev \
            python3-torch python3-dask python3-distributed \
            libopenmpi-dev openmpi-bin \
            python3-venv python3-pip python3-setuptools python3-wheel python3-build \
            clang-14 libclang-rt-14-dev llvm-14
BENCH_PACKAGES := libopenblas0-pthread libopenblas-dev libeigen3-dev libxsmm-dev python3-matplotlib python3-torch

.PHONY: all deps build run test bench bench-deps clean sanitize sanitize-asan sanitize-tsan fuzz \
        frameworks frameworks-test fuzz-python

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
	tests/packaging/check_pip_install.sh

# Sanitizer builds: the C++ suites and the CLI tests under ASan+UBSan, then TSan.
# No Python module (the interpreter is not instrumented) and no peer benchmarks.
SANITIZE_CONFIG := -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBATCHDOT_BUILD_PYTHON=OFF \
                   -DBATCHDOT_BUILD_PEER_BENCH=OFF -DPython3_EXECUTABLE=$(PYTHON)
sanitize: sanitize-asan sanitize-tsan

sanitize-asan: deps
	cmake -S . -B build-asan $(SANITIZE_CONFIG) -DBATCHDOT_SANITIZE=ON
	cmake --build build-asan -j2
	cd build-asan && BATCHDOT_TEST_CASE_DIVISOR=10 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j2
	BATCHDOT_CLI=build-asan/bin/batchdot $(PYTHON) -m pytest -q -p no:cacheprovider tests/python/test_cli.py tests/python/test_cli_limits.py

# TSan: suppressions (tests/tsan.supp) only for proven false positives, each with its reason.
TSAN_ENV := TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp"
sanitize-tsan: deps
	cmake -S . -B build-tsan $(SANITIZE_CONFIG) -DBATCHDOT_SANITIZE_THREAD=ON
	cmake --build build-tsan -j2
	cd build-tsan && BATCHDOT_TEST_CASE_DIVISOR=10 $(TSAN_ENV) ctest --output-on-failure -j2
	$(TSAN_ENV) BATCHDOT_CLI=build-tsan/bin/batchdot $(PYTHON) -m pytest -q -p no:cacheprovider tests/python/test_cli.py tests/python/test_cli_limits.py

# libFuzzer targets (clang-14, ASan+UBSan) in their own folder, FUZZ_SECONDS each.
FUZZ_SECONDS ?= 60
fuzz: deps
	cmake -S fuzz -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++-14
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
FRAMEWORK_VENVS := tensorflow jax mindspore
frameworks: deps
	frameworks/make_venvs.sh $(FRAMEWORK_VENVS)

# Every framework suite with its venv's interpreter (torch: Debian's, on $(BUILD_DIR)).
frameworks-test: frameworks build
	frameworks/run_suites.sh $(BUILD_DIR)

bench-deps:
	@missing=$$(for p in $(BENCH_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi

bench: build bench-deps
	bench/run_all.sh

clean:
	rm -rf $(BUILD_DIR) build-asan build-tsan build-fuzz build-pip build-frameworks dist
