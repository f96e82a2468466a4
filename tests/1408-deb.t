#!/bin/sh
# The Debian package: make deb builds it with dpkg-buildpackage from a copy
# of the tracked files (here into $T, so make check's build/ is untouched,
# and the tree is as it was); lintian finds no error or warning (and
# refuses a broken package), and no hardening tag at any level (PIE,
# RELRO, BINDNOW, FORTIFY); its info, pedantic and experimental tags are
# shown (none at the time of writing); blhc finds every hardening flag of
# dpkg-buildflags on every compile and link of the build log (and refuses
# a log without them); dpkg-deb -c lists each tool,
# man page, example, unit and the scripts the units run, nothing else;
# the control fields (version from the Makefile, libraries from
# shlibdeps, postgresql-client recommended) and no maintainer script that
# enables or starts a unit.  Then the package is unpacked with dpkg-deb -x
# into a folder and a recipe runs with the unpacked tools alone, under the
# unpacked bk-job.sh: a SQLite copy and a CSV through bk-gz, recorded,
# verified, restored identical.  No root needed.  The build is the cost:
# about 15 s on 2 idle cores, a minute on a loaded machine.
# tests/deb/install-check (make deb-check, as root) installs the package
# on a fresh Debian 12.
. "$(dirname "$0")/lib.sh"
need dpkg-buildpackage dh dpkg-deb dpkg-parsechangelog lintian blhc git \
    sqlite3 gzip
git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1 ||
    skip_all "not a git checkout: make deb packs the files git tracks"

version=$(sed -n 's/^VERSION[[:space:]]*=[[:space:]]*//p' "$TOP/Makefile")
tracked() { git -C "$TOP" ls-files -- "$@"; }

# ---- the build ----
is "debian/changelog's version is the Makefile's" \
    "$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)" "$version"
git -C "$TOP" status --porcelain >status.before
# The make that runs this test may have been given SANITIZE=1, -j or a
# BUILD: make deb builds the package the same whatever it inherits.
s=$(date +%s)
env BUILD="$T/leak" SANITIZE=1 make -C "$TOP" --no-print-directory deb \
    DEBDIR="$T/deb" >build.log 2>&1
rc=$?
diag "make deb: $(($(date +%s) - s)) s"
if [ "$rc" = 0 ]; then pass "make deb builds the package"
else fail "make deb builds the package"; diag "exit $rc"
	tail -15 build.log | sed 's/^/#   /'; done_testing; exit; fi
deb=$T/deb/bk_${version}_$(dpkg-architecture -qDEB_HOST_ARCH).deb
ok "... as $(basename "$deb")" test -f "$deb"
ok "... and its .changes and .buildinfo beside it" \
    test -f "${deb%.deb}.changes" -a -f "${deb%.deb}.buildinfo"
ok "... nothing left of the copy it was built in" \
    test ! -e "$T/deb/bk-$version"
git -C "$TOP" status --porcelain >status.after
same "the tree is as it was (git status)" status.after status.before
ok "... the BUILD it inherited unused" test ! -e "$T/leak"
unlike "... and no sanitizer from SANITIZE=1" build.log '-fsanitize'

# ---- lintian and the hardening flags ----
run lintian -I -E --pedantic --fail-on error,warning "${deb%.deb}.changes"
sed 's/^/# lintian: /' "$T/out"
is "lintian: no error or warning" "$rc" 0
unlike "... nor any hardening tag, info included" "$T/out" ' hardening-'
# A package with something plainly wrong is refused, so the check can fail.
dpkg-deb -R "$deb" broken
rm broken/usr/share/doc/bk/copyright
dpkg-deb --root-owner-group -b broken broken.deb >/dev/null
run lintian --fail-on error,warning broken.deb
like "... and refuses a package without its copyright file" "$T/out" \
    '^E: bk: no-copyright-file'
run blhc --bindnow build.log
is "blhc: every compile and link had the hardening flags" "$rc" 0
sed 's/ -fstack-protector-strong / /' build.log >nossp.log
run blhc --bindnow nossp.log
like "... and refuses a log without -fstack-protector-strong" "$T/out" \
    '^CFLAGS missing \(-fstack-protector-strong\)'
like "the compiles had _FORTIFY_SOURCE (CPPFLAGS)" build.log \
    '^cc .*-D_FORTIFY_SOURCE=[23] .*-c -o build/'

