# colearn: two commands for a fresh machine.
#   make run   set up .venv, load the bundled data into the embedded store, serve on :8000
#   make test  set up .venv and run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run serve demo lint test test-fuzz test-neo4j bench soak clean

# The project's own install is -qq (errors only): setuptools otherwise warns, once per
# folder, that the bundled data folders (data/stackexchange/<site>, service/pages, ...)
# could be imported as packages.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install -qq -e '.[test,bench,text]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/colearn ingest demo
	$(BIN)/colearn ingest embeddings
	$(BIN)/colearn train

# The demo answers requests without credentials as a read-only partner
# (COLEARN_ANONYMOUS_ROLE=partner), so that plain curl works; see README.
run: demo
	COLEARN_ANONYMOUS_ROLE=$${COLEARN_ANONYMOUS_ROLE-partner} $(BIN)/colearn serve

serve: install
	$(BIN)/colearn serve

# ruff and mypy (settings in pyproject.toml); the import rules are a test.
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

# Lists the 25 slowest tests at the end: CI runs this within 90 minutes on 2 cores, so a
# new slow test should be seen (and made cheaper) before it lands. TEST_WORKERS pytest-xdist
# processes, each given whole test files (--dist loadfile: a module's fixtures are built
# once) and its own FalkorDB and Neo4j: most tests wait on a server or a subprocess, so
# two workers keep two cores busy where one kept about 1.2 busy.
# A database of one's own (NEO4J_URI or COLEARN_NEO4J_URI) is emptied before every test: one worker then.
TEST_WORKERS ?= $(if $(NEO4J_URI)$(COLEARN_NEO4J_URI),0,2)
WORKERS := -n $(TEST_WORKERS) --dist loadfile
test: install lint
	$(BIN)/python -m pytest -q -m "not fuzz" $(WORKERS) --durations=25

# schemathesis against a live server: every operation, 50 examples each (about 3 minutes).
test-fuzz: install
	$(BIN)/python -m pytest -q -s -m fuzz

# The store tests on Neo4j alone (`make test` runs them on FalkorDB and Neo4j): on the
# Neo4j 5.26 the suite builds and starts from tests/neo4j (needs java and mvn), or on
# NEO4J_URI if set, which must be a database marked for testing (see tests/conftest.py).
test-neo4j: install
	$(BIN)/python -m pytest -q -m "not fuzz" $(WORKERS) -k neo4j

# Speed and memory on synthetic cities (not part of `make test`): S and M take
# 3 to 8 minutes here; `make bench SIZES=S,M,L` adds L (100k learners, 1M awards).
SIZES ?= S,M
bench: install
	$(BIN)/colearn bench --sizes $(SIZES) --ranker

# Five minutes of mixed traffic at a steady rate against a live server: zero 5xx,
# resident memory growth at most 10%; exits 1 otherwise.
soak: install
	$(BIN)/colearn soak

clean:
	rm -rf $(VENV) .colearn .pytest_cache reports tests/neo4j/target
