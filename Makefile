# Two commands matter: `make run` (the local stack) and `make test` (every test).
# Both create .venv and install what they need on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run job typecheck test token bench package clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

# make run ARGS="--port 8080" (or --no-moto for a real account; see README)
run: $(STAMP)
	$(PY) -m dev.stack $(ARGS)

# make job NAME=expire-coupons NOW=2026-11-23T10:00:00Z: one scheduled job, once, as of NOW, against
# the stack `make run` serves from this checkout (it names its endpoints in .local/stack.json)
STACK_FILE ?= .local/stack.json
job: $(STAMP)
	@$(PY) -m dev.job --state-file "$(STACK_FILE)" --now "$(NOW)" "$(NAME)"

# DynamoDB Local (Amazon's, inside an npm package) for the race tests' second backend.
# Needs npm and Java 17; without them those tests are skipped, with the reason shown.
DDB_LOCAL_DIR := .local/dynamodb-local
DDB_LOCAL_JAR := $(DDB_LOCAL_DIR)/node_modules/amplify-dynamodb-simulator/emulator/DynamoDBLocal.jar
$(DDB_LOCAL_JAR):
	@if command -v npm >/dev/null && command -v java >/dev/null; then \
	  npm install --prefix $(DDB_LOCAL_DIR) --no-audit --no-fund --silent amplify-dynamodb-simulator@2.9.30; \
	else echo "npm or java missing: the DynamoDB Local race tests will be skipped"; fi

# Debian's Chromium for tests/browser/ (Playwright drives it; no `playwright install`),
# and a CJK font so that screenshots show Chinese labels. Without apt-get those tests skip.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@if command -v apt-get >/dev/null; then \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei; \
	else echo "no apt-get: install Chromium as $(CHROMIUM), or the browser tests are skipped"; fi

# mypy over app.py and chalicelib/ (mypy.ini); `make test` runs it first, so a type error fails fast
typecheck: $(STAMP)
	$(PY) -m mypy

test: typecheck $(DDB_LOCAL_JAR) $(CHROMIUM)
	$(PY) -m pytest

# make token USER=alice ROLE=operator   (ROLE: operator, marketing, finance, auditor, comma-separated
# for several; empty for a shopper)
ROLE ?=
token: $(STAMP)
	@$(PY) -m dev.token --user "$(USER)" $(if $(ROLE),--role $(ROLE))

# make package STAGE=prod: dist/sam.json + dist/deployment.zip, checked by cfn-lint (docs/deploy.md)
STAGE ?= prod
package: $(STAMP)
	$(PY) -m infra.package --stage $(STAGE)

bench: $(STAMP) $(DDB_LOCAL_JAR)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .local
