# `make test` runs every test on a fresh machine: it installs what it needs into .venv.
VENV ?= .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed

.PHONY: test venv lint template lambda-check suites run clean

test: venv lint template lambda-check
	scripts/with-moto.sh $(MAKE) --no-print-directory suites

# Needs MOTO_ENDPOINT (scripts/with-moto.sh sets it).
suites:
	cargo test --all-targets
	$(VENV)/bin/pytest -q tests/python

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings

template: venv
	$(VENV)/bin/cfn-lint template.yaml

lambda-check: venv
	scripts/check-cargo-lambda.sh

venv: $(STAMP)

$(STAMP): requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $(STAMP)

run:
	cargo run

clean:
	rm -rf $(VENV) target
