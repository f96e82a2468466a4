# bk: make builds the tools; make check builds with -Werror and runs the
# tests (installing what they need first); see README for the rest.

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
# The scripts the systemd units and the crontab run, the units, and the
# examples to read (make install; the Debian package has PREFIX=/usr).
LIBEXECDIR ?= $(PREFIX)/lib/bk
UNITDIR	?= $(PREFIX)/lib/systemd/system
DOCDIR	?= $(PREFIX)/share/doc/bk
DESTDIR	?=
VERSION	 = 0.1.0

CC	?= cc
PKGS	 = zlib libdeflate libzstd libcrypto libpq sqlite3 jansson libcurl

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
PKG_DEBS = zlib=zlib1g-dev libdeflate=libdeflate-dev libzstd=libzstd-dev \
	   libcrypto=libssl-dev \
	   libpq=libpq-dev sqlite3=libsqlite3-dev jansson=libjansson-dev \
	   libcurl=libcurl4-openssl-dev
# $(call pkgconf,--cflags,MODULES) or --libs.
pkgconf	 = $(if $(shell command -v pkg-config),,$(error pkg-config is not \
	   installed: apt-get install pkg-config (or make deps as root)))$(foreach \
	   m,$(2),$(if $(shell pkg-config --exists $(m) && echo y),,$(error \
	   pkg-config finds no $(m): apt-get install $(call deb_of,$(m)) (or \
	   make deps as root))))$(shell pkg-config $(1) $(2))
PKG_CFLAGS = $(eval PKG_CFLAGS := $(call pkgconf,--cflags,$(PKGS)))$(PKG_CFLAGS)
BK_CFLAGS = -std=c11 $(WARN) $(OPT) $(SANFLAGS) -D_POSIX_C_SOURCE=200809L \
	   -D_FILE_OFFSET_BITS=64 -DBK_VERSION='"$(VERSION)"' -Icommon \
	   $(PKG_CFLAGS) $(CPPFLAGS) $(CFLAGS)
BK_LDFLAGS = $(SANFLAGS) -Wl,--as-needed $(LDFLAGS)

# The libraries each program links, and nothing else: pkg-config modules
# (PKGS, asked once each, when a link first needs one) and plain -l
# libraries (csv, pthread, m).  A program's list covers its own code and
# the parts of libbk.a it pulls in; tests/0009-libs.t compares it with the
# NEEDED entries of the built programs.  No program uses libm.
LIBS_bk-crypt	 = zlib libdeflate libzstd libcrypto sqlite3 jansson csv pthread
LIBS_bk-csv	 = libcrypto jansson csv pthread
LIBS_bk-dump	 = libcrypto libpq sqlite3 jansson pthread
LIBS_bk-gz	 = zlib libdeflate libcrypto pthread
LIBS_bk-manifest = zlib libdeflate libzstd libcrypto libpq sqlite3 jansson csv pthread
LIBS_bk-restore	 = zlib libdeflate libzstd libcrypto libpq sqlite3 jansson csv pthread
LIBS_bk-rotate	 = libcrypto jansson
LIBS_bk-s3	 = libcurl libcrypto jansson pthread
LIBS_bk-sum	 = libcrypto pthread
LIBS_bk-verify	 = zlib libdeflate libzstd libcrypto sqlite3 jansson csv pthread
LIBS_bk-zstd	 = libzstd libcrypto pthread
LIBS_t-age	 = libcrypto
LIBS_t-conninfo	 = libcrypto libpq
LIBS_t-codec	 = libcrypto
LIBS_t-csvread	 = libcrypto csv pthread
LIBS_t-detect	 =
LIBS_t-digest	 = libcrypto
LIBS_t-gunzip	 = zlib libdeflate libcrypto
LIBS_t-io	 = libcrypto
LIBS_t-manifest	 = zlib libdeflate libzstd libcrypto libpq sqlite3 jansson csv pthread
LIBS_t-mlkem	 = libcrypto
LIBS_t-parse	 =
LIBS_t-pgscript	 =
LIBS_t-policy	 = libcrypto
LIBS_t-progress	 =
LIBS_t-restore-statements = libcrypto
LIBS_t-s3xml	 = libcrypto
LIBS_t-sigv4	 = libcrypto
LIBS_t-sqlitefile = libcrypto sqlite3 pthread
LIBS_t-sumlist	 = libcrypto
LIBS_t-unzstd	 = libzstd libcrypto
LIBS_t-writers	 = libcrypto jansson
LIBS_fuzz-age	 = libcrypto
LIBS_fuzz-csv	 = libcrypto csv pthread
LIBS_fuzz-gunzip = zlib libdeflate libcrypto
LIBS_fuzz-inspect = zlib libdeflate libzstd libcrypto sqlite3 jansson csv pthread
LIBS_fuzz-manifest = libcrypto jansson
LIBS_fuzz-unzstd = libzstd libcrypto
LIBS_fuzz-parse	 = libcrypto
LIBS_fuzz-secrets = libcrypto libpq
pkg_libs = $(foreach m,$(1),$(if $(PKG_LIBS_$(m)),,$(eval PKG_LIBS_$(m) := \
	   $(call pkgconf,--libs,$(m))))$(PKG_LIBS_$(m)))
