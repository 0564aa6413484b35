# Two commands for a new user: `make demo` and `make test` (see README.md).
# Each creates .venv if it is missing and installs the project into it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Re-install when the project's dependencies change.
STAMP  := $(VENV)/.installed

DEMO_DIR   := var/demo
DEMO_SCALE ?= 0.05
DEMO_SEED  ?= 20261123
HOST       ?= 127.0.0.1
PORT       ?= 5000

.PHONY: demo test lint venv demo-data clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $(STAMP)

# Build a small synthetic California population, load it, link it, and serve the app.
demo: demo-data
	$(BIN)/linkages users demo
	@echo "Serving Linkages on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	$(BIN)/linkages serve --insecure-local --host $(HOST) --port $(PORT)

demo-data: $(STAMP)
	$(BIN)/linkages synth --out $(DEMO_DIR)/extract --scale $(DEMO_SCALE) --seed $(DEMO_SEED)
	$(BIN)/linkages db upgrade
	$(BIN)/linkages ingest $(DEMO_DIR)/extract
	$(BIN)/linkages match --record --left $(DEMO_DIR)/extract/calworks_children.csv \
		--right $(DEMO_DIR)/extract/cws_children.csv \
		--out $(DEMO_DIR)/links.csv --stats $(DEMO_DIR)/match_stats.json
	$(BIN)/linkages evaluate --links $(DEMO_DIR)/links.csv --truth $(DEMO_DIR)/extract/truth.csv
	$(BIN)/linkages outcomes P4 --foster-care $(DEMO_DIR)/extract/foster_care.csv \
		--period-start 2019-01-01 --periods 4 --by calworks_match --links $(DEMO_DIR)/links.csv \
		--rejects-dir $(DEMO_DIR)
	$(BIN)/linkages outcomes 2B-10DAY --foster-care $(DEMO_DIR)/extract/foster_care.csv \
		--referrals $(DEMO_DIR)/extract/cws_referrals.csv \
		--contacts $(DEMO_DIR)/extract/cws_contacts.csv \
		--allegations $(DEMO_DIR)/extract/cws_allegations.csv \
		--period-start 2019-01-01 --periods 4 --compare-matched --links $(DEMO_DIR)/links.csv \
		--rejects-dir $(DEMO_DIR)
	@# Casework for half the Fresno families, carried by the demo accounts and synthetic staff,
	@# then the demo evaluator's de-identified cohort export, ready to download in the app.
	$(BIN)/linkages users demo > /dev/null
	$(BIN)/linkages casework generate --county 10 --share 0.5 --seed $(DEMO_SEED)
	$(BIN)/linkages export cohort --for evaluator --from 2019-01-01 --to 2020-12-31
	@# The program managers' reports of the run, and a designated reviewer beside the manager.
	$(BIN)/linkages reports build --extract $(DEMO_DIR)/extract
	$(BIN)/linkages users reviewer fresno-cws-supervisor

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2 --dist loadfile

clean:
	rm -rf $(VENV) var/demo
