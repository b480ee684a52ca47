# mlstack - build, test, demo.
#
#   make            build ./mlstack
#   make deps       install the Debian packages (idempotent)
#   make test       deps, build, unit tests, integration tests against moto
#   make test SANITIZE=1   the same suite under AddressSanitizer + UBSan
#   make demo       plan/apply/destroy the example stack against moto
#   make bench      benchmarks (docs/benchmarks.md)
#   make bench-tools OpenTofu and the AWS provider from source, for the
#                   bench's side-by-side figures (by hand: 30-40 minutes)
#   make tsan       validate, plan and lint of large stacks, and apply,
#                   refresh and destroy against the emulator, under
#                   ThreadSanitizer (by hand, not in CI; docs/testing.md)
#   make fuzz       libFuzzer targets (clang, ASan + UBSan), FUZZ_SECONDS each;
#                   -j2 runs two at once (docs/fuzzing.md)
#   make lint       check the C sources against .clang-format (make format fixes)
#   make docs       regenerate the attribute tables of docs/resources/

PREFIX ?= /usr/local
CC ?= cc
PKGS = yaml-0.1 libcurl openssl jansson libgit2 libxml-2.0 libzip
DEBS = build-essential pkg-config libyaml-dev libcurl4-openssl-dev \
       libssl-dev libjansson-dev libgit2-dev libxml2-dev libcmocka-dev \
       libzip-dev libjemalloc-dev openssh-client python3-venv git time \
       curl jq shellcheck

ifeq ($(SANITIZE),1)
BUILD = build/san
# float-cast-overflow: GCC leaves it out of "undefined" (clang does not)
SANFLAGS = -fsanitize=address,undefined,float-cast-overflow \
           -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined,float-cast-overflow
OPT = -O1 -g
else ifeq ($(SANITIZE),thread)
BUILD = build/tsan
SANFLAGS = -fsanitize=thread
OPT = -O1 -g
else
BUILD = build/rel
SANFLAGS =
OPT = -O2 -g
# jemalloc for the binary: a plan of thousands of resources is mostly
# small JSON values made and freed, where glibc's allocator spends a
# quarter of the time consolidating (docs/benchmarks.md). Not with the
# sanitizers, which bring their own.
MALLOC_LIBS = -ljemalloc
endif

# Tables (schemas, commands) leave their trailing optional fields out.
CFLAGS_ALL = -std=c11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
             -Wno-missing-field-initializers \
             $(OPT) $(SANFLAGS) -I. -pthread \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(CFLAGS)
LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -pthread
LDFLAGS_ALL = $(SANFLAGS) $(LDFLAGS)

LIB_SRC = $(sort $(wildcard util/*.c engine/*.c state/*.c providers/*.c \
                 providers/*/*.c))
