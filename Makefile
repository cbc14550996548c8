# `make test` runs every test on a fresh machine: it installs what it needs into .venv.
VENV ?= .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed

.PHONY: test venv lint unit run clean

test: venv lint
	scripts/with-moto.sh cargo test --all-targets

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings

venv: $(STAMP)

$(STAMP): requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $(STAMP)

run:
	cargo run

clean:
	rm -rf $(VENV) target
