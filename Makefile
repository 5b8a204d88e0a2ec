# pushmail: the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD := build
PUSHMAILD := $(BUILD)/bin/pushmaild

.PHONY: all deps build run test unit integration sanitize tsan fuzz fuzz-run format lint bench clean

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

run: build
	@scripts/demo $(PUSHMAILD)

# Everything: release build + every test (unit and integration), format check,
# the unit tests again under ASan+UBSan, the threaded parts' unit tests under TSan, and a bounded
# run of each fuzz target.
test: build format-check
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) --timeout 600
	@$(MAKE) --no-print-directory sanitize
	@$(MAKE) --no-print-directory tsan
	@$(MAKE) --no-print-directory fuzz-run

unit: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L unit

integration: build
	@ctest --test-dir $(BUILD) --output-on-failure -L integration

sanitize: deps
	@cmake --preset sanitize >/dev/null
	@cmake --build --preset sanitize -j $(JOBS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir build-sanitize --output-on-failure -j $(JOBS) --timeout 600

# halt_on_error: a race fails the run. second_deadlock_stack: both stacks of a lock-order report.
# G_SLICE=always-malloc: GLib's slice allocator (libglib is not instrumented) hands blocks between
# threads through magazines TSan cannot see; plain malloc it can. tsan.supp: the same for races
# inside GLib, GObject and GMime themselves.
tsan: deps
	@cmake --preset tsan >/dev/null
	@cmake --build --preset tsan -j $(JOBS)
	@G_SLICE=always-malloc TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tsan.supp \
	  ctest --test-dir build-tsan --output-on-failure -j $(JOBS) --timeout 600

fuzz: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)

# Each fuzz target runs over its seed corpus plus FUZZ_RUNS fresh inputs. New inputs go to a
# scratch corpus under build-fuzz/, never into the repository's seeds.
FUZZ_RUNS ?= 200000
fuzz-run: fuzz
	@set -e; for t in build-fuzz/fuzz/*_fuzz; do \
	  name=$$(basename $$t _fuzz); \
	  mkdir -p build-fuzz/corpus/$$name; \
	  echo "fuzz: $$name ($(FUZZ_RUNS) runs)"; \
	  $$t -runs=$(FUZZ_RUNS) -max_total_time=120 -dict=fuzz/$$name.dict \
	    -artifact_prefix=build-fuzz/ build-fuzz/corpus/$$name fuzz/corpus/$$name 2>&1 | tail -n 2; \
	done

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

format-check:
	@git ls-files '*.cc' '*.h' | xargs -r clang-format --dry-run -Werror

# clang-tidy is clang 14: the GCC-only flags of the build are dropped from its copy of the
# compile commands.
lint: build
	@mkdir -p $(BUILD)/lint
	@sed -e 's/ -fcoroutines//g' -e 's/ -Wno-restrict//g' $(BUILD)/compile_commands.json \
	  > $(BUILD)/lint/compile_commands.json
	@git ls-files 'src/*.cc' | xargs -r -P $(JOBS) -n 4 clang-tidy -p $(BUILD)/lint --quiet

bench: build
	@$(BUILD)/bench/smtp_intake --server $(PUSHMAILD)
	@$(BUILD)/bench/imap_idle --server $(PUSHMAILD) --connections 10000
	@$(BUILD)/bench/push_idle --server $(PUSHMAILD) --connections 10000
	@$(BUILD)/bench/push_idle --server $(PUSHMAILD) --connections 10000 --websocket

clean:
	rm -rf build build-sanitize build-tsan build-fuzz
