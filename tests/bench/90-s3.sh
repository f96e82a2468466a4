#!/bin/sh
# 90-s3.sh: bk-s3 against aws s3 cp on the throwaway radosgw of
# tests/s3.sh (a single-node Ceph, the OSD in memory): put of a 1 GiB
# file and of the same bytes from a pipe, get of an object bk-s3 put (to
# stdout and to a file) and of one aws put, in alternating pairs; then
# bk-s3 put's peak memory at the default part size (16 MiB; target: at
# most 64 MiB) and at two others.  Target (issue 13): at least as fast as aws s3 cp each way.
#
# The peer is Debian's aws (awscli 2.9) with the configuration s3_start
# writes, which leaves the transfer settings at aws's defaults: multipart
# from 8 MiB, parts of 8 MiB, 10 requests at once (max_concurrent_requests),
# a queue of 1000.  bk-s3 sends one request at a time on one connection
# while a second thread reads and hashes the next part.
#
# Each put goes to a key that was removed, and its data freed (radosgw's
# garbage collection run at once), before the run: the memstore OSD keeps
# every byte in memory, and 1 GiB stored costs it about 1.5 GiB.  Starts
# its own store unless one is already exported (BK_TEST_S3).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/s3.sh"

if [ -z "${BK_TEST_S3:-}" ] || [ ! -d "$BK_TEST_S3" ]; then
	trap 's3_stop' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	s3_start || { echo "90-s3: no S3 store (${BK_TEST_S3_WHY:-}): skipped"; exit 0; }
fi
in=$(csv_input 1024)
b=bk-bench-$$
out=$DATA/s3-get.out
peer="/usr/bin/aws --endpoint-url $AWS_ENDPOINT_URL"
aws s3api create-bucket --bucket "$b" >/dev/null || exit 1
trap 'aws s3 rb --force "s3://$b" >/dev/null 2>&1; rm -f "$out"; s3_stop' EXIT

# fresh KEY: the shell command that removes s3://$b/KEY and frees its data.
fresh() {
	echo "bk-s3 rm -q 's3://$b/$1' 2>/dev/null; timeout 120 radosgw-admin -c '$BK_TEST_S3/ceph.conf' gc process --include-all >/dev/null 2>&1"
}

echo "## bk-s3 ($(wc -c <"$in") bytes; radosgw $(radosgw --version | awk '{ print $3 }'), $($peer --version | cut -d' ' -f1); medians of $RUNS alternating pairs)"
race "put: 1 GiB file vs aws s3 cp FILE" \
    "bk-s3 put 's3://$b/file' '$in' >/dev/null" \
    "$peer s3 cp --quiet '$in' 's3://$b/file'" 1.0 "$(fresh file)"
race "put: 1 GiB from a pipe vs aws s3 cp -" \
    "cat '$in' | bk-s3 put 's3://$b/pipe' >/dev/null" \
    "cat '$in' | $peer s3 cp --quiet - 's3://$b/pipe'" 1.0 "$(fresh pipe)"
# get: an object bk-s3 put (16 MiB parts, its sha256 in the metadata,
# which bk-s3 checks on the way down; aws checks nothing), then one aws
# put (8 MiB parts, no metadata: bk-s3 checks the size).  The races above
# left objects of aws's: they go first.
sh -c "$(fresh file); $(fresh pipe)"
bk-s3 put "s3://$b/bk" "$in" >/dev/null || exit 1
race "get: 1 GiB to stdout vs aws s3 cp -" \
    "bk-s3 get 's3://$b/bk' >/dev/null" \
    "$peer s3 cp --quiet 's3://$b/bk' - >/dev/null" 1.0
# bk-s3 -o writes a temporary file, fsyncs it and renames it; aws
# renames, without fsync.
race "get: 1 GiB to a file vs aws s3 cp to a file" \
    "bk-s3 get -o '$out' 's3://$b/bk'" \
    "$peer s3 cp --quiet 's3://$b/bk' '$out'" 1.0 "rm -f '$out'"
rm -f "$out"
sh -c "$(fresh bk)"
$peer s3 cp --quiet "$in" "s3://$b/aws" || exit 1
race "get: aws's object to stdout vs aws s3 cp -" \
    "bk-s3 get 's3://$b/aws' >/dev/null" \
    "$peer s3 cp --quiet 's3://$b/aws' - >/dev/null" 1.0
sh -c "$(fresh aws)"

# Peak memory: two buffers of the part size (one on the wire, one being
# read and hashed), and what libcurl and libcrypto hold.  From a pipe, as
# in the documented pipeline; a file makes no difference.  One run each:
# the peak hardly moves from run to run.
_runs=$RUNS RUNS=1
peak "put: peak memory, default part size (16 MiB)" \
    "cat '$in' | bk-s3 put 's3://$b/mem' >/dev/null" 64 "$(fresh mem)"
for ps in 5M 64M; do
	measure "cat '$in' | bk-s3 put --part-size $ps 's3://$b/mem' >/dev/null" \
	    "$(fresh mem)" || continue
	awk -v l="put: peak memory, --part-size $ps" -v k="$kib" 'BEGIN {
	    printf "%-44s peak %7.1f MiB  (no limit)\n", l, k / 1024 }'
done
RUNS=$_runs
sh -c "$(fresh mem)"
[ -z "$_s3pids" ] || echo "# the store's daemons at the end: $(s3_rss) MiB resident"
