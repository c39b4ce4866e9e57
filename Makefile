# The one entry point for building, running and testing. Every target works on a fresh
# machine with Go 1.26 and Node.js/npm: what a target needs, it installs itself.

SHELL := /bin/bash
GO    ?= go
MODULES := function okta-setup infra
PORT  ?= 7071

# Local runs need no Azure settings: with no ACS settings the handler writes each text to an
# outbox file instead. These defaults are for this machine only; scripts/curl-test.sh uses
# the same ones when nothing else is set.
LOCAL_ENV := OKTA_USER=$${OKTA_USER:-okta} \
	OKTA_BASIC_SECRET=$${OKTA_BASIC_SECRET:-local-dev-secret} \
	FUNCTIONS_CUSTOMHANDLER_PORT=$(PORT)

.PHONY: run test vet build package bench tools clean

## run: build the handler and serve the telephony hook on http://127.0.0.1:$(PORT)/api/telephony
run:
	cd function && $(GO) build -o handler ./cmd/handler
	cd function && env $(LOCAL_ENV) ./handler

## test: vet and test every module (race detector on), with Azurite for the storage tests
test: tools vet
	cd function && $(GO) test -race -count=1 ./...
	cd okta-setup && $(GO) test -race -count=1 ./...
	cd infra && $(GO) test -count=1 ./...

vet:
	@for m in $(MODULES); do echo "go vet $$m"; (cd $$m && $(GO) vet ./...) || exit 1; done

## build: the static linux/amd64 binary the Functions host starts, written to function/handler
build:
	cd function && CGO_ENABLED=0 GOOS=linux GOARCH=amd64 \
		$(GO) build -trimpath -ldflags='-s -w' -o handler ./cmd/handler

## package: the deployable zip (host.json, function folders, handler with its exec bit)
package: build
	cd function && $(GO) run ./cmd/package -dir . -out ../dist/function.zip

## bench: Go benchmarks of the full HTTP path and a bounded loopback load run
bench:
	cd function && $(GO) test -run '^$$' -bench . -benchmem ./...
	cd function && $(GO) run ./cmd/loadtest

## tools: test-only tools from npm (Azurite), pinned by tools/package-lock.json
tools: tools/node_modules/.bin/azurite-table

tools/node_modules/.bin/azurite-table: tools/package.json tools/package-lock.json
	cd tools && npm ci --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf function/handler dist tools/node_modules