CMD_SRC = $(sort $(wildcard cmd/*.c))
# The price table (docs/cost.md), compiled in: a C string generated from
# the JSON file, so that an installed binary needs no file beside it.
PRICES = providers/prices/prices.json
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/prices_json.o
CMD_OBJ = $(CMD_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC = $(sort $(wildcard tests/tools/*.c))
TOOL_BIN = $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)

VENV = .venv
PY = $(VENV)/bin/python
STAMP_DEPS = build/.deps-ok
STAMP_VENV = $(VENV)/.ok

.PHONY: all deps venv test unit integration demo bench bench-tools clean \
        install format lint docs fuzz tsan

all: mlstack

ifneq ($(SANITIZE),)
mlstack: $(BUILD)/mlstack
else
mlstack: $(BUILD)/mlstack
	cp $(BUILD)/mlstack mlstack
endif

$(BUILD)/mlstack: $(CMD_OBJ) $(BUILD)/libmlstack.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(CMD_OBJ) $(BUILD)/libmlstack.a $(LIBS) \
		$(MALLOC_LIBS)

$(BUILD)/libmlstack.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $(LIB_OBJ)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

# Each line of the JSON a string literal: backslashes, quotes and '?'
# (no trigraphs) escaped.
define embed_prices
	@mkdir -p $(dir $@)
	{ echo '/* generated from $(PRICES) by the Makefile */'; \
	  echo 'extern const char ms_prices_json[];'; \
	  echo 'const char ms_prices_json[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/?/\\?/g' \
	      -e 's/^/"/' -e 's/$$/\\n"/' $(PRICES); \
	  echo ';'; } > $@.tmp && mv $@.tmp $@
endef

$(BUILD)/gen/prices_json.c: $(PRICES)
	$(embed_prices)

$(BUILD)/gen/prices_json.o: $(BUILD)/gen/prices_json.c
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libmlstack.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libmlstack.a $(LIBS) -lcmocka

$(BUILD)/tools/%: tests/tools/%.c $(BUILD)/libmlstack.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libmlstack.a $(LIBS)

# the bench's floor of a plan, with the binary's allocator
$(BUILD)/tools/plan_floor: tests/tools/plan_floor.c $(BUILD)/libmlstack.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libmlstack.a $(LIBS) \
		$(MALLOC_LIBS)

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d)

# Debian packages: installed once, checked on every run.
deps: $(STAMP_DEPS)
$(STAMP_DEPS): Makefile
	@if ! dpkg -s $(DEBS) >/dev/null 2>&1; then \
		echo "installing Debian packages: $(DEBS)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
			$(DEBS) >/dev/null; \
	fi
	@mkdir -p build && touch $@

venv: $(STAMP_VENV)
$(STAMP_VENV): tests/requirements.txt | $(STAMP_DEPS)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check \
		-r tests/requirements.txt
	touch $@

# actionlint checks the GitHub Actions workflow in docs/github/ (with
# shellcheck on its scripts); built with Go into the test venv.
ACTIONLINT = $(VENV)/bin/actionlint
ACTIONLINT_VERSION = v1.7.12
GO = $(shell command -v go || echo /usr/local/go/bin/go)
$(ACTIONLINT): | $(STAMP_VENV)
	GOBIN=$(CURDIR)/$(VENV)/bin GOFLAGS=-mod=mod $(GO) install \
		github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

# Checkov, which reads Terraform plans (tests/integration/test_checkov.py),
# in a venv of its own: it pins a boto3 older than the one moto and the
# test venv use. Its version is pinned too, so that its verdicts hold.
CHECKOV_VENV = .venv-checkov
STAMP_CHECKOV = $(CHECKOV_VENV)/.ok
$(STAMP_CHECKOV): tests/checkov-requirements.txt | $(STAMP_DEPS)
	python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q --disable-pip-version-check \
		-r tests/checkov-requirements.txt
	touch $@

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

# Two workers per core, each with its own emulator
# (tests/integration/conftest.py): the tests spend much of their time
# waiting on polls and on the emulator (a quarter less wall time than one
# per core on 2 cores).
WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) * 2 )))

integration: mlstack $(TOOL_BIN) $(STAMP_VENV) $(ACTIONLINT) $(STAMP_CHECKOV)
	MLSTACK_BIN=$(CURDIR)/$(BUILD)/mlstack MLSTACK_TOOLS=$(CURDIR)/$(BUILD)/tools \
	MLSTACK_CHECKOV=$(CURDIR)/$(CHECKOV_VENV)/bin/checkov \
		$(PY) -m pytest -q -n $(WORKERS) tests/integration $(PYTEST_ARGS)

# The builds and the venvs before the tests, one job per core.
NPROC := $(shell nproc 2>/dev/null || echo 1)
test: $(STAMP_DEPS)
	$(MAKE) -j$(NPROC) unit
	$(MAKE) -j$(NPROC) integration

demo: $(STAMP_DEPS)
	$(MAKE) mlstack $(STAMP_VENV)
	$(PY) tests/demo.py $(CURDIR)/$(BUILD)/mlstack stacks/demo.yaml

# The attribute tables of docs/resources/ from `mlstack schema`.
docs: mlstack
	python3 tests/docs/schema_tables.py ./mlstack write

# The AWS CLI, for side-by-side figures, in a venv of its own: it pins
# botocore, which the test venv's boto3 must not have to agree with.
AWSCLI_VENV = .venv-awscli
STAMP_AWSCLI = $(AWSCLI_VENV)/.ok
$(STAMP_AWSCLI): | $(STAMP_DEPS)
	python3 -m venv $(AWSCLI_VENV)
	$(AWSCLI_VENV)/bin/pip install -q awscli
	touch $@

