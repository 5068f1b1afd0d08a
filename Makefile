# tenantkit — `make help` lists the targets.

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
run: build ## Build and start the demo on a managed local PostgreSQL: http://acme.localhost:8080
	@scripts/ensure-postgres.sh
	./bin/tenantkit dev

.PHONY: build
build: ## Build bin/tenantkit with the version stamped in.
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/tenantkit ./cmd/tenantkit

.PHONY: test
test: ## Run every test against real PostgreSQL (as the app role), with the race detector; the date matrix again in Pacific/Auckland.
	@scripts/ensure-postgres.sh
	$(GO) test -race -count=1 -timeout 25m ./...
	$(GO) test -race -count=1 -tags tenantkit_bench ./cmd/tenantkit-bench/
	TZ=Pacific/Auckland $(GO) test -race -count=1 -run 'DateMatrix' ./...

.PHONY: screenshots
screenshots: ## Write PNGs of the main pages to docs/screenshots (headless Chromium, the demo data).
	@scripts/ensure-postgres.sh
	@mkdir -p docs/screenshots
	TENANTKIT_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run '^TestScreenshots$$' ./web/

.PHONY: bench
bench: ## The whole server against a no-row-security baseline and a floor (1,000 tenants × 1,000 rows, mixed load, sign-in flood) into docs/BENCHMARKS.md; then the tenant path, reads, a noisy tenant.
	@scripts/ensure-postgres.sh
	$(GO) run -tags tenantkit_bench ./cmd/tenantkit-bench -out docs/BENCHMARKS.md -profile bench-a.pprof
	$(GO) test -run '^$$' -bench APIRead -benchtime 4000x -count 3 ./web/
	$(GO) test -run '^$$' -bench . -benchtime 3s -count 1 ./store/
	$(GO) test -run '^$$' -bench NoisyNeighbour -benchtime 1x -count 1 ./web/

.PHONY: bench-curve
bench-curve: ## The full stack with the same 1,000,000 rows over 10, 1,000 and 100,000 tenants, into docs/BENCHMARKS.md.
	@scripts/ensure-postgres.sh
	$(GO) run -tags tenantkit_bench ./cmd/tenantkit-bench -curve -sessions 100 -rounds 2 -requests 10000 -out docs/BENCHMARKS.md

.PHONY: scaleout
scaleout: ## Two instances behind PgBouncer (transaction mode) and nginx: a canary load, foreign rows (must be 0), two vs one instance. SHORT=1: < 90 s.
	@scripts/ensure-postgres.sh
	SHORT=$(SHORT) scripts/scaleout.sh

.PHONY: soak
soak: ## Soak isolation: SOAK_PROBES (default 10^6) random requests over 20 tenants, pool of 2; prints probes, probes/s, leaks.
	@scripts/ensure-postgres.sh
	TENANTKIT_SOAK_PROBES=$(or $(SOAK_PROBES),1000000) $(GO) test -count=1 -run '^TestSoak$$' -timeout 4h -v ./probe/

.PHONY: mutation
mutation: ## Break each isolation protection in turn (internal/mutation); every mutant must fail a test. RUN=regexp for some.
	@scripts/ensure-postgres.sh
	$(GO) run ./cmd/tenantkit-mutate $(if $(RUN),-run '$(RUN)')

.PHONY: lint
lint: ## gofmt, go vet, staticcheck and the isolation rules (cmd/tenantkit-lint).
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || (echo "gofmt: files above need formatting" && exit 1)
	$(GO) vet ./...
	$(GO) vet -tags tenantkit_bench ./store/ ./app/ ./cmd/tenantkit-bench/
	$(GO) run ./cmd/tenantkit-lint -tags tenantkit_bench ./store/ ./app/ ./cmd/tenantkit-bench/
	$(GO) run $(STATICCHECK) ./...
	$(GO) run ./cmd/tenantkit-lint ./...

.PHONY: generate
generate: ## Regenerate the store's query code (sqlc) and its exported aliases.
	$(GO) tool sqlc generate
	$(GO) generate ./store/...

.PHONY: verify
verify: generate ## Check that generated code is up to date.
	@git diff --exit-code -- store/internal store/types.go store/platform_types.go || \
		(echo "generated code is stale: run make generate and commit" && exit 1)

.PHONY: clean
clean: ## Remove build output and the demo's PostgreSQL cluster (also where .tenantkit/cluster links to).
	@if [ -L .tenantkit/cluster ]; then echo "rm -rf $$(readlink .tenantkit/cluster)"; rm -rf "$$(readlink .tenantkit/cluster)"; fi
	rm -rf bin .tenantkit bench-a.pprof
