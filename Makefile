# Two commands matter: `make run` (embedded stack) and `make test` (suite). Both bootstrap .venv
# and build the web pages' assets; `make test` also installs the browser its page tests drive.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# GOV.UK Frontend's CSS (built with a system font stack) and JS, the pages' own scripts, axe-core
# for the page tests, and Swagger UI's and ReDoc's bundles for /docs and /redoc, served at /assets.
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
$(WEB_STAMP): package.json $(SCSS) api/pages/scripts/init.mjs api/pages/scripts/follow.mjs
	command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm)
	npm install --no-package-lock --no-audit --no-fund --ignore-scripts --loglevel=error
	mkdir -p $(ASSETS)
	npx --no-install sass --load-path=node_modules --style=compressed --no-source-map --quiet-deps \
		$(SCSS) $(ASSETS)/onestop.css
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js api/pages/scripts/init.mjs api/pages/scripts/follow.mjs $(ASSETS)/
	# axe-core for the page tests' accessibility checks (tests/browser.py injects it; no page loads it).
	cp node_modules/axe-core/axe.min.js $(ASSETS)/
	cp node_modules/swagger-ui-dist/swagger-ui.css node_modules/swagger-ui-dist/swagger-ui-bundle.js $(ASSETS)/
	# ReDoc's "API docs by Redocly" footer loads its logo from Redocly's CDN, with no option to
	# turn it off: an empty src makes the footer drop the image (its onError) and keep the link.
	sed 's|src:"https://cdn.redoc.ly/redoc/logo-mini.svg"|src:""|' \
		node_modules/redoc/bundles/redoc.standalone.js > $(ASSETS)/redoc.standalone.js
	cp node_modules/swagger-ui-dist/favicon-32x32.png $(ASSETS)/api-docs-favicon.png
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
