# Letapis — build, test and run.
#
#   make run    installs missing system packages, builds, starts Letapis
#   make test   builds every binary and runs every test (what .ci/run calls)
#
# Variables you may set: FUZZTIME, BENCHCOUNT, BENCHTIMEOUT, TESTTIMEOUT, VAULT; BENCH_QUICK=1
# for `make bench`; RELIABILITY_* for `make reliability` (see docs/RELIABILITY.md).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO ?= go
BIN := bin

# System packages (Debian/Ubuntu names) that cgo needs to build the Fyne desktop app
# (go-gl/glfw on X11).
DEPS_PKGS := gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev \
	libxinerama-dev libxi-dev libxxf86vm-dev
# Extra packages for UI screenshots and smoke tests: a virtual X server and `import`/`convert`.
GUI_TEST_PKGS := xvfb imagemagick
# Extra packages for the tests that make real file systems on loop images (as root): a
# vault on btrfs (copy-on-write detection) and on ext4 (what a raw disk keeps,
# storage/forensic_linux_test.go).
FS_TEST_PKGS := e2fsprogs btrfs-progs

# Iteration counts, not durations: Go 1.26 fuzzing can fail with "context
# deadline exceeded" when a -fuzztime duration runs out (golang/go#75804).
FUZZTIME_TEST := 3000x
FUZZTIME_LONG := 2m
BENCHCOUNT ?= 5
BENCHTIMEOUT ?= 60m
TESTTIMEOUT ?= 30m
# Vault directory for `make run`; empty means the app's default location.
VAULT ?=

