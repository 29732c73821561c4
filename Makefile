# Laminate. "make test" is what CI runs (.ci/run).
GO       ?= go
FUZZTIME ?= 20s

.PHONY: build test run bench lint fuzz clean

build:
	$(GO) build -trimpath -o bin/laminate ./cmd/laminate

test: lint
	$(GO) test -race -count=1 ./...

# Until the HTTP service exists (issue 4), the main job on embedded defaults
# is the demo: a data folder in ./laminate-data, sample passes issued and
# checked at the doors.
run:
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