# OpenTofu and the Terraform AWS provider, for the bench's side-by-side
# figures (its versus section), built from source through the Go module
# proxy into .bench-tools/: by hand, once a machine (make bench-tools).
# OpenTofu's go.mod replaces a module, so it is built as the main module
# of its own source. The provider's release tags are not Go module
# versions (its go.mod path has no /v6), so it is its main branch at a
# pinned commit, after 6.47.1 (labelled 6.48.0-dev in the mirror); its
# link needs about 10 GB of memory, the whole build 30-40 minutes on two
# cores. The build and module caches (12 GB) are removed after.
TOFU_VERSION = v1.12.6
TFAWS_VERSION = v1.60.1-0.20260602190131-5f2286d6d836
TFAWS_LABEL = 6.48.0-dev
BENCH_TOOLS = .bench-tools
STAMP_TOOLS = $(BENCH_TOOLS)/.ok
TOOLS_GO = GOPATH=$(CURDIR)/$(BENCH_TOOLS)/go \
	GOMODCACHE=$(CURDIR)/$(BENCH_TOOLS)/go/pkg/mod \
	GOCACHE=$(CURDIR)/$(BENCH_TOOLS)/cache \
	GOTMPDIR=$(CURDIR)/$(BENCH_TOOLS)/tmp GOFLAGS=-modcacherw go
TFAWS_DIR = $(BENCH_TOOLS)/mirror/registry.opentofu.org/hashicorp/aws/$(TFAWS_LABEL)/linux_amd64
$(STAMP_TOOLS):
	@command -v go >/dev/null || \
		{ echo "bench-tools: needs Go (1.21 or later)"; exit 1; }
	mkdir -p $(BENCH_TOOLS)/tmp $(BENCH_TOOLS)/bin $(TFAWS_DIR)
	rm -rf $(BENCH_TOOLS)/src
	$(TOOLS_GO) mod download -json \
		github.com/opentofu/opentofu@$(TOFU_VERSION) > $(BENCH_TOOLS)/tmp/tofu.json
	cp -r "$$(sed -n 's/^\t"Dir": "\(.*\)",$$/\1/p' $(BENCH_TOOLS)/tmp/tofu.json)" \
		$(BENCH_TOOLS)/src
	chmod -R u+w $(BENCH_TOOLS)/src
	cd $(BENCH_TOOLS)/src && $(TOOLS_GO) build -ldflags='-s -w' \
		-o $(CURDIR)/$(BENCH_TOOLS)/bin/tofu ./cmd/tofu
	GOBIN=$(CURDIR)/$(BENCH_TOOLS)/tmp $(TOOLS_GO) install -ldflags='-s -w' \
		github.com/hashicorp/terraform-provider-aws@$(TFAWS_VERSION)
	mv $(BENCH_TOOLS)/tmp/terraform-provider-aws \
		$(TFAWS_DIR)/terraform-provider-aws_v$(TFAWS_LABEL)
	$(TOOLS_GO) clean -cache -modcache
	rm -rf $(BENCH_TOOLS)/src $(BENCH_TOOLS)/tmp $(BENCH_TOOLS)/go \
		$(BENCH_TOOLS)/cache
	touch $@

bench-tools: $(STAMP_TOOLS)

# the versus section's tools, once made
BENCH_TOFU = $(if $(wildcard $(STAMP_TOOLS)),MLSTACK_BENCH_TOFU=$(CURDIR)/$(BENCH_TOOLS))

bench: $(STAMP_DEPS)
	$(MAKE) mlstack $(BUILD)/tools/plan_floor $(STAMP_VENV) $(STAMP_AWSCLI)
	$(BENCH_TOFU) $(PY) tests/bench/run.py $(CURDIR)/$(BUILD)/mlstack \
		$(CURDIR)/$(AWSCLI_VENV)/bin/aws