# $(call libs_of,PROGRAM): its link flags; a program without a list stops
# the build.
libs_of	 = $(if $(filter undefined,$(origin LIBS_$(1))),$(error $(1): no \
	   LIBS_$(1) in the Makefile: declare the libraries it links))$(call \
	   pkg_libs,$(filter $(PKGS),$(LIBS_$(1)))) $(addprefix -l,$(filter-out \
	   $(PKGS),$(LIBS_$(1)))) $(LDLIBS)
DECLARED_LIBS = $(foreach p,$(sort $(filter LIBS_%,$(.VARIABLES))),$(p)=$($(p)))

TOOLS	 = $(patsubst tools/%.c,%,$(wildcard tools/bk-*.c))
BINS	 = $(addprefix $(BUILD)/bin/,$(TOOLS))
LIBSRC	 = $(wildcard common/*/*.c)
LIBHDR	 = $(wildcard common/*/*.h)
# ar keeps an object under its file name alone: two parts with a file of
# the same name would replace one another in libbk.a.
$(if $(filter-out $(words $(sort $(notdir $(LIBSRC)))),$(words $(LIBSRC))),\
    $(error common/: two files of the same name: $(sort $(foreach f,\
    $(notdir $(LIBSRC)),$(if $(filter-out 1,$(words $(filter %/$(f),\
    $(LIBSRC)))),$(f))))))
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
DEB_BUILD = gcc libc6-dev make pkg-config zlib1g-dev libdeflate-dev \
	    libzstd-dev libssl-dev libpq-dev libcsv-dev libsqlite3-dev \
	    libjansson-dev libcurl4-openssl-dev sqlite3
DEB_TEST  = perl python3 postgresql gzip pigz libdeflate-tools zstd age mandoc \
	    restic miller \
	    csvkit jq time util-linux bsdextrautils mount procps tzdata openssl \
	    python3-cryptography python3-prometheus-client \
	    libreoffice-calc-nogui clang libclang-rt-dev \
	    ceph-mon ceph-osd radosgw ceph-common awscli \
	    systemd curl shellcheck chromium libxml2-utils \
	    dpkg-dev debhelper lintian blhc prometheus
DEB_ALL	  = $(DEB_BUILD) $(DEB_TEST)

.PHONY: all build tools check deps deps-build install install-files uninstall \
	deb deb-check bench demo clean lint fuzz fuzz-build print-libs print-cflags

# The build dependencies first (installed when root, else named), then
# the build itself in a second make that reads pkg-config afresh.
all: deps-build
	@$(MAKE) --no-print-directory build

build: $(BINS) $(UNITS) $(INJECT)

# The programs alone (debian/rules builds them).
tools: $(BINS)

# Objects depend on the flags, so switching WERROR or OPT rebuilds them.
$(BUILD)/.flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(BK_CFLAGS) $(BK_LDFLAGS) $(LDLIBS) $(DECLARED_LIBS)' | \
	    cmp -s - $@ || \
	    echo '$(BK_CFLAGS) $(BK_LDFLAGS) $(LDLIBS) $(DECLARED_LIBS)' > $@
FORCE:

$(BUILD)/common/%.o: common/%.c $(LIBHDR) $(BUILD)/.flags
	@mkdir -p $(@D)
	$(CC) $(BK_CFLAGS) -c -o $@ $<

$(BUILD)/libbk.a: $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

$(BUILD)/bin/%: tools/%.c $(BUILD)/libbk.a $(LIBHDR) $(BUILD)/.flags
	@mkdir -p $(@D)
	$(CC) $(BK_CFLAGS) -o $@ $< $(filter %.o,$^) $(BUILD)/libbk.a \
	    $(BK_LDFLAGS) $(call libs_of,$*)

$(BUILD)/unit/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(BUILD)/libbk.a \
	    $(BUILD)/.flags
	@mkdir -p $(@D)
	$(CC) $(BK_CFLAGS) -Itests/unit -o $@ $< $(filter %.o,$^) \
	    $(BUILD)/libbk.a $(BK_LDFLAGS) $(call libs_of,$*)

