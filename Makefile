# The two commands: `make run` and `make test`. Everything else is a helper.
BUILD   ?= build
DB      ?= data/postd.db
POSTS   ?= samples/posts
LISTEN  ?= 127.0.0.1:8080
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps build test run ingest clean sanitize format bench fuzz memcheck reliability scale smoke

all: build

deps:
	@scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

bench: build
	bench/run.sh

ingest: build
	@mkdir -p $(dir $(DB))
	$(BUILD)/postd ingest --db $(DB) $(POSTS)

run: ingest
	$(BUILD)/postd serve --db $(DB) --listen $(LISTEN)

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer.
sanitize:
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(MAKE) test BUILD=build-asan CMAKE_FLAGS="-DPOSTD_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug"

# libFuzzer targets (clang), each run for FUZZ_SECONDS through ctest.
FUZZ_SECONDS ?= 30
fuzz:
	@scripts/install-deps clang libclang-rt-14-dev
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DPOSTD_FUZZ=ON -DPOSTD_WERROR=OFF -DPOSTD_FUZZ_SECONDS=$(FUZZ_SECONDS)
	cmake --build build-fuzz --target fuzzers -j $(JOBS)
	ctest --test-dir build-fuzz -L fuzz --output-on-failure -j $(JOBS)

# The end-to-end and hostile suites with every postd process under valgrind memcheck.
memcheck: build
	@scripts/install-deps valgrind
	tests/hostile/valgrind-e2e.sh $(BUILD)

# Load, fault and crash tests against a real server (minutes; not ctest).
reliability: build
	tests/reliability/run.sh $(BUILD)/postd

# Two replicas behind a local nginx; one is killed and restarted under load.
scale: build
	tests/scale/scale-test.sh $(BUILD)/postd

# The container image, built and checked over HTTP (docker, or podman via
# ../shared/tools/podman-env.sh).
smoke:
	docker/smoke-test.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) build-asan build-fuzz
