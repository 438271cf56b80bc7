# 社安網協作平台 — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app app
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test lint-imports install system-deps-runtime system-deps-test migrate seed worker ci clean bench-data bench bench-smoke backup restore verify-backup

# The national benchmark (bench/README.md): a PostgreSQL database of its own, filled by seed-scale.
PG_ADMIN ?= postgresql://postgres@127.0.0.1:5432
BENCH_DB ?= safetynet_scale
SCALE    ?= 1.0
SEED     ?= 1

## run: install, migrate, load demo data and serve on http://127.0.0.1:5000
run: install system-deps-runtime
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@echo ""
	@echo "社安網協作平台：http://$(HOST):$(PORT)  （Ctrl-C 結束）"
	@echo "管理者的兩步驟驗證碼：另開終端機執行 $(FLASK) totp-code tpe.admin（或 hua.admin、sysadmin）"
	$(FLASK) run --host $(HOST) --port $(PORT)

## test: install, check the layers (import-linter, .importlinter), then run the whole suite
## (SQLite; PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)
test: install system-deps-test
	$(BIN)/lint-imports
	$(BIN)/pytest

## lint-imports: only the layers contract (seconds; `make test` runs it first)
lint-imports: install
	$(BIN)/lint-imports

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 以上才能執行（目前 %s）" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

system-deps-runtime:
	@sh scripts/system-deps.sh runtime

system-deps-test:
	@sh scripts/system-deps.sh test

migrate: install
	$(FLASK) db upgrade

seed: install
	$(FLASK) seed-demo

## worker: an RQ worker (needs REDIS_URL); without Redis jobs run inline and no worker is needed
worker: install
	$(FLASK) rq-worker

## backup: dump the database (PDFs are in it) into backups/ with a manifest of row counts, checksums and PDF SHA-256
backup: install
	@sh scripts/system-deps.sh backup
	$(FLASK) backup --output-dir backups

## restore FILE=backups/safetynet-….dump|.sqlite3 [TARGET=url]: into an EMPTY database, then verified against the manifest
restore: install
	@test -n "$(FILE)" || { echo "用法：make restore FILE=backups/safetynet-YYYYmmdd-HHMMSS.dump [TARGET=資料庫網址]"; exit 2; }
	@sh scripts/system-deps.sh backup
	$(FLASK) restore "$(FILE)" $(if $(TARGET),--database-url "$(TARGET)")

## verify-backup MANIFEST=backups/….manifest.json [TARGET=url]: recompute counts/checksums/PDF SHA-256 and compare
verify-backup: install
	@test -n "$(MANIFEST)" || { echo "用法：make verify-backup MANIFEST=backups/safetynet-YYYYmmdd-HHMMSS.manifest.json"; exit 2; }
	$(FLASK) verify-backup "$(MANIFEST)" $(if $(TARGET),--database-url "$(TARGET)")

## bench-data: (re)create $(BENCH_DB) and fill it with national-scale data (SCALE=1.0 is the full size)
bench-data: install
	@sh scripts/system-deps.sh bench
	psql -q "$(PG_ADMIN)/postgres" -c 'DROP DATABASE IF EXISTS $(BENCH_DB)' -c 'CREATE DATABASE $(BENCH_DB)'
	MIGRATIONS_DATABASE_URL=$(PG_ADMIN)/$(BENCH_DB) DATABASE_URL=$(PG_ADMIN)/$(BENCH_DB) $(FLASK) db upgrade
	MIGRATIONS_DATABASE_URL=$(PG_ADMIN)/$(BENCH_DB) DATABASE_URL=$(PG_ADMIN)/$(BENCH_DB) $(FLASK) seed-demo >/dev/null
	MIGRATIONS_DATABASE_URL=$(PG_ADMIN)/$(BENCH_DB) DATABASE_URL=$(PG_ADMIN)/$(BENCH_DB) $(FLASK) seed-scale --scale $(SCALE) --seed $(SEED)

## bench: the pages at 20 concurrent users (COMPARE=bench/results/national-….json prints an earlier run beside),
## then the PDFs against $(BENCH_DB), then the 100-item tracking table (its own database); results in bench/results/
bench: install
	@sh scripts/system-deps.sh bench
	$(BIN)/python bench/national.py --database $(BENCH_DB) $(if $(COMPARE),--compare $(COMPARE))
	$(BIN)/python bench/national_pdfs.py --database $(BENCH_DB)
	$(BIN)/python bench/meeting_table.py --reuse --pdf-runs 3

## bench-smoke: the whole benchmark on a tiny data set (SCALE=0.002, ~3 minutes), failing when a page errs;
## .ci/run runs it so that the benchmark cannot stop working unnoticed. Its figures mean nothing.
bench-smoke: export BENCH_RESULTS ?= /tmp/safetynet-bench-smoke
bench-smoke:
	mkdir -p $(BENCH_RESULTS)
	$(MAKE) bench-data SCALE=0.002 BENCH_DB=$(BENCH_DB)
	$(BIN)/python bench/national.py --database $(BENCH_DB) --check --seconds 2 --concurrency 4
	$(BIN)/python bench/national_pdfs.py --database $(BENCH_DB) --pdf-runs 1

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) instance/*.sqlite3* .pytest_cache
