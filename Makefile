# The two commands a newcomer needs: `make run` and `make test`. Both create .venv from uv.lock
# and use an embedded PostgreSQL and Redis unless DATABASE_URL / REDIS_URL are set.
SHELL := /bin/bash
PYTHON ?= python3.11
UV_VERSION := 0.13.9
UV := .tools/bin/uv
PY := .venv/bin/python
export UV_PROJECT_ENVIRONMENT := .venv
export UV_PYTHON_DOWNLOADS := never
# Some environments set PYTHONDONTWRITEBYTECODE; without .pyc files every process start
# recompiles Django and friends (~3 s). Dependencies are compiled at install time too.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test test-citus test-deploy bench bench-quick lint format stop clean

# One line instead of "make: python3.11: No such file or directory" (or uv's version complaint).
define need_python
@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || { \
	echo "Python 3.11 is needed ($(PYTHON) is missing or another version): install it" \
	"(Debian/Ubuntu: apt-get install python3.11 python3.11-venv)" \
	"or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
endef

$(UV):
	$(need_python)
	@$(PYTHON) -m venv .tools
	@.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) uv.lock pyproject.toml Makefile
	$(need_python)
	@$(UV) sync --frozen --python $(PYTHON) --quiet --compile-bytecode
	@touch $@

run: .venv/.synced
	@$(PY) -m devtools.run

test: .venv/.synced
	@$(PY) -m devtools.test $(ARGS)

# Citus (docs/scaling.md): builds Citus from ../shared/vendor/ or $$CITUS_SOURCE (cached outside
# the repository), starts a coordinator and two workers, runs the Citus, routing and isolation
# tests on it. `make test` runs it too; both say why they skip when the source is absent.
test-citus: .venv/.synced
	@$(PY) -m devtools.citus test $(ARGS)

# The container stack (deploy/README.md): builds deploy/Dockerfile on locally built stand-in base
# images, brings up docker-compose.yml with podman + docker-compose, checks it from outside, tears
# it down. Root only (installs Debian's podman & co. when missing); `make test` runs it too.
test-deploy: .venv/.synced
	@$(PY) -m devtools.deploy test $(ARGS)

bench: .venv/.synced
	@for b in bench/[a-z]*.py; do $(PY) $$b || exit 1; done

bench-quick: .venv/.synced
	@for b in bench/[a-z]*.py; do $(PY) $$b --quick || exit 1; done

lint: .venv/.synced
	@.venv/bin/ruff check .

format: .venv/.synced
	@.venv/bin/ruff check --fix .

stop: .venv/.synced
	@$(PY) -m devtools.services stop
	@$(PY) -m devtools.citus stop
	@$(PY) -m devtools.deploy stop

clean: stop
	rm -rf .data
