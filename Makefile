# Two commands on a fresh Debian machine with Python 3.11:
#   make demo   set up, start Redis, recognise a sample page through the queue and the API
#   make test   the test suite (what CI runs)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
IMAGE  ?=
LAYOUT ?= page
CHARSET ?= any
DATA    ?= ../shared/data
MODEL   ?= training/models/hwr-8

.PHONY: demo test setup services fonts browser web worker beat training-worker lint benchmarks clean

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || scripts/apt_install.sh python3-venv
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

# Handwriting fonts for generated test pages; typewriter and book fonts for the line
# reader's and line finder's rendered training lines (training/line_reader.py).
fonts:
	@(fc-list 2>/dev/null | grep -qi rufscript && fc-list 2>/dev/null | grep -qi "liberation mono" \
	  && fc-list 2>/dev/null | grep -qi freemono) \
	  || scripts/apt_install.sh fonts-rufscript fonts-breip fonts-dejavu-core fonts-liberation fonts-freefont-ttf || true

setup: $(VENV)/.installed fonts
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py collectstatic --noinput -v0

services:
	scripts/ensure_services.sh

demo: setup services
	$(PY) manage.py demo --layout $(LAYOUT) --charset '$(CHARSET)' $(if $(IMAGE),--image '$(IMAGE)')

# The review page is tested in a real headless browser: Debian's chromium and its driver.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || scripts/apt_install.sh chromium chromium-driver

test: $(VENV)/.installed services browser
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

# For real use: the web server and a worker (run each in its own terminal or service unit).
web: setup services
	$(VENV)/bin/gunicorn hwr_site.wsgi --bind 0.0.0.0:8000 --workers 3

worker: setup services
	$(VENV)/bin/celery -A hwr_site worker --loglevel INFO --concurrency 2 -Q recognition

# Sends the periodic reaper that fails jobs left running with no worker (one per site).
beat: setup services
	$(VENV)/bin/celery -A hwr_site beat --loglevel INFO

# Retraining runs from reviewers' corrections, on their own queue: one at a time.
training-worker: setup services
	$(VENV)/bin/celery -A hwr_site worker --loglevel INFO --concurrency 1 -Q training -n training@%h

# The quick figures of BENCHMARKS.md (minutes); the relabel loop and the load test are
# longer and run on their own (see BENCHMARKS.md).
benchmarks: setup
	$(PY) -m training.evaluate_words
	$(PY) -m benchmarks.segmentation_generated --pages 20
	$(PY) -m training.evaluate_lines --threads 1
	$(PY) -m training.evaluate_lines --pages $(DATA)/pages --split val
	$(PY) -m training.evaluate_pages
	$(PY) -m training.evaluate_pages --true-lines
	$(PY) -m training.line_reader --evaluate $(MODEL)
	$(PY) -m benchmarks.speed

clean:
	rm -rf var/demo var/logs var/reports
