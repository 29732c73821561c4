# Laminate. "make test" is what CI runs (.ci/run).
GO       ?= go
FUZZTIME ?= 20s

.PHONY: build test run demo bench lint fuzz clean

build:
	$(GO) build -trimpath -o bin/laminate ./cmd/laminate

test: lint
	$(GO) test -race -count=1 ./...

# The service on its embedded defaults: ./laminate-data (SQLite, keys made
# on first start), http://127.0.0.1:8080. "make demo" shows the CLI path.
run:
	$(GO) run ./cmd/laminate serve

demo:
	$(GO) run ./cmd/laminate demo

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff

# Short runs of every fuzz target (go test runs one target per invocation).
fuzz:
	$(GO) test ./pass -run '^$$' -fuzz FuzzParseSerial -fuzztime $(FUZZTIME)
	$(GO) test ./pass -run '^$$' -fuzz FuzzParsePolicy -fuzztime $(FUZZTIME)
	$(GO) test ./signer -run '^$$' -fuzz FuzzParseGuestList -fuzztime $(FUZZTIME)
	$(GO) test ./verifier -run '^$$' -fuzz FuzzVerify -fuzztime $(FUZZTIME)
	$(GO) test ./keys -run '^$$' -fuzz FuzzParseKeyFile -fuzztime $(FUZZTIME)

clean:
	rm -rf bin
