#!/bin/sh
# -P on a real terminal (DESIGN.md: progress on stderr when it is a
# terminal).  With stderr on a pseudo-terminal, -P draws "LABEL: BYTES
# [(PCT%)]  RATE/s  H:MM:SS" there (common/progress.c) and ends its line,
# and stdout is byte for byte what a run without -P writes.  Off a terminal
# -P adds nothing, and without -P nothing shows on the terminal.  A message
# met while the meter's line is open starts a line of its own.
. "$(dirname "$0")/lib.sh"
need python3 sqlite3 sha256sum

# on_tty TTYFILE CMD...: runs CMD with stderr on a new pseudo-terminal
# (stdin and stdout as given), writes what the terminal received to
# TTYFILE, and exits with CMD's status.
on_tty() { pty -E "$@"; }

# size_fmt N: N bytes as the meter writes them (bk_format_size).
size_fmt() {
	awk -v v="$1" 'BEGIN { split("B KiB MiB GiB", u, " "); i = 1
	    while (v >= 1024 && i < 4) { v /= 1024; i++ }
	    if (i == 1) printf "%d B", v; else printf "%.1f %s", v, u[i] }'
}
# shown FILE: the lines the terminal shows, one per line: each redraw
# (after a carriage return) replaces what was on its line.
shown() {
	tr -d '\033' <"$1" | sed 's/\[K//g' | awk '
	    { sub(/\r$/, ""); n = split($0, seg, "\r"); last = ""
	      for (i = 1; i <= n; i++) if (seg[i] != "") last = seg[i]
	      print last }'
}
TAIL='  [0-9.]+ (B|KiB|MiB|GiB)/s  [0-9]+:[0-9]{2}:[0-9]{2}$'

# meter NAME LABEL TOTAL PCT CMD...: the -P checks for one command (whose
# stdout is its whole product).  LABEL is an ERE; TOTAL the byte count the
# meter ends on; PCT is "%" when the meter knows the total, else "".
meter() {
	_mn=$1 _ml=$2 _mt=$3 _mp=$4; shift 4
	"$@" >ref 2>/dev/null
	_want=$(size_fmt "$_mt")
	[ -n "$_mp" ] && _want="$_want \\(100%\\)"
	on_tty tty.out "$@" -P >out
	is "$_mn -P on a terminal: exit 0" "$?" 0
	same "$_mn -P on a terminal: stdout as without -P" out ref
	shown tty.out >tty.lines
	is "$_mn -P on a terminal: one line on the terminal" "$(wc -l <tty.lines)" 1
	like "$_mn -P on a terminal: the meter ends on the total" tty.lines \
	    "^$_ml: $_want$TAIL"
	is "$_mn -P on a terminal: the meter ends its line" \
	    "$(tail -c 1 tty.out | od -An -c | tr -d ' ')" '\n'
	run "$@" -P
	is "$_mn -P off a terminal: exit 0" "$rc" 0
	empty "$_mn -P off a terminal: nothing on stderr" err
	same "$_mn -P off a terminal: stdout as without -P" out ref
	on_tty tty.out "$@" >out
	empty "$_mn without -P: nothing on the terminal" tty.out
}

gen_text 3000000 | sed '$d' >in.csv	# whole lines: bk-csv reads it
IN=$(wc -c <in.csv)
bk-gz <in.csv >in.csv.gz
GZ=$(wc -c <in.csv.gz)
bk-crypt --keygen -q -o k.key
PUB=$(bk-crypt -y -i k.key)
bk-crypt -r "$PUB" -o in.age in.csv

# ---- bk-gz: the bytes read, of a file (with its size) or of stdin
meter "bk-gz" 'in\.csv' "$IN" % bk-gz in.csv
meter "bk-gz -d" 'in\.csv\.gz' "$GZ" % bk-gz -d in.csv.gz
meter "bk-gz -t" 'in\.csv\.gz' "$GZ" % bk-gz -t in.csv.gz
# A pipe has no size: no percentage.
meter "bk-gz from a pipe" '\(stdin\)' "$IN" "" sh -c 'cat in.csv | bk-gz "$@"' sh
meter "bk-gz <file" '\(stdin\)' "$IN" % sh -c 'exec bk-gz "$@" <in.csv' sh
meter "bk-gz -j 2" 'in\.csv' "$IN" % bk-gz -j 2 in.csv

