# bk: make builds the tools; make check builds with -Werror and runs the
# tests (installing what they need first); see README for the rest.

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
DESTDIR	?=
VERSION	 = 0.1.0

CC	?= cc
PKGS	 = zlib libcrypto libpq sqlite3 jansson libcurl

# A sanitized build lives in its own folder so the two never mix.
ifeq ($(SANITIZE),1)
BUILD	?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined
else
BUILD	?= build
SANFLAGS =
endif

WARN	 = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes
ifeq ($(WERROR),1)
WARN	+= -Werror
endif
OPT	?= -O2 -g
# pkg-config is asked once, when a compile first needs the flags (after
# deps-build has had its chance to install what is missing); a module it
# cannot find stops the build with the Debian package that brings it.
deb_of	 = $(or $(word 2,$(subst =, ,$(filter $(1)=%,$(PKG_DEBS)))),$(1))
PKG_DEBS = zlib=zlib1g-dev libcrypto=libssl-dev libpq=libpq-dev \
	   sqlite3=libsqlite3-dev jansson=libjansson-dev \
	   libcurl=libcurl4-openssl-dev
pkgconf	 = $(if $(shell command -v pkg-config),,$(error pkg-config is not \
	   installed: apt-get install pkg-config (or make deps as root)))$(foreach \
	   m,$(PKGS),$(if $(shell pkg-config --exists $(m) && echo y),,$(error \
	   pkg-config finds no $(m): apt-get install $(call deb_of,$(m)) (or \
	   make deps as root))))$(shell pkg-config $(1) $(PKGS))
PKG_CFLAGS = $(eval PKG_CFLAGS := $(call pkgconf,--cflags))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $(call pkgconf,--libs))$(PKG_LIBS)
BK_CFLAGS = -std=c11 $(WARN) $(OPT) $(SANFLAGS) -D_POSIX_C_SOURCE=200809L \
	   -D_FILE_OFFSET_BITS=64 -DBK_VERSION='"$(VERSION)"' -Icommon \
	   $(PKG_CFLAGS) $(CFLAGS)
BK_LDFLAGS = $(SANFLAGS) -Wl,--as-needed $(LDFLAGS)
BK_LIBS	 = $(PKG_LIBS) -lcsv -lpthread -lm $(LDLIBS)

