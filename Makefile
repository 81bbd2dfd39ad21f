# Groundswell. `make run` serves the demo on SQLite; `make test` runs the whole suite.
# Both set up everything they need first: a virtual environment, the translations, the database.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
TRANSLATIONS := petitions/translations
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint security messages translations clean bench bench-count bench-export bench-signing screenshots

run: $(VENV)/.installed-app .env translations
	$(FLASK) db upgrade
	$(FLASK) load-cities
	$(FLASK) seed-demo
	@echo "Organizer pages: http://$(HOST):$(PORT)/organize/ - to make an account for the demo coalition:"
	@echo "  $(FLASK) create-organizer you@example.org --coalition wechoose-coalition --role owner"
	$(FLASK) run --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev translations node_modules/.package-lock.json security
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n auto

# The benchmark suite against this machine's ceiling, on SQLite and PostgreSQL (needs wrk; not part
# of make test). A million signatures by default; a short try:
#   make bench BENCH_ARGS="--signatures 20000 --seconds 3 --rounds 1"
# --write-results keeps the tables in bench/results/; otherwise they go to a temporary folder.
bench: $(VENV)/.installed-dev translations
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Throughput of the count endpoint against a hello-world app on the same gunicorn settings
# (needs wrk). Not part of `make test`. DATABASE_URL=postgresql://... measures on PostgreSQL.
bench-count: $(VENV)/.installed-dev translations
	$(BIN)/python bench/count_throughput.py $(BENCH_ARGS)

# What the trust features cost a signer, beside a hello-world ceiling (needs wrk; not part of make test).
bench-signing: $(VENV)/.installed-dev translations
	$(BIN)/python bench/signing_throughput.py $(BENCH_ARGS)

# bandit over the application (settings in pyproject.toml), then known vulnerabilities in the
# pinned requirements. A vulnerability fails the run; a vulnerability service that cannot be
# reached (or knows none of the packages) only warns, loudly, since nothing was checked.
# AUDIT_ARGS passes options to pip-audit, e.g. AUDIT_ARGS="-s osv".
security: $(VENV)/.installed-dev
	$(BIN)/bandit -c pyproject.toml -q -r petitions
	$(BIN)/python tools/audit_dependencies.py requirements.txt $(AUDIT_ARGS)

# The README's screenshots, in static/img/screenshots/: the demo with 12,000 signatures on a
# throw-away SQLite database, photographed by the system's Chromium (CHROMIUM=...). Not part of make test.
screenshots: $(VENV)/.installed-dev translations
	$(BIN)/python tests/browser/screenshots.py $(SCREENSHOTS_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-app: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-app

# axe-core for the browser tests' accessibility checks (skipped, or failed in CI, without it).
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --silent; \
	else echo "npm not found: the browser tests will be skipped (see README)"; fi

# A random SECRET_KEY for this checkout; .env is read by the flask command, never committed.
.env:
	@printf 'SECRET_KEY=%s\n' "$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(32))')" > $@
	@echo "Wrote .env with a new SECRET_KEY for this laptop."

# Compile the catalogs (.po -> .mo) that the app reads at run time.
translations: $(VENV)/.installed-app
	$(BIN)/pybabel -q compile -d $(TRANSLATIONS)

# After marking new strings: extract them, merge them into every catalog, and fill the English
# catalog from the source text. Then translate the new Spanish entries (the suite checks).
messages: $(VENV)/.installed-app
	$(BIN)/pybabel -q extract -F babel.cfg -k lazy_gettext -k _l -o $(TRANSLATIONS)/messages.pot \
		--no-location --sort-output --omit-header .
	$(BIN)/pybabel -q update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching \
		--ignore-obsolete --ignore-pot-creation-date --width 100
	$(BIN)/python -c "$$ENGLISH_FROM_SOURCE"

define ENGLISH_FROM_SOURCE
from babel.messages.pofile import read_po, write_po
path = "$(TRANSLATIONS)/en/LC_MESSAGES/messages.po"
with open(path, "rb") as po: catalog = read_po(po)
for message in catalog:
    if message.id and not any(message.string if isinstance(message.string, tuple) else [message.string]):
        message.string = message.id
with open(path, "wb") as po: write_po(po, catalog, no_location=True, sort_output=True)
endef
export ENGLISH_FROM_SOURCE

# The CSV export of a million signatures against its hello-world ceiling (PostgreSQL on 127.0.0.1).
bench-export: $(VENV)/.installed-dev translations
	$(BIN)/python bench/export.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
