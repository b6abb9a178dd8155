# Two commands matter: `make run` (the local stack) and `make test` (every test).
# Both create .venv and install what they need on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test token bench package clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

# make run ARGS="--port 8080" (or --no-moto for a real account; see README)
run: $(STAMP)
	$(PY) -m dev.stack $(ARGS)

test: $(STAMP)
	$(PY) -m pytest

# make token USER=alice ROLE=operator   (ROLE empty for a shopper)
ROLE ?=
token: $(STAMP)
	@$(PY) -m dev.token --user "$(USER)" $(if $(ROLE),--role $(ROLE))

# make package STAGE=prod: dist/sam.json + dist/deployment.zip, checked by cfn-lint (docs/deploy.md)
STAGE ?= prod
package: $(STAMP)
	$(PY) -m infra.package --stage $(STAGE)

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .local
