#!/bin/sh
# The C2SP age test vectors (CCTV): every vector behaves as its expect line
# says.  Success vectors must give the payload whose sha256 is listed;
# every other vector must fail, with the exit code bk-crypt documents.
. "$(dirname "$0")/lib.sh"

V=$SHARED/testdata/age-cctv
[ -d "$V" ] || skip_all "no age test vectors in $V"
need python3 sha256sum

# One python3 run splits every vector into a folder of its own: meta
# (key=value lines), body (the age file, inflated when compressed), ids
# (identities) and pass (the first passphrase).
python3 - "$V" <<'PY'
import os, sys, zlib
src = sys.argv[1]
for name in sorted(os.listdir(src)):
    if name == 'README.md':
        continue
    data = open(os.path.join(src, name), 'rb').read()
    head, body = data.split(b'\n\n', 1)
    meta, ids, passes = {}, [], []
    for line in head.decode().split('\n'):
        k, v = line.split(': ', 1)
        if k == 'identity': ids.append(v)
        elif k == 'passphrase': passes.append(v)
        else: meta[k] = v
    if meta.get('compressed') == 'zlib':
        body = zlib.decompress(body)
    os.mkdir(name)
    open(name + '/body', 'wb').write(body)
    open(name + '/meta', 'w').write(''.join('%s=%s\n' % (k.replace(' ', '_'), v) for k, v in meta.items()))
    open(name + '/ids', 'w').write(''.join(i + '\n' for i in ids))
    open(name + '/pass', 'w').write(passes[0] + '\n' if passes else '')
PY

for name in $(ls "$V"); do
	[ "$name" = README.md ] && continue
	cd "$T/$name" || exit 1
	expect=$(sed -n 's/^expect=//p' meta)
	payload=$(sed -n 's/^payload=//p' meta)
	set -- -d -o plain
	[ -s ids ] && set -- "$@" -i ids
	[ -s pass ] && set -- "$@" --passphrase-file pass
	run bk-crypt "$@" body
	case $expect in
	success)
		got=$(sha256sum <plain 2>/dev/null | cut -d' ' -f1)
		if [ "$rc" = 0 ] && [ "$got" = "$payload" ]; then
			pass "$name: success"
		else
			fail "$name: success"
			diag "exit $rc, sha256 $got"; sed 's/^/#   /' "$T/err"
		fi ;;
	"no match")
		# A wrong key is a failed check (1), for every recipient type.
		if [ "$rc" = 1 ] && [ ! -e plain ] &&
		    [ "$(wc -l <"$T/err")" = 1 ]; then
			pass "$name: $expect (exit $rc)"
		else
			fail "$name: $expect"; diag "exit $rc"
			sed 's/^/#   /' "$T/err"
		fi ;;
	*)
		if [ "$rc" = 65 ] && [ ! -e plain ] && [ "$(wc -l <"$T/err")" = 1 ]; then
			pass "$name: $expect"
		else
			fail "$name: $expect"; diag "exit $rc"
			sed 's/^/#   /' "$T/err"
		fi ;;
	esac
	cd "$T"
done
done_testing
