# `make test` and `make demo` set up a fresh machine by themselves: they create .venv and
# install the project into it whenever it is missing or pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed
BENCH_ARGS ?=
DISTRIBUTED_BENCH_ARGS ?=
GPU_ARGS ?=

.PHONY: test demo lint bench gpu-check clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

demo: $(STAMP)
	$(VENV)/bin/vecnn demo

lint: $(STAMP)
	$(PY) -m ruff check src tests examples benchmarks
	$(PY) -m ruff format --check src tests examples benchmarks

# The bench extra (PyTorch, scikit-learn, psutil) goes into .venv only for `make bench`:
# `make test` and CI install `.[dev]` alone. Options: make bench BENCH_ARGS="--quick"
# (and DISTRIBUTED_BENCH_ARGS="--quick" for benchmarks/distributed.py: MPI against one process).
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) benchmarks/run.py $(BENCH_ARGS)
	$(PY) benchmarks/distributed.py $(DISTRIBUTED_BENCH_ARGS)

# On a machine with an NVIDIA GPU: installs the gpu extra (CuPy), checks the conformance run
# under CuPy against NumPy, and times a wide epoch against the GEMM rate (and PyTorch CUDA).
gpu-check: $(STAMP)
	$(PY) benchmarks/gpu.py $(GPU_ARGS)

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .ruff_cache