# ---- the contents ----
dpkg-deb -c "$deb" | awk '{ sub(/^\.\//, "", $6); print $1, $6 }' >list
has() {	# has MODE PATH: the package holds PATH with permissions MODE
	grep -qxF -- "$1 $2" list || { diag "no $1 $2"; return 1; }
}
want=
for s in $(tracked 'tools/bk-*.c'); do
	t=${s##*/}; t=${t%.c}
	want="$want usr/bin/$t"
	ok "$t in /usr/bin" has -rwxr-xr-x "usr/bin/$t"
done
for m in $(tracked 'man/*.[1-9]'); do
	p=usr/share/man/man${m##*.}/${m##*/}.gz
	want="$want $p"
	ok "${m##*/}, compressed, in /usr/share/man" has -rw-r--r-- "$p"
done
for e in $(tracked 'examples/*'); do
	p=usr/share/doc/bk/$e
	want="$want $p"
	if [ -x "$TOP/$e" ]; then m=-rwxr-xr-x; else m=-rw-r--r--; fi
	ok "$e in /usr/share/doc/bk" has "$m" "$p"
done
for u in $(tracked 'examples/systemd/*.service' 'examples/systemd/*.timer' \
    'examples/systemd/*.path' 'examples/systemd/*.socket'); do
	p=usr/lib/systemd/system/${u##*/}
	want="$want $p"
	ok "${u##*/} in /usr/lib/systemd/system" has -rw-r--r-- "$p"
done
scripts=$(grep -ho '/usr/local/lib/bk/[A-Za-z0-9._-]*' \
    "$TOP/examples/crontab" "$TOP"/examples/systemd/* | sort -u)
for s in $scripts; do
	p=usr/libexec/bk/${s##*/}
	want="$want $p"
	ok "${s##*/}, run by the units, in /usr/libexec/bk" has -rwxr-xr-x "$p"
done
want="$want usr/share/doc/bk/copyright usr/share/doc/bk/changelog.gz"
echo "$want" | tr ' ' '\n' | sed '/^$/d' | sort >want
awk '$1 !~ /^d/ { print $2 }' list | sort >got
same "... and no other file" got want

# ---- the control fields and the maintainer scripts ----
is "Version is the Makefile's" "$(dpkg-deb -f "$deb" Version)" "$version"
dpkg-deb -f "$deb" Depends >depends
like "Depends: the libraries, from shlibdeps" depends \
    '(^|, )libc6 .*libpq5 .*libsqlite3-0 .*libssl3'
is "Recommends: postgresql-client (psql, pg_dump, pg_restore)" \
    "$(dpkg-deb -f "$deb" Recommends)" postgresql-client
dpkg-deb -e "$deb" control
cat control/preinst control/postinst control/prerm control/postrm \
    2>/dev/null >scripts
unlike "no maintainer script enables or starts a unit" scripts \
    'deb-systemd-helper( --quiet)? enable|deb-systemd-invoke|systemctl (enable|start)'
unlike "... nor does the package ship an enabling link" list ' etc/'

# ---- the unpacked package ----
dpkg-deb -x "$deb" root
R=$T/root
cat "$R"/usr/lib/systemd/system/* "$R/usr/share/doc/bk/examples/crontab" \
    "$R"/usr/share/doc/bk/examples/systemd/* >units
unlike "the units and the crontab name no /usr/local/lib/bk" units \
    /usr/local/lib/bk
for s in $(grep -o '/usr/libexec/bk/[A-Za-z0-9._-]*' units | sort -u); do
	ok "the units run $s, which the package holds" test -x "$R$s"
done
if command -v systemd-analyze >/dev/null; then
	mkdir units.v
	for u in "$R"/usr/lib/systemd/system/*; do
		sed "s#/usr/libexec/bk/#$R/usr/libexec/bk/#g" "$u" \
		    >"units.v/${u##*/}"
	done
	run sh -c 'cd units.v && systemd-analyze verify --man=no ./*'
	if [ "$rc" = 0 ] && [ ! -s "$T/out" ] && [ ! -s "$T/err" ]; then
		pass "systemd-analyze verify passes the packaged units"
	else fail "systemd-analyze verify passes the packaged units"
		sed 's/^/#   /' "$T/out" "$T/err" | head -5; fi
else skip "systemd-analyze verify: not installed"; fi
for m in $(tracked 'man/*.[1-9]'); do
	gzip -dc "$R/usr/share/man/man${m##*.}/${m##*/}.gz" >page
	same "${m##*/} as installed is man/${m##*/}" page "$TOP/$m"
done

# A recipe with the unpacked tools alone, under the unpacked bk-job.sh:
# no tool of the build under test in PATH.
PATH=$R/usr/bin:$(echo "$PATH" | tr ':' '\n' | grep -vxF "$BUILD/bin" |
    paste -sd:)
ex=$R/usr/share/doc/bk/examples
is "bk-dump is the unpacked one" "$(command -v bk-dump)" "$R/usr/bin/bk-dump"
sqlite3 -bail studio.db <"$ex/tattoo-schema.sqlite.sql" &&
    sqlite3 -bail studio.db <"$ex/tattoo-data.sql"
cat >nightly.sh <<'EOF'
#!/bin/bash
set -euo pipefail
mkdir -p backups/daily && cd backups
d=daily/studio_$(date -u +%Y%m%d_%H%M%S)
bk-dump -D sqlite:../studio.db -F sqlite -o "$d.db"
bk-dump -D sqlite:../studio.db --table pagamentos | bk-gz -o "$d.csv.gz"
bk-manifest add -T daily --source sqlite:studio.db "$d.db" "$d.csv.gz"
bk-verify -q
EOF
chmod 755 nightly.sh
run "$R/usr/libexec/bk/bk-job.sh" -l "$T/nightly.lock" nightly ./nightly.sh
is "the recipe runs under the packaged bk-job.sh" "$rc" 0
like "... which logs its end" "$T/out" 'bk-job\.sh: nightly: done in '
run bk-manifest -m backups/manifest.jsonl list -F tsv
is "... and records two backups" "$(wc -l <"$T/out")" 2
run bk-verify -m backups/manifest.jsonl
like "bk-verify: the CSV is whole" "$T/out" '^OK daily/studio_.*\.csv\.gz$'
like "... and so is the copy" "$T/out" '^OK daily/studio_.*\.db$'
db=$(ls backups/daily/*.db)
run bk-restore -q -D sqlite:restored.db --yes "$db"
is "bk-restore restores the copy into a new database" "$rc" 0
sqlite3 studio.db .dump >a.sql
sqlite3 restored.db .dump >b.sql 2>/dev/null
same "... identical to the original" b.sql a.sql
flip "$(ls backups/daily/*.csv.gz)" 20
exits "bk-verify fails once the CSV is damaged" 1 \
    bk-verify -q -m backups/manifest.jsonl

done_testing
