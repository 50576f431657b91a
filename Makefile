# Two commands matter: `make run` (embedded stack) and `make test` (suite). Both bootstrap .venv
# and build the web pages' assets; `make test` also installs the browser its page tests drive.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# GOV.UK Frontend's CSS (built with a system font stack) and JS, served by the API at /assets.
ASSETS := api/static
WEB_STAMP := $(ASSETS)/.built
SCSS := api/pages/styles/onestop.scss

.PHONY: run test lint bench clean browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# npm packages at the exact versions package.json pins; no lock file is written.
$(WEB_STAMP): package.json $(SCSS) api/pages/scripts/init.mjs
	command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm)
	npm install --no-package-lock --no-audit --no-fund --ignore-scripts --loglevel=error
	mkdir -p $(ASSETS)
	npx --no-install sass --load-path=node_modules --style=compressed --no-source-map --quiet-deps \
		$(SCSS) $(ASSETS)/onestop.css
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js api/pages/scripts/init.mjs $(ASSETS)/
	touch $(WEB_STAMP)

# Debian's Chromium for the page tests (Playwright drives it; no browser is downloaded).
browser:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

run: $(STAMP) $(WEB_STAMP)
	$(BIN)/onestop dev

test: $(STAMP) $(WEB_STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

bench: $(STAMP)
	ONESTOP_LOG_LEVEL=WARNING $(BIN)/onestop bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .onestop node_modules $(ASSETS)
