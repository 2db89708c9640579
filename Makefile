# The two commands: `make run` and `make test`. Everything else is a helper.
BUILD   ?= build
DB      ?= data/postd.db
POSTS   ?= samples/posts
LISTEN  ?= 127.0.0.1:8080
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps build test run ingest clean sanitize format

all: build

deps:
	@scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

ingest: build
	@mkdir -p $(dir $(DB))
	$(BUILD)/postd ingest --db $(DB) $(POSTS)

run: ingest
	$(BUILD)/postd serve --db $(DB) --listen $(LISTEN)

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer.
sanitize:
	$(MAKE) test BUILD=build-asan CMAKE_FLAGS="-DPOSTD_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug"

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) build-asan
