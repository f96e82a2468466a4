#!/bin/sh
# bk-rotate: a retention decision over 100 000 manifest entries (read,
# sort, decide, print) against the issue's target of under one second.
# No peer: restic would need 100 000 snapshots in a repository.
. "$(dirname "$0")/lib.sh"

N=${BK_BENCH_ROTATE_N:-100000}
m=$DATA/rotate-$N/manifest.jsonl
if [ ! -s "$m" ]; then
	mkdir -p "$DATA/rotate-$N"
	# Four types, one backup every ~15 minutes over about three years,
	# with a few offsets; the files themselves are not needed.
	awk -v n="$N" 'BEGIN { srand(80); t = 1600000000
	    split("daily weekly monthly manual", types, " ")
	    split("+00:00 -03:00 +02:00 +05:30", offs, " ")
	    for (i = 0; i < n; i++) {
		t += 600 + int(rand() * 600)
		ty = types[i % 4 + 1]; o = offs[int(i / 1000) % 4 + 1]
		sign = substr(o, 1, 1) == "-" ? -1 : 1
		s = t + sign * (substr(o, 2, 2) * 3600 + substr(o, 5, 2) * 60)
		printf "{\"path\":\"%s/db_%d.sql.gz\",\"size\":%d,\"sha256\":\"%064x\",\"created\":\"%s%s\",\"type\":\"%s\",\"created_by\":\"cron\"}\n",
		    ty, i, 1000 + i, i, strftime("%Y-%m-%dT%H:%M:%S", s, 1), o, ty
	    } }' >"$m.tmp" && mv "$m.tmp" "$m"
fi

policy="--keep-daily 7 --keep-weekly 4 --keep-monthly 12 --keep-yearly 5 --keep-within 30d"
measure "bk-rotate -m '$m' $policy >/dev/null" || exit 1
# The CPU time too: on a busy machine the wall time says little.
/usr/bin/time -f '%U %S' -o "$DATA/.cpu" sh -c "bk-rotate -m '$m' $policy >/dev/null"
read -r _u _s <"$DATA/.cpu"
awk -v n="$N" -v s="$secs" -v k="$kib" -v c="$_u + $_s" 'BEGIN {
    split(c, p, " + "); cpu = p[1] + p[2]
    printf "%-44s bk %6.2fs (cpu %.2fs)  target < 1.00s  %s  (bk peak %d KiB)\n",
	"bk-rotate: decide over " n " entries", s, cpu, (s < 1 ? "MET" : "MISSED"), k }'
