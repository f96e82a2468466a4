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

# measure CMD [SETUP]: runs the shell command RUNS times, the shell
# command SETUP (untimed) before each run; sets $secs to the best wall
# time and $kib to the largest peak resident set (KiB) of its processes
# (use a single command for memory figures).
measure() {
	secs= kib=0
	_i=0
	while [ $_i -lt "$RUNS" ]; do
		if [ -n "${2:-}" ] && ! sh -c "$2"; then
			echo "bench: setup failed: $2" >&2; return 1
		fi
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

# peak LABEL CMD LIMIT_MIB [SETUP]: prints the peak memory of one command
# (SETUP as for measure).
peak() {
	measure "$2" "${4:-}" || return 0
	awk -v l="$1" -v k="$kib" -v m="$3" 'BEGIN {
	    printf "%-44s peak %7.1f MiB  limit %d MiB  %s\n", l, k / 1024, m,
		(k / 1024 <= m ? "MET" : "MISSED") }'
}

# median NUMBER...: prints the median (of an even count, the mean of the
# two in the middle).
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
	    print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# race LABEL OURS PEER TARGET [SETUP]: runs OURS and PEER in turn, RUNS
# pairs, the shell command SETUP (untimed) before every run; prints the
# median wall time of each, the median of the ratios taken pair by pair
# (peer time / our time: when the machine slows down in the middle, both
# of a pair slow down alike), whether that meets TARGET, and our largest
# peak resident set, which race leaves in $kib.  For commands that cost
# seconds on a shared machine, and for peers that need a fresh state
# (an object removed) before each run.
race() {
	_i=0 _ro= _rp= _rr= kib=0
	while [ $_i -lt "$RUNS" ]; do
		for _who in o p; do
			if [ $_who = o ]; then _cmd=$2; else _cmd=$3; fi
			if [ -n "${5:-}" ] && ! sh -c "$5"; then
				echo "bench: setup failed: $5" >&2; return 0
			fi
			/usr/bin/time -f '%e %M' -o "$DATA/.time" sh -c "$_cmd" || {
				echo "bench: command failed: $_cmd" >&2; return 0; }
			read -r _s _k <"$DATA/.time"
			if [ $_who = o ]; then
				_ro="$_ro $_s" _os=$_s
				[ "$_k" -gt "$kib" ] && kib=$_k
			else
				_rp="$_rp $_s"
				_rr="$_rr $(awk -v o="$_os" -v p="$_s" \
				    'BEGIN { print (o > 0 ? p / o : 0) }')"
			fi
		done
		_i=$((_i + 1))
	done
	awk -v l="$1" -v o="$(median $_ro)" -v p="$(median $_rp)" \
	    -v r="$(median $_rr)" -v t="$4" -v k="$kib" 'BEGIN {
	    printf "%-44s bk %6.2fs  peer %6.2fs  ratio %5.2fx  target >= %.2fx  %s  (bk peak %d KiB)\n",
		l, o, p, r, t, (r >= t ? "MET" : "MISSED"), k }'
}