# ---- bk-sum: the bytes digested, of each file
meter "bk-sum" 'in\.csv' "$IN" % bk-sum in.csv
on_tty tty.out bk-sum -P in.csv in.csv.gz >out
bk-sum in.csv in.csv.gz >ref
same "bk-sum -P, two files: stdout as without -P" out ref
shown tty.out >tty.lines
is "bk-sum -P, two files: one meter line each" "$(wc -l <tty.lines)" 2
like "bk-sum -P, two files: the first" tty.lines "^in\\.csv: $(size_fmt "$IN") \\(100%\\)$TAIL"
like "bk-sum -P, two files: the second" tty.lines "^in\\.csv\\.gz: $(size_fmt "$GZ") \\(100%\\)$TAIL"
# --tee: the data on stdout, the meter and then the digest on stderr.
on_tty tty.out sh -c 'exec bk-sum --tee -P <in.csv' >out
same "bk-sum --tee -P: stdout is the data" out in.csv
shown tty.out >tty.lines
is "bk-sum --tee -P: the meter, then the digest" "$(wc -l <tty.lines)" 2
like "bk-sum --tee -P: the meter first" tty.lines "^\\(stdin\\): $(size_fmt "$IN")$TAIL"
is "bk-sum --tee -P: the digest on its own line" "$(tail -n 1 tty.lines)" \
    "$(sha256sum <in.csv)"
run sh -c 'bk-sum --tee -P <in.csv'
same "bk-sum --tee -P off a terminal: stdout is the data" out in.csv
is "bk-sum --tee -P off a terminal: only the digest on stderr" "$(cat err)" \
    "$(sha256sum <in.csv)"

# ---- bk-crypt: decryption is deterministic; encryption is checked by
# decrypting what it wrote.
meter "bk-crypt -d" 'decrypting' "$IN" "" bk-crypt -d -i k.key in.age
meter "bk-crypt -t" 'checking' "$IN" "" bk-crypt -t -i k.key in.age
on_tty tty.out bk-crypt -r "$PUB" -P -o enc.age in.csv
is "bk-crypt -P on a terminal: exit 0" "$?" 0
bk-crypt -d -i k.key enc.age >dec
same "bk-crypt -P on a terminal: what it wrote decrypts to the input" dec in.csv
shown tty.out >tty.lines
is "bk-crypt -P on a terminal: one line on the terminal" "$(wc -l <tty.lines)" 1
like "bk-crypt -P on a terminal: the meter ends on the total" tty.lines \
    "^encrypting: $(size_fmt "$IN")$TAIL"
run bk-crypt -r "$PUB" -P -o enc2.age in.csv
empty "bk-crypt -P off a terminal: nothing on stderr" err
on_tty tty.out bk-crypt -r "$PUB" -o enc3.age in.csv
empty "bk-crypt without -P: nothing on the terminal" tty.out

# ---- bk-csv: the bytes read
meter "bk-csv" 'bk-csv' "$IN" % bk-csv in.csv
meter "bk-csv -F jsonl" 'bk-csv' "$IN" % bk-csv -F jsonl in.csv

# ---- bk-dump (SQLite): the bytes written
sqlite3 db.sqlite "create table t(id integer primary key, name text);
    with recursive n(i) as (select 1 union all select i + 1 from n where i < 20000)
    insert into t select i, 'cliente ' || i from n;"
bk-dump -D sqlite:db.sqlite --table t >dump.csv
meter "bk-dump" 'bk-dump' "$(wc -c <dump.csv)" "" bk-dump -D sqlite:db.sqlite --table t

# ---- bk-verify: the bytes read of each backup
mkdir tree
cp in.csv.gz tree/
bk-manifest -m tree/manifest.jsonl add tree/in.csv.gz
meter "bk-verify" 'in\.csv\.gz' "$GZ" % bk-verify -m tree/manifest.jsonl

# ---- an error while the meter's line is open: the figures stay on their
# line and the message starts its own.  The pause makes the meter draw
# (it redraws at most four times a second) before the bad bytes arrive.
on_tty tty.out sh -c '{ head -c '$((GZ / 2))' in.csv.gz; sleep 1
    tail -c +'$((GZ / 2 + 1))' in.csv.gz; printf garbage; } | bk-gz -d -P >/dev/null'
is "bk-gz -d -P, error on a terminal: exit 65" "$?" 65
shown tty.out >tty.lines
like "bk-gz -d -P, error on a terminal: the meter was drawn" tty.lines \
    "^\\(stdin\\): [0-9.]+ (KiB|MiB)$TAIL"
like "bk-gz -d -P, error on a terminal: the message is a line of its own" tty.lines \
    "^bk-gz: error: \"\\(stdin\\)\": trailing garbage after gzip data at byte $GZ$"

done_testing
