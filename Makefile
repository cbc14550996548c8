# `make test` runs every test on a fresh machine: it installs what it needs into .venv.
VENV ?= .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed
# The SAM CLI and checkov conflict with each other's pins: each has a venv of its own.
SAM_VENV ?= .venv-sam
CHECKOV_VENV ?= .venv-checkov

.PHONY: model-deep test system venv tool-venvs lint template lambda-check arm64-check sam-local-check suites run clean \
	bench bench-handler bench-model bench-cold-start bench-cost bench-concurrency bench-figures lambda-build

test: system venv lint template lambda-check arm64-check sam-local-check
	scripts/with-moto.sh $(MAKE) --no-print-directory suites

# What the system lacks (qemu, the aarch64 C library, Docker, busybox-static, ...), installed
# with apt as root or with passwordless sudo; else it stops here, before any build, with the command.
system:
	scripts/ensure-system.sh

# Needs MOTO_ENDPOINT (scripts/with-moto.sh sets it).
suites:
	rm -f target/model-check.txt
	cargo test --all-targets -p cancel-lifecycle-execution -p cancel-model
	cat target/model-check.txt
	$(VENV)/bin/pytest -q tests/python bench/tests

# The model checker's deeper run (docs/TESTING.md, "The model checker"): four clients, two
# engine moves; minutes.
model-deep:
	cargo test -p cancel-model --test check -- --ignored --nocapture

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

# template.yaml as written (standard Lambda, the default) and rendered for Lambda Managed
# Instances, with a capacity provider the stack creates and with an existing one.
RENDERED := target/template-managed-instances.json target/template-managed-instances-existing.json
template: venv tool-venvs
	mkdir -p target
	$(VENV)/bin/python scripts/render_template.py ManagedInstances > target/template-managed-instances.json
	$(VENV)/bin/python scripts/render_template.py ManagedInstances \
	  arn:aws:lambda:us-east-1:123456789012:capacity-provider:shared > target/template-managed-instances-existing.json
	$(VENV)/bin/cfn-lint template.yaml $(RENDERED)
	for t in template.yaml $(RENDERED); do \
	  AWS_DEFAULT_REGION=us-east-1 SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam validate --lint --template $$t || exit 1; done
	$(CHECKOV_VENV)/bin/checkov $(foreach t,template.yaml $(RENDERED),-f $(t)) --framework cloudformation --quiet --compact --skip-download

# The default architecture (arm64), built as users ship it and run under qemu with a Lambda
# runtime API: needs qemu-user-static and libc6-arm64-cross (`make system` installs them).
ARM64_DIR := target/lambda-arm64
ARM64_SYSROOT ?= /usr/aarch64-linux-gnu
arm64-check: venv
	@command -v qemu-aarch64-static >/dev/null && [ -d $(ARM64_SYSROOT) ] || { \
	  echo "arm64-check: needs qemu-aarch64-static and $(ARM64_SYSROOT): apt-get install qemu-user-static libc6-arm64-cross" >&2; exit 2; }
	PATH="$$PWD/$(VENV)/bin:$$PATH" cargo lambda build --release --arm64 --lambda-dir $(ARM64_DIR) --quiet
	scripts/check-glibc.sh $(ARM64_DIR)/cancel-lifecycle-execution/bootstrap
	RELEASE_BOOTSTRAP=$(ARM64_DIR)/cancel-lifecycle-execution/bootstrap \
	BOOTSTRAP_RUNNER="qemu-aarch64-static -L $(ARM64_SYSROOT)" \
	  $(VENV)/bin/pytest -q tests/python/test_release_bootstrap.py

tool-venvs: $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed

$(SAM_VENV)/.installed: requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-sam.txt
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

lambda-check: venv
	scripts/check-cargo-lambda.sh
	scripts/check-glibc.sh target/lambda/cancel-lifecycle-execution/bootstrap

# SAM's own emulator in Docker (scripts/sam-local-check.sh): build, start-lambda, invoke, start-api.
sam-local-check: venv tool-venvs
	scripts/sam-local-check.sh

venv: $(STAMP)

$(STAMP): requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $(STAMP)

run:
	cargo run

# Benchmarks, not part of `make test`: BENCHMARKS.md gives every figure with its command.
# bench-model holds each DynamoDB call to a latency fitted to published figures (SAMPLES per
# path and design, 10000 for a measured p99.9: about 70 minutes, 49 with WITHOUT_IN_PROCESS=1,
# which leaves out the harness's own copy of this service);
# bench-cold-start needs root and the cgroup v1 cpu hierarchy.
BENCH_DIR := target/bench
LAMBDA_BOOTSTRAP := target/lambda/cancel-lifecycle-execution/bootstrap
SAMPLES ?= 10000
MODEL_PROFILE ?= upper

# The figures of BENCHMARKS.md, drawn from this run's own tables (bench/scripts/figures.py);
# benchmarks/ keeps the tables of the published run with their method, and `make bench-figures`
# draws from those.
BENCH_RESULTS := target/bench-results
bench: bench-handler bench-model bench-cold-start bench-cost bench-concurrency
	mkdir -p $(BENCH_RESULTS)
	cp $(BENCH_DIR)/model-upper.md $(BENCH_RESULTS)/latency.md
	cp $(BENCH_DIR)/cold-start.txt $(BENCH_RESULTS)/cold-start.md
	cp $(BENCH_DIR)/concurrency.txt $(BENCH_RESULTS)/concurrency.md
	cp $(BENCH_DIR)/cost.txt $(BENCH_RESULTS)/cost.md
	$(PYTHON) bench/scripts/figures.py --results $(BENCH_RESULTS) --out benchmarks

bench-figures:
	$(PYTHON) bench/scripts/figures.py

bench-handler:
	cargo bench --bench handler

# What users ship: `cargo lambda build --release` (x86_64 here, to time it natively).
lambda-build: venv
	PATH="$$PWD/$(VENV)/bin:$$PATH" cargo lambda build --release --quiet

bench-model: venv lambda-build
	cargo build --release -p compare-designs
	mkdir -p $(BENCH_DIR)
	SAMPLES=$(SAMPLES) MODEL_PROFILE=$(MODEL_PROFILE) \
	  bench/scripts/bench-model.sh $(LAMBDA_BOOTSTRAP) $(BENCH_DIR)/model-$(MODEL_PROFILE)

bench-cold-start: venv lambda-build
	mkdir -p $(BENCH_DIR)
	scripts/with-moto.sh sh -c '$(VENV)/bin/python bench/scripts/cold_start_by_memory.py \
	  --bootstrap $(LAMBDA_BOOTSTRAP) --moto "$$MOTO_ENDPOINT" --runs 20' | tee $(BENCH_DIR)/cold-start.txt

# One process at AWS_LAMBDA_MAX_CONCURRENCY 1, 8 and 64 on the latency model (a few minutes).
bench-concurrency: venv lambda-build
	mkdir -p $(BENCH_DIR)
	scripts/with-moto.sh sh -c '$(VENV)/bin/python bench/scripts/concurrency.py \
	  --bootstrap $(LAMBDA_BOOTSTRAP) --moto "$$MOTO_ENDPOINT"' | tee $(BENCH_DIR)/concurrency.txt

bench-cost:
	$(PYTHON) bench/scripts/cost_model.py --latency $(BENCH_DIR)/model-upper.json \
	  --log-bytes $$(sed -n 's/^log bytes written to stdout per warm cancel: //p' $(BENCH_DIR)/cold-start.txt) \
	  | tee $(BENCH_DIR)/cost.txt

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) target