# The threads of large offline runs under ThreadSanitizer
# (tests/tsan/run.py): by hand, since its build would take CI past its time.
tsan: $(STAMP_DEPS)
	$(MAKE) SANITIZE=thread build/tsan/mlstack $(STAMP_VENV)
	$(PY) tests/tsan/run.py $(CURDIR)/build/tsan/mlstack

install: mlstack
	install -D -m 755 mlstack $(DESTDIR)$(PREFIX)/bin/mlstack

# Fuzzing (docs/fuzzing.md): the library again, built by clang with
# libFuzzer's coverage and ASan + UBSan into build/fuzz, and one binary
# per tests/fuzz/fuzz_NAME.c. Each runs FUZZ_SECONDS on a scratch copy of
# its seed corpus (tests/fuzz/corpus/NAME/, never written); any finding
# (crash, sanitizer report, leak, timeout, out-of-memory) fails the run
# and leaves its input in build/fuzz/findings/NAME/.
FUZZ_SECONDS ?= 60
FUZZ_MAX_LEN ?= 8192
FUZZ_MAX_LEN_stack = 16384 # stacks/demo.yaml is a seed
FUZZ_CC = clang
FUZZ_DEBS = clang libclang-rt-14-dev
FUZZ_BUILD = build/fuzz
FUZZ_SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
              -Wno-missing-field-initializers -O1 -g $(FUZZ_SANFLAGS) \
              -I. -pthread $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_SRC = $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES = $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_BIN = $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)
# cmd/common.c for the saved-plan reader; tests/fuzz/fuzz.c for all
FUZZ_OBJ = $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o) $(FUZZ_BUILD)/cmd/common.o \
           $(FUZZ_BUILD)/tests/fuzz/fuzz.o $(FUZZ_BUILD)/gen/prices_json.o
STAMP_FUZZ = build/.fuzz-deps-ok

$(STAMP_FUZZ): | $(STAMP_DEPS)
	@if ! dpkg -s $(FUZZ_DEBS) >/dev/null 2>&1; then \
		echo "installing Debian packages: $(FUZZ_DEBS)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
			--no-install-recommends $(FUZZ_DEBS) >/dev/null; \
	fi
	@mkdir -p build && touch $@

$(FUZZ_BUILD)/%.o: %.c | $(STAMP_FUZZ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_BUILD)/gen/prices_json.c: $(PRICES)
	$(embed_prices)

$(FUZZ_BUILD)/gen/prices_json.o: $(FUZZ_BUILD)/gen/prices_json.c | $(STAMP_FUZZ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/libmlstack.a: $(FUZZ_OBJ)
	rm -f $@
	ar rcs $@ $(FUZZ_OBJ)

$(FUZZ_BIN): $(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o \
                                  $(FUZZ_BUILD)/libmlstack.a
	$(FUZZ_CC) $(FUZZ_SANFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_BUILD)/libmlstack.a $(LIBS)

-include $(FUZZ_OBJ:.o=.d) $(FUZZ_SRC:%.c=$(FUZZ_BUILD)/%.d)

.PHONY: $(FUZZ_NAMES:%=fuzz-%)
fuzz: $(FUZZ_NAMES:%=fuzz-%)

$(FUZZ_NAMES:%=fuzz-%): fuzz-%: $(FUZZ_BUILD)/fuzz_%
	@tests/fuzz/run $* $(FUZZ_SECONDS) \
		$(or $(FUZZ_MAX_LEN_$*),$(FUZZ_MAX_LEN))

# The house style (.clang-format): make format applies it, make lint checks.
FORMATTED = $(LIB_SRC) $(CMD_SRC) $(wildcard tests/fuzz/*.c) \
            $(wildcard */*.h */*/*.h)
STAMP_LINT = build/.lint-deps-ok

$(STAMP_LINT):
	@if ! command -v clang-format >/dev/null 2>&1; then \
		echo "installing Debian packages: clang-format"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
			clang-format >/dev/null; \
	fi
	@mkdir -p build && touch $@

format: $(STAMP_LINT)
	clang-format -i $(FORMATTED)

lint: $(STAMP_LINT)
	clang-format --dry-run --Werror $(FORMATTED)

clean:
	rm -rf build mlstack
