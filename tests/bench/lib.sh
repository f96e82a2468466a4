# lib.sh for benchmarks: inputs, timing, peak memory and ratios.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
PATH=$BUILD/bin:$PATH
DATA=${BK_BENCH_DATA:-$TOP/bench-data}
RUNS=${BK_BENCH_RUNS:-3}
mkdir -p "$DATA"
export PATH LC_ALL=C

# csv_input MiB: a CSV-like file of about that many MiB (whole lines), made once.
csv_input() {
	_f=$DATA/input-$1M.csv
	if [ ! -s "$_f" ]; then
		awk -v n="$(($1 * 1048576))" 'BEGIN { srand(42); s = 0
		    while (s < n) {
			l = sprintf("%d,2024-%02d-%02d,%.2f,pix,\"Cliente %d, Ltda\",Artista %d,note %x\n",
			    s, s % 12 + 1, s % 28 + 1, rand() * 2000 - 500,
			    int(rand() * 5000), int(rand() * 40), int(rand() * 1e9))
			printf "%s", l; s += length(l) } }' >"$_f.tmp" &&
		    mv "$_f.tmp" "$_f"
	fi
	echo "$_f"
}

# measure CMD: runs the shell command RUNS times; sets $secs to the best
# wall time and $kib to the largest peak resident set (KiB) of its last
# process (use a single command for memory figures).
measure() {
	secs= kib=0
	_i=0
	while [ $_i -lt "$RUNS" ]; do
		/usr/bin/time -f '%e %M' -o "$DATA/.time" sh -c "$1" || {
			echo "bench: command failed: $1" >&2; return 1; }
		read -r _s _k <"$DATA/.time"
		if [ -z "$secs" ] || awk "BEGIN { exit !($_s < $secs) }"; then
			secs=$_s
		fi
		[ "$_k" -gt "$kib" ] && kib=$_k
		_i=$((_i + 1))
	done
}

# compare LABEL OURS PEER TARGET: times both, prints seconds, the speed
# ratio (peer time / our time) and whether it meets TARGET (a minimum
# ratio).  Returns 0 either way; a missed target is printed, not fatal.
compare() {
	measure "$2" || return 0
	_ours=$secs _ourk=$kib
	measure "$3" || return 0
	_peer=$secs
	awk -v l="$1" -v o="$_ours" -v p="$_peer" -v t="$4" -v k="$_ourk" \
	    'BEGIN { r = (o > 0 ? p / o : 0)
	    printf "%-44s bk %6.2fs  peer %6.2fs  ratio %5.2fx  target >= %.2fx  %s  (bk peak %d KiB)\n",
		l, o, p, r, t, (r >= t ? "MET" : "MISSED"), k }'
}

# peak LABEL CMD LIMIT_MIB: prints the peak memory of one command.
peak() {
	measure "$2" || return 0
	awk -v l="$1" -v k="$kib" -v m="$3" 'BEGIN {
	    printf "%-44s peak %7.1f MiB  limit %d MiB  %s\n", l, k / 1024, m,
		(k / 1024 <= m ? "MET" : "MISSED") }'
}