# A long tool is cut into parts: tools/bk-X.c (main) and tools/X/*.c,
# an object each, all depending on the folder's headers.  The unit tests
# of a part name it below.
parts_of = $(patsubst tools/%.c,$(BUILD)/tools/%.o,$(wildcard tools/$(1)/*.c))
$(foreach t,$(TOOLS),$(eval $(BUILD)/bin/$(t): $(call parts_of,$(t:bk-%=%)) \
	$(wildcard tools/$(t:bk-%=%)/*.h)))

.SECONDEXPANSION:
$(BUILD)/tools/%.o: tools/%.c $$(wildcard $$(dir tools/$$*)*.h) $(LIBHDR) \
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
	    $(BUILD)/libbk.a $(BK_LDFLAGS) $(call libs_of,$*)

# For the tests: each program's declared libraries (tests/0009-libs.t)
# and the compiler's flags (tests/0008-layers.t).
print-libs print-cflags: FORCE
print-libs:
	@$(foreach v,$(sort $(filter LIBS_%,$(.VARIABLES))),\
	    echo '$(v:LIBS_%=%): $(strip $($(v)))';)
print-cflags:
	@echo '$(CC) $(filter-out -DBK_VERSION=%,$(BK_CFLAGS))'

bench: all
	BUILD=$(BUILD) tests/bench.sh $(BENCH)

demo: all
	BUILD=$(BUILD) examples/demo.sh

# make install builds first (installing what the build needs when root);
# install-files copies a build already made, as debian/rules does.  The
# scripts the units and the crontab run go to LIBEXECDIR, their paths
# under /usr/local/lib/bk rewritten to it in the installed units and
# examples; the units are installed, never enabled; examples/ goes whole
# to DOCDIR, its executables executable.
install: all
	@$(MAKE) --no-print-directory install-files

EXAMPLES  = $(sort $(shell find examples -type f))
SYSTEMD_UNITS = $(wildcard $(addprefix examples/systemd/*.,service timer \
	    path socket))
JOB_SCRIPTS = $(sort $(notdir $(shell grep -ho '/usr/local/lib/bk/[A-Za-z0-9._-]*' \
	    examples/crontab $(SYSTEMD_UNITS))))
TO_LIBEXEC = sed 's|/usr/local/lib/bk|$(LIBEXECDIR)|g'

install-files: $(BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(UNITDIR)
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1
	$(if $(MAN5),install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5)
	install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(addprefix examples/,$(JOB_SCRIPTS)) $(DESTDIR)$(LIBEXECDIR)
	for f in $(EXAMPLES); do d=$(DESTDIR)$(DOCDIR)/$$f; \
	    install -d $${d%/*} && $(TO_LIBEXEC) $$f >$$d && \
	    if [ -x $$f ]; then chmod 755 $$d; else chmod 644 $$d; fi || \
	    exit 1; done
	for f in $(SYSTEMD_UNITS); do \
	    $(TO_LIBEXEC) $$f >$(DESTDIR)$(UNITDIR)/$${f##*/} && \
	    chmod 644 $(DESTDIR)$(UNITDIR)/$${f##*/} || exit 1; done

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(TOOLS)) \
	    $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1))) \
	    $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5))) \
	    $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(MAN7))) \
	    $(addprefix $(DESTDIR)$(LIBEXECDIR)/,$(JOB_SCRIPTS)) \
	    $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(SYSTEMD_UNITS)))
	rm -rf $(DESTDIR)$(DOCDIR)/examples
	-rmdir $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DOCDIR)

# make deb: the Debian package, built by Debian's tools (debian/) from a
# copy of the files git tracks, in DEBDIR, so that the tree stays as it
# was; the .deb, its -dbgsym, .buildinfo and .changes end up in DEBDIR.
# The package is built the same whatever this make was given (SANITIZE=1,
# -j): debian/rules names what it needs.
# make deb-check (as root, with network): installs it with apt-get on a
# fresh Debian 12 and runs a recipe with the installed tools.
DEBDIR	?= $(BUILD)/deb
deb:
	$(call install_debs,$(DEB_BUILD) dpkg-dev debhelper)
	@git rev-parse --git-dir >/dev/null 2>&1 || \
	    { echo "deb: not a git checkout: make deb packs the files git tracks" >&2; exit 1; }
	rm -rf $(DEBDIR)
	mkdir -p $(DEBDIR)/bk-$(VERSION)
	git ls-files -z | tar --null -T - -cf - | tar -C $(DEBDIR)/bk-$(VERSION) -xf -
	cd $(DEBDIR)/bk-$(VERSION) && env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
	    dpkg-buildpackage -us -uc -b -jauto
	rm -rf $(DEBDIR)/bk-$(VERSION)
	@echo "deb: $$(ls $(DEBDIR)/bk_$(VERSION)_*.deb)"

deb-check: deb
	tests/deb/install-check $(DEBDIR)/bk_$(VERSION)_*.deb

clean:
	rm -rf build build-san build-fuzz
