# Klaxon — the two commands: `make run` and `make test`.
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
CMAKE_FLAGS ?= -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: deps build run test asan docs format clean

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

build: deps $(BUILD)/build.ninja
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@scripts/run-demo $(BUILD)/klaxon

$(ASAN_BUILD)/build.ninja:
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKLAXON_SANITIZE=ON -DKLAXON_UNIT_ONLY=ON >/dev/null

asan: deps $(ASAN_BUILD)/build.ninja
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

# Unit + integration + browser tests (ctest), then the sanitizer build of the unit tests.
test: build asan
	@scripts/run-tests $(BUILD) $(ASAN_BUILD)

# Regenerate the documents that come from tables in the code.
docs: build
	@$(BUILD)/klaxon docs config > docs/config.md
	@$(BUILD)/klaxon docs events > docs/events.md

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
