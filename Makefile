# bk: make builds the tools; make check builds with -Werror and runs the
# tests (installing what they need first); see README for the rest.

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
DESTDIR	?=
VERSION	 = 0.1.0

CC	?= cc
PKGS	 = zlib libcrypto libpq sqlite3 jansson

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
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
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
MAN1	 = $(wildcard man/*.1)
MAN5	 = $(wildcard man/*.5)
MAN7	 = $(wildcard man/*.7)

# Debian packages to build and to test (the peers the tests run for real).
DEB_BUILD = gcc make pkg-config zlib1g-dev libssl-dev libpq-dev libcsv-dev \
	    libsqlite3-dev libjansson-dev
DEB_TEST  = perl python3 postgresql sqlite3 gzip pigz age mandoc restic \
	    miller csvkit time util-linux procps openssl python3-cryptography libreoffice-calc-nogui
DEB_ALL	  = $(DEB_BUILD) $(DEB_TEST)

.PHONY: all check deps deps-check install uninstall bench demo clean lint units

all: $(BINS) $(UNITS)

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
	$(CC) $(BK_CFLAGS) -o $@ $< $(BUILD)/libbk.a $(BK_LDFLAGS) $(BK_LIBS)

$(BUILD)/unit/%: tests/unit/%.c tests/unit/tap.h $(BUILD)/libbk.a $(BUILD)/.flags
	@mkdir -p $(@D)
	$(CC) $(BK_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libbk.a \
	    $(BK_LDFLAGS) $(BK_LIBS)

# Installs the Debian packages when run as root, else says how.
deps:
	@missing=$$(for p in $(DEB_ALL); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
	    grep -q '^install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "deps: all packages installed"; \
	elif [ "$$(id -u)" = 0 ]; then \
	    echo "deps: installing" $$missing; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq $$missing \
	    >/dev/null || exit 1; \
	else echo "deps: run as root: apt-get install" $$missing; exit 1; fi

lint:
	mandoc -T lint -W warning $(MAN1) $(MAN5) $(MAN7)

check: deps
	$(MAKE) WERROR=1 all
	$(MAKE) lint
	BUILD=$(BUILD) tests/run.sh

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
	rm -rf build build-san
