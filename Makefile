# The two commands: `make run` serves the site, `make test` runs every test.
.PHONY: run test lint format clean

VENV := .venv
PY := $(VENV)/bin/python

# The virtual environment, rebuilt when the requirements change.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@python=$$(scripts/find-python) || exit 1; \
	  if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$python"; "$$python" -m venv $(VENV); fi
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

run: $(VENV)/.installed
	@scripts/run-dev

# Test settings: DEBUG stays off as in production; DATABASE_URL picks the database
# (SQLite unless set; CI sets PostgreSQL). The tests run in one process per CPU
# (pytest-xdist, each with its own test database, a whole file per process at a time);
# TEST_WORKERS=0 runs them in this process alone.
TEST_WORKERS ?= auto
test: $(VENV)/.installed
	@scripts/install-test-tools
	SECRET_KEY=test-only-secret-key \
	STRIPE_SECRET_KEY=sk_test_suite STRIPE_WEBHOOK_SECRET=whsec_test_suite \
	STRIPE_PRODUCT_ID=prod_test_donation \
	DJANGO_ALLOW_ASYNC_UNSAFE=true \
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# What CI checks first (.ci/run): the lint rules, then the formatting.
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules staticfiles test-artifacts
