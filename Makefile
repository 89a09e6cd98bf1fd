# Tongxin: `make run` sets up everything and serves; `make test` runs the suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev bench bench-routing bench-delivery bench-fanout clean

PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

# Runtime packages (requirements.txt) for run/serve; development packages (requirements-dev.txt) for tests.
# Each stamp is remade when a file it names changes, so editing either file reinstalls.
$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(PIP) -r requirements.txt
	touch $@

$(BIN)/.installed-dev: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(PIP) -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

install-dev: $(BIN)/.installed-dev

run: install
	@mkdir -p var
	$(BIN)/python bot.py init-db --demo
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python bot.py serve

test: install-dev
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# Webhook: full pipeline vs a bare Flask + wechatpy echo, same run, 2 workers, SQLite and PostgreSQL.
bench: install
	$(BIN)/python benchmarks/bench_webhook.py

bench-routing: install
	$(BIN)/python benchmarks/bench_routing.py

bench-delivery: install
	$(BIN)/python benchmarks/bench_delivery.py

bench-fanout: install
	$(BIN)/python benchmarks/bench_fanout.py

clean:
	rm -rf $(VENV) var .pytest_cache
