#!/bin/sh
# run.sh: runs bk's libFuzzer harnesses (tests/fuzz/fuzz-NAME.c), each for
# SECONDS, and fails when one finds a crash, a hang (an input that takes
# over 10 s), a leak or a sanitizer report; the input that did it stays in
# build-fuzz/artifacts/, the whole output in build-fuzz/log/NAME.log.
# It builds them first (make fuzz-build, with $FUZZ_CC, clang by default).
# Without clang's libFuzzer it fails, or with -k (make check) says so in
# one line and passes.  Each starts from its seeds in tests/fuzz/corpus/
# NAME/; make fuzz keeps what it finds in build-fuzz/corpus/NAME/, a check
# (-k) keeps nothing.
#   tests/fuzz/run.sh [-k] SECONDS [NAME ...]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
keep=1
if [ "${1:-}" = -k ]; then keep=0; shift; fi
secs=${1:?usage: tests/fuzz/run.sh [-k] SECONDS [NAME ...]}
shift
cc=${FUZZ_CC:-clang}
out=build-fuzz

# Can this compiler link a harness with libFuzzer and the sanitizers?
mkdir -p "$out/log" "$out/artifacts"
cat >"$out/probe.c" <<'C'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }
C
if ! $cc -fsanitize=fuzzer,address,undefined -o "$out/probe" \
    "$out/probe.c" >/dev/null 2>&1; then
	if [ $keep = 0 ]; then
		echo "fuzz: skipped: $cc cannot link libFuzzer (make deps as root installs clang)"
		exit 0
	fi
	echo "fuzz: $cc cannot link libFuzzer: apt-get install clang libclang-rt-dev (or make deps as root)" >&2
	exit 1
fi
${MAKE:-make} -s --no-print-directory FUZZ_CC="$cc" fuzz-build || exit 1

if [ $# -eq 0 ]; then
	for f in tests/fuzz/fuzz-*.c; do
		f=${f##*/fuzz-}; set -- "$@" "${f%.c}"
	done
fi
# Work files (the manifest's, SQLite's copies) on tmpfs when there is one.
base=${TMPDIR:-/tmp}
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
	base=/dev/shm
fi
tmp=$(mktemp -d "$base/bk-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failed=0
for name; do
	bin=$out/fuzz/fuzz-$name
	[ -x "$bin" ] || { echo "fuzz: no harness $name" >&2; failed=1; continue; }
	if [ $keep = 1 ]; then corpus=$out/corpus/$name
	else corpus=$tmp/corpus-$name; fi
	mkdir -p "$corpus" "$tmp/$name"
	log=$out/log/$name.log
	t0=$(date +%s)
	# New inputs go to the first folder; the seeds are only read.  The
	# outer timeout is a guard: the seeds are run before the time counts.
	TMPDIR=$tmp/$name ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	timeout -k 10 $((secs * 2 + 120)) "$bin" -max_total_time="$secs" \
	    -timeout=10 -rss_limit_mb=2560 -print_final_stats=1 \
	    -artifact_prefix="$out/artifacts/$name-" \
	    "$corpus" "tests/fuzz/corpus/$name" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	t=$(($(date +%s) - t0))
	if [ $rc = 0 ]; then
		echo "fuzz: $name: ${runs:-?} runs in ${t}s, no problem found"
	else
		failed=1
		echo "fuzz: $name: FAILED (exit $rc) after ${runs:-?} runs in ${t}s; see $log"
		grep -aE '^(==[0-9]+==ERROR|SUMMARY|.*property failed|.*runtime error|artifact_prefix|Test unit written|==[0-9]+== ERROR: libFuzzer)' \
		    "$log" | head -8 | sed 's/^/fuzz:   /'
	fi
done
exit $failed