# What exists today decides what gets built; the Makefile works before and after each
# command's directory appears.
HAVE_CLI     := $(wildcard cmd/letapis-cli/*.go)
HAVE_DESKTOP := $(wildcard cmd/letapis/main.go)
HAVE_RELAY   := $(wildcard cmd/letapis-relay/*.go)
# Anything that links Fyne's GLFW driver needs the GL/X11 headers from `deps`.
NEED_GL      := $(strip $(HAVE_DESKTOP) $(wildcard app/*.go))

.PHONY: all deps deps-gui-test deps-fs-test check-go build test fuzz bench reliability run clean fmt vet fmt-check

all: build

# ---------------------------------------------------------------------------------------------
# System packages

# install_pkgs: install the Debian packages named in $(1) that are not installed yet.
# apt-get update runs once, and only if something is missing. Without apt-get (or without
# root and sudo) it names the packages and carries on: the build then says what is missing.
define install_pkgs
	missing=(); \
	for p in $(1); do \
		status=$$(dpkg -s "$$p" 2>/dev/null || true); \
		case "$$status" in \
			*"Status: install ok installed"*) ;; \
			*) missing+=("$$p") ;; \
		esac; \
	done; \
	if [ $${#missing[@]} -eq 0 ]; then \
		echo "deps: all system packages present ($(strip $(1)))"; \
		exit 0; \
	fi; \
	if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then \
		echo "deps: apt-get not found; install these packages with your system's package manager:" >&2; \
		echo "deps:   $${missing[*]}" >&2; \
		exit 0; \
	fi; \
	sudo=""; \
	if [ "$$(id -u)" -ne 0 ]; then \
		if command -v sudo >/dev/null 2>&1; then \
			sudo="sudo"; \
		else \
			echo "deps: not root and no sudo; as root, run:" >&2; \
			echo "deps:   apt-get install $${missing[*]}" >&2; \
			exit 0; \
		fi; \
	fi; \
	echo "deps: installing $${missing[*]}"; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$${missing[@]}"
endef

deps:
	@$(call install_pkgs,$(DEPS_PKGS))

deps-gui-test:
	@$(call install_pkgs,$(GUI_TEST_PKGS))

deps-fs-test:
	@$(call install_pkgs,$(FS_TEST_PKGS))

check-go:
	@command -v $(GO) >/dev/null 2>&1 || { \
		echo "Go is not installed (or not on PATH): install Go 1.26 or newer from the Go project, then run make again." >&2; \
		exit 1; }

# ---------------------------------------------------------------------------------------------
# Build

# The desktop app (and anything under app/) needs cgo and the GL headers.
# FyneApp.toml is copied beside bin/letapis because Fyne reads it from the directory of a
# `go build` executable (development mode, fyne.io/fyne/v2/app/meta_development.go): that
# gives `make run` the app's ID, name, icon (path relative to the working directory) and the
# fyneDo migration. `fyne package` builds take the metadata from the packaging step instead.
BUILD_PREREQS := check-go $(if $(NEED_GL),deps)

build: $(BUILD_PREREQS)
	$(GO) build ./...
	@mkdir -p $(BIN)
ifneq ($(HAVE_CLI),)
	CGO_ENABLED=0 $(GO) build -o $(BIN)/letapis-cli ./cmd/letapis-cli
else
	@echo "build: cmd/letapis-cli does not exist yet; skipping bin/letapis-cli"
endif
ifneq ($(HAVE_RELAY),)
	$(GO) build -o $(BIN)/letapis-relay ./cmd/letapis-relay
endif
ifneq ($(HAVE_DESKTOP),)
	CGO_ENABLED=1 $(GO) build -o $(BIN)/letapis ./cmd/letapis
	cp FyneApp.toml $(BIN)/FyneApp.toml
endif

# ---------------------------------------------------------------------------------------------
# Tests

fmt: check-go
	find . -name '*.go' -not -path './.git/*' -not -path './$(BIN)/*' -not -path '*/testdata/*' -print0 | xargs -0 -r gofmt -l -w

fmt-check: check-go
	@unformatted=$$(find . -name '*.go' -not -path './.git/*' -not -path './$(BIN)/*' -not -path '*/testdata/*' -print0 | xargs -0 -r gofmt -l); \
	if [ -n "$$unformatted" ]; then \
		echo "gofmt: these files are not formatted (run 'make fmt'):" >&2; \
		echo "$$unformatted" >&2; \
		exit 1; \
	fi; \
	echo "gofmt: ok"

vet: check-go $(if $(NEED_GL),deps)
	$(GO) vet ./...

# fuzz_all: run every fuzz target in the repository, one at a time, for $(1) each.
# Targets are found as `func FuzzXxx(` at the start of a line in *_test.go files (testdata
# excluded). Go keeps its fuzz cache under GOCACHE; only new crashers land in testdata/fuzz.
define fuzz_all
	targets=$$(grep -rE --include='*_test.go' --exclude-dir=testdata --exclude-dir=.git \
		--exclude-dir=$(BIN) -o '^func Fuzz[A-Za-z0-9_]*\(' . \
		| sed -E 's/^(.*)\/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\($$/\1 \2/' | sort -u || true); \
	if [ -z "$$targets" ]; then echo "fuzz: no fuzz targets found"; exit 0; fi; \
	n=$$(printf '%s\n' "$$targets" | wc -l); \
	echo "fuzz: $$n target(s), $(1) each"; \
	while read -r dir name; do \
		echo "fuzz: $$dir $$name"; \
		$(GO) test -run=NONE -fuzz="^$$name\$$" -fuzztime=$(1) "$$dir"; \
	done <<< "$$targets"
endef

test: build deps-gui-test deps-fs-test fmt-check vet
	$(GO) test -count=1 -timeout $(TESTTIMEOUT) ./...
	@$(call fuzz_all,$(or $(FUZZTIME),$(FUZZTIME_TEST)))

fuzz: check-go $(if $(NEED_GL),deps)
	@$(call fuzz_all,$(or $(FUZZTIME),$(FUZZTIME_LONG)))

# bench: the performance table of docs/ARCHITECTURE.md (docs/PERFORMANCE.md): every budget row,
# the median of BENCHCOUNT runs, and the limit measured in the same run. BENCH_QUICK=1 runs it
# on small data, once.
bench: check-go $(if $(NEED_GL),deps)
	BENCHCOUNT=$(BENCHCOUNT) BENCHTIMEOUT=$(BENCHTIMEOUT) GO=$(GO) $(GO) run ./cmd/letapis-proof bench

# reliability: the long forms of the fault tests and of the fuzz targets, and a table of their
# counts (docs/RELIABILITY.md). RELIABILITY_* variables set the lengths.
reliability: check-go
	GO=$(GO) $(GO) run ./cmd/letapis-proof reliability

# ---------------------------------------------------------------------------------------------
# Package

# `make package` makes the Linux package bin/package/Letapis.tar.xz with the Fyne CLI, installed
# at the pinned version into bin/tools (not $GOPATH/bin). `fyne package --src DIR` reads
# DIR/FyneApp.toml, resolves its Icon relative to DIR, builds DIR and builds the metadata into
# the binary; nothing else is read, and from the repository root it would build the root, which
# holds no main package. So the recipe hands it a copy of our FyneApp.toml in cmd/letapis with
# the Icon path made absolute, and removes the copy afterwards (the tool also bumps Build in it).
FYNE_TOOLS_VERSION := v1.7.4
FYNE := $(BIN)/tools/fyne-$(FYNE_TOOLS_VERSION)/fyne
PACKAGE_SRC := cmd/letapis
PACKAGE_DIR := $(BIN)/package

$(FYNE): | check-go
	GOBIN="$(CURDIR)/$(dir $(FYNE))" $(GO) install fyne.io/tools/cmd/fyne@$(FYNE_TOOLS_VERSION)

.PHONY: package
package: check-go deps $(FYNE)
	rm -rf $(PACKAGE_DIR) && mkdir -p $(PACKAGE_DIR)
	staged="$(CURDIR)/$(PACKAGE_SRC)/FyneApp.toml"; \
	trap 'rm -f "$$staged"' EXIT; \
	sed -E 's|^(Icon[[:space:]]*=[[:space:]]*")([^/"][^"]*")|\1$(CURDIR)/\2|' FyneApp.toml > "$$staged"; \
	cd $(PACKAGE_DIR) && "$(CURDIR)/$(FYNE)" package --target linux --release --src "$(CURDIR)/$(PACKAGE_SRC)"
	@ls $(PACKAGE_DIR)/*.tar.xz

# ---------------------------------------------------------------------------------------------
# Run

ifneq ($(HAVE_DESKTOP),)
run: deps build
	./$(BIN)/letapis $(if $(VAULT),--vault "$(VAULT)")
else
run: build
	@echo "run: the desktop app (cmd/letapis) is not built yet; showing the command-line client instead."
	./$(BIN)/letapis-cli help
endif

clean:
	rm -rf $(BIN)
