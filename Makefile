# Two commands matter: `make run` (everything, on loopback) and `make test` (every test).
SHELL := /bin/bash
PY := .venv/bin/python
CODE := bot shop handoff actions tests scripts bench
export PYTHONPATH := $(CURDIR)
# Rasa reports telemetry and errors to its servers unless told not to.
export RASA_TELEMETRY_ENABLED := false

.PHONY: setup model run test test-fast check lint format bench clean demo-orders demo-stall

setup:
	@bash scripts/setup.sh

model: setup
	@$(PY) -m handoff.dev.launcher --train

run: setup model
	@$(PY) -m handoff.dev.launcher

test: setup model
	@bash scripts/test.sh

test-fast: setup
	@$(PY) -m pytest -q -m "not stack and not browser"

bench: setup model
	@$(PY) bench/latency.py
	@$(PY) bench/training_time.py
	@$(PY) scripts/eval_nlu.py --out bench/results/nlu_eval.json

demo-orders: setup
	@$(PY) -m shop.demo_orders

# while `make run` runs: one parcel stops moving and its shopper is told (ORDER=XB-… to pick)
demo-stall: setup
	@$(PY) -m shop.demo_orders --stall $(ORDER)

# The quality gates `make test` runs first: lint, format check, types. Zero findings.
check: setup
	@bash scripts/check.sh

lint: check

format: setup
	@.venv/bin/ruff format $(CODE)
	@.venv/bin/ruff check --fix $(CODE)

clean:
	rm -rf var models results .pytest_cache
