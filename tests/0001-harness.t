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
else
	skip "no test server"; skip "no test server"
fi
done_testing