TOOLS	 = $(patsubst tools/%.c,%,$(wildcard tools/bk-*.c))
BINS	 = $(addprefix $(BUILD)/bin/,$(TOOLS))
LIBSRC	 = $(wildcard common/*.c)
LIBOBJ	 = $(patsubst common/%.c,$(BUILD)/common/%.o,$(LIBSRC))
UNITSRC	 = $(wildcard tests/unit/t-*.c)
UNITS	 = $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNITSRC))
# The fault injector the 10xx tests preload (tests/faults/inject.c).
INJECT	 = $(BUILD)/faults/inject.so
MAN1	 = $(wildcard man/*.1)
MAN5	 = $(wildcard man/*.5)
MAN7	 = $(wildcard man/*.7)

# Debian packages to build (and to run the demo), and to test: the peers
# the tests run for real.  Every program a test calls is in one of them.
DEB_BUILD = gcc libc6-dev make pkg-config zlib1g-dev libssl-dev libpq-dev \
	    libcsv-dev libsqlite3-dev libjansson-dev libcurl4-openssl-dev \
	    sqlite3
DEB_TEST  = perl python3 postgresql gzip pigz age mandoc restic miller \
	    csvkit jq time util-linux bsdextrautils mount procps tzdata openssl \
	    python3-cryptography python3-prometheus-client \
	    libreoffice-calc-nogui clang libclang-rt-dev \
	    ceph-mon ceph-osd radosgw ceph-common awscli
DEB_ALL	  = $(DEB_BUILD) $(DEB_TEST)

.PHONY: all build check deps deps-build install uninstall bench demo clean lint
	lint fuzz fuzz-build

# The build dependencies first (installed when root, else named), then
# the build itself in a second make that reads pkg-config afresh.
all: deps-build
	@$(MAKE) --no-print-directory build

build: $(BINS) $(UNITS) $(INJECT)

# Objects depend on the flags, so switching WERROR or OPT rebuilds them.
$(BUILD)/.flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(BK_CFLAGS) $(BK_LDFLAGS) $(BK_LIBS)' | cmp -s - $@ || \
	    echo '$(BK_CFLAGS) $(BK_LDFLAGS) $(BK_LIBS)' > $@
FORCE:

$(BUILD)/common/%.o: common/%.c common/bk.h $(BUILD)/.flags
	@mkdir -p $(@D)
	$(CC) $(BK_CFLAGS) -c -o $@ $<

$(BUILD)/libbk.a: $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

$(BUILD)/bin/%: tools/%.c $(BUILD)/libbk.a common/bk.h $(BUILD)/.flags
	@mkdir -p $(@D)
	$(CC) $(BK_CFLAGS) -o $@ $< $(filter %.o,$^) $(BUILD)/libbk.a \
	    $(BK_LDFLAGS) $(BK_LIBS)

$(BUILD)/unit/%: tests/unit/%.c tests/unit/tap.h $(BUILD)/libbk.a $(BUILD)/.flags
	@mkdir -p $(@D)
	$(CC) $(BK_CFLAGS) -Itests/unit -o $@ $< $(filter %.o,$^) \
	    $(BUILD)/libbk.a $(BK_LDFLAGS) $(BK_LIBS)

# A long tool is cut into parts: tools/bk-X.c (main) and tools/X/*.c,
# an object each, all depending on the folder's headers.  The unit tests
# of a part name it below.
parts_of = $(patsubst tools/%.c,$(BUILD)/tools/%.o,$(wildcard tools/$(1)/*.c))
$(foreach t,$(TOOLS),$(eval $(BUILD)/bin/$(t): $(call parts_of,$(t:bk-%=%)) \
	$(wildcard tools/$(t:bk-%=%)/*.h)))

.SECONDEXPANSION:
$(BUILD)/tools/%.o: tools/%.c $$(wildcard $$(dir tools/$$*)*.h) common/bk.h \
	    $(BUILD)/.flags
	@mkdir -p $(@D)
	$(CC) $(BK_CFLAGS) -c -o $@ $<

$(BUILD)/unit/t-restore-statements: $(BUILD)/tools/restore/statements.o \
	tools/restore/restore.h
$(BUILD)/unit/t-sigv4: $(BUILD)/tools/s3/sigv4.o tools/s3/s3.h
$(BUILD)/unit/t-s3xml: $(BUILD)/tools/s3/xml.o tools/s3/s3.h

# A shared object of its own, without the sanitizers: it is preloaded
# into the tools (and into the programs they run, such as psql).
$(INJECT): tests/faults/inject.c $(BUILD)/.flags
	@mkdir -p $(@D)
	$(CC) -std=c11 $(WARN) $(OPT) -shared -fPIC -o $@ $< -ldl

# deps-build and deps: install the missing Debian packages when root,
# with apt's own progress on the screen; otherwise name them in the one
# command to run as root, and fail.
define install_debs
@missing=$$(for p in $(1); do \
    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
    grep -q '^install ok installed' || echo $$p; done); \
missing=$$(echo $$missing); \
if [ -z "$$missing" ]; then :; \
elif [ "$$(id -u)" = 0 ]; then \
    echo "deps: apt-get installs these Debian packages" \
	"and what they need: $$missing"; \
    apt-get -q update && DEBIAN_FRONTEND=noninteractive \
    apt-get -q -y -o Dpkg::Use-Pty=0 install $$missing || exit 1; \
    echo "deps: installed $$missing"; \
else echo "deps: missing Debian packages: $$missing" >&2; \
    echo "deps: run as root:  apt-get install $$missing" >&2; exit 1; fi
endef

deps-build:
	$(call install_debs,$(DEB_BUILD))

deps:
	$(call install_debs,$(DEB_ALL))
	@echo "deps: all packages installed"

lint:
	mandoc -T lint -W warning $(MAN1) $(MAN5) $(MAN7)

check: deps
	@$(MAKE) --no-print-directory WERROR=1 build
	@$(MAKE) --no-print-directory lint
	BUILD=$(BUILD) tests/run.sh
	@$(FUZZ_RUN) -k $(FUZZ_CHECK_TIME)

# Fuzzing: the libFuzzer harnesses of tests/fuzz/, built by clang with
# ASan and UBSan in build-fuzz/.  make fuzz runs each FUZZ_TIME seconds;
# check runs each FUZZ_CHECK_TIME seconds, or says in one line that
# clang's libFuzzer is missing and skips (see tests/fuzz/run.sh).
FUZZ_CC	  ?= clang
FUZZ_TIME ?= 60
FUZZ_CHECK_TIME ?= 3
FUZZ_SAN   = -fsanitize=fuzzer-no-link,address,undefined \
	     -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_RUN   = MAKE='$(MAKE)' FUZZ_CC='$(FUZZ_CC)' tests/fuzz/run.sh

fuzz: deps-build
	@$(FUZZ_RUN) $(FUZZ_TIME)

# Called by tests/fuzz/run.sh once it found libFuzzer.
fuzz-build:
	@$(MAKE) --no-print-directory CC='$(FUZZ_CC)' BUILD=build-fuzz \
	    SANFLAGS='$(FUZZ_SAN)' $(patsubst tests/fuzz/%.c,build-fuzz/fuzz/%,\
	    $(wildcard tests/fuzz/fuzz-*.c))

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(BUILD)/libbk.a \
	    $(BUILD)/.flags
	@mkdir -p $(@D)
	$(CC) $(BK_CFLAGS) -Itests/fuzz -fsanitize=fuzzer -o $@ $< \
	    $(BUILD)/libbk.a $(BK_LDFLAGS) $(BK_LIBS)

bench: all
	BUILD=$(BUILD) tests/bench.sh

demo: all
	BUILD=$(BUILD) examples/demo.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1
	$(if $(MAN5),install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5)
	install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(TOOLS)) \
	    $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1))) \
	    $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5))) \
	    $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(MAN7)))

clean:
	rm -rf build build-san build-fuzz
