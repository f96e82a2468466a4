#!/bin/sh
# The harness itself: temporary folder, helpers, the test server.
. "$(dirname "$0")/lib.sh"

case $T in /tmp/*|"${TMPDIR:-/tmp}"/*) pass "runs in a temporary folder" ;;
*) fail "runs in a temporary folder" ;; esac
is "the folder starts empty" "$(ls -A | wc -l)" 0
run sh -c 'echo out; echo err >&2; exit 3'
is "run captures the exit status" "$rc" 3
is "run captures stdout" "$(cat out)" out
is "run captures stderr" "$(cat err)" err
gen_text 1000 >a; gen_text 1000 >b
same "gen_text is repeatable" a b
is "gen_text makes the size asked" "$(wc -c <a)" 1000
gen_random 4096 >r
is "gen_random makes the size asked" "$(wc -c <r)" 4096
if [ -n "${BK_TEST_PG:-}" ]; then
	ok "psql reaches the test server" psql -Xqc 'select 1' -o /dev/null
	is "the server is ours" "$(psql -XAtc 'show unix_socket_directories')" "$BK_TEST_PG"
	# libpq (psql's, as the tools') connects from the PG* environment.
	ok "a server of version 10 or later" \
	    test "$(psql -XAtc 'show server_version_num')" -ge 100000
	is "a quoted value makes the round trip" \
	    "$(echo "SELECT :'v' || ' and read back'" | psql -XAt -v v="it's bound")" \
	    "it's bound and read back"
	is "no TCP listener" "$(psql -XAtc 'show listen_addresses')" ""
else
	for i in 1 2 3 4 5; do skip "no test server"; done
fi
# pty.py, flip, manifest_line and wait_until: the helpers other tests
# lean on.
if command -v python3 >/dev/null 2>&1; then
	pty -o -a 'an answer' tty.out sh -c 'printf "Say: " >/dev/tty; read a </dev/tty
	    echo "got $a"; kill -TERM $$'
	is "pty: a command ended by a signal exits 128 + N" "$?" 143
	like "pty: what the terminal showed, the answer typed at the prompt" \
	    tty.out '^got an answer'
else
	skip "no python3"; skip "no python3"
fi
printf 'ABC' >f; flip f 1; flip f -1 1
is "flip: xor 0x55, or MASK; a negative offset from the end" "$(od -An -c f | tr -d ' ')" 'A027B'
printf 'AAB' >f; flip f 0 base64; flip f 2 base64
is "flip base64: another base64 letter" "$(cat f)" BAA
mkdir m; printf 'abc' >m/f
is "manifest_line: path, created, type, size, sha256, then EXTRA" \
    "$(manifest_line -d m f 2025-01-01T00:00:00Z weekly '"records":0')" \
    '{"path":"f","created":"2025-01-01T00:00:00Z","type":"weekly","size":3,"sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","records":0}'
(: >later) & wait_until test -e later
is "wait_until: returns once the command succeeds" "$?" 0
# As root, the tests that run a tool as nobody must really run: a harness
# fault there (the copied tools not executable by nobody) once skipped 115
# permission tests without a word.
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null 2>&1 &&
    id nobody >/dev/null 2>&1; then
	if nobody_ok; then pass "as root, nobody runs the copied tools"
	else fail "as root, nobody runs the copied tools"; diag "$nobody_why"; fi
else
	skip "not root, or no runuser or user nobody"
fi
done_testing
