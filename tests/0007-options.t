#!/bin/sh
# One meaning per option letter across the suite (issue 12): for every
# tool, (1) --help is its man page's SYNOPSIS as mandoc renders it, (2)
# every option --help names is in bk(7)'s options table for that tool,
# and the tool takes every option the table gives it, and (3) no letter
# and no long name has two meanings in the table, the -c of bk-gz and
# bk-zstd (gzip's and zstd's "standard output") being the one documented
# peer exception.  Old letters that were renamed are unknown options now.
. "$(dirname "$0")/lib.sh"
need mandoc col python3

norm() { tr -s ' \t\n' ' ' | sed 's/^ //; s/ $//'; }

# The table, one row per line: options (space-separated), tab, tools,
# tab, meaning; read from the mdoc source between its two markers.
python3 - "$TOP/man/bk.7" >table <<'EOF'
import re, sys
rows, row, inside = [], None, False
for line in open(sys.argv[1]):
    line = line.rstrip('\n')
    if line.startswith('.\\" options table begins'):
        inside = True
        continue
    if line.startswith('.\\" options table ends'):
        break
    if not inside:
        continue
    if line.startswith('.It '):
        words = line[4:].split()
        opts, tools, i = [], [], 0
        while i < len(words):
            if words[i] == 'Fl' and i + 1 < len(words):
                opts.append('-' + words[i + 1]); i += 2
            elif words[i] == 'Pq':
                tools = [w.strip(',') for w in words[i + 1:]
                         if w.startswith('bk-')]
                break
            else:
                i += 1
        row = [opts, tools, []]
        rows.append(row)
    elif line.startswith('.El'):
        row = None
    elif row is not None:
        row[2].append(re.sub(r'^\.[A-Z][a-z] ', '', line))
for opts, tools, meaning in rows:
    print(' '.join(opts), ' '.join(tools), ' '.join(meaning), sep='\t')
EOF
rows=$(wc -l <table)
ok "bk(7) has an options table ($rows rows)" test "$rows" -gt 30

for t in "$BUILD"/bin/bk-*; do
	t=${t##*/}
	# (1) --help is the SYNOPSIS.
	run "$t" --help
	help=$(sed 's/^usage: //' out | norm)
	syn=$(mandoc -T ascii "$TOP/man/$t.1" | col -b |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | norm)
	is "$t: --help is the SYNOPSIS of $t(1)" "$help" "$syn"
	# Metavariables are lower case, as in the man pages.
	unlike "$t: --help's metavariables are lower case" out \
	    '(^| |\[)-{1,2}[A-Za-z0-9-]+ [A-Z]{2,}'
	# (2) Every option --help names is in the table, for this tool, once.
	printf '%s\n' "$help" | grep -Eo '(^|[][ |])--?[A-Za-z0-9][A-Za-z0-9-]*' |
	    sed 's/^[][ |]//' | sort -u >opts
	missing=
	while read -r o; do
		case $o in
		--*) set -- "$o" ;;
		*) set -- $(printf '%s\n' "${o#-}" | sed 's/./-& /g') ;;
		esac
		for x; do
			n=$(awk -F '\t' -v o="$x" -v t="$t" '
			    { k = split($1, a, " "); m = split($2, b, " ")
			      hit = 0
			      for (i = 1; i <= k; i++) if (a[i] == o) hit = 1
			      if (!hit) next
			      for (i = 1; i <= m; i++) if (b[i] == t) n++ }
			    END { print n + 0 }' table)
			[ "$n" = 1 ] || missing="$missing $x($n)"
		done
	done <opts
	is "$t: every option of --help is in bk(7)'s table, once" "$missing" ""
	# ... and the tool takes every letter the table gives it, and the
	# long names of its rows (one of them where a row has two for one
	# letter: bk-gz --decompress, bk-crypt --decrypt).
	unknown=
	awk -F '\t' -v t="$t" '{ m = split($2, b, " ")
	    for (i = 1; i <= m; i++) if (b[i] == t) print $1 }' table >mine
	while read -r row; do
		took=0 longs=0
		for x in $row; do
			run "$t" "$x" --bogus-option
			if grep -q "unknown option \"$x\"" err; then
				case $x in --*) ;; *) unknown="$unknown $x" ;; esac
			else
				case $x in --*) took=$((took + 1)) ;; esac
			fi
			case $x in --*) longs=$((longs + 1)) ;; esac
		done
		[ "$longs" -gt 0 ] && [ "$took" = 0 ] && unknown="$unknown ($row)"
		[ "$longs" -gt 1 ] && [ "$took" -lt "$longs" ] &&
		    [ "$row" != "-d --decompress --decrypt" ] &&
		    unknown="$unknown ($row)"
	done <mine
	is "$t: takes every option bk(7)'s table gives it" "$unknown" ""
done

# (3) One meaning per letter and per long name: each in one row only,
# but for the -c of bk-gz and bk-zstd, gzip's and zstd's, in a row of
# those two alone.
dups=$(awk -F '\t' '
    { k = split($1, a, " ")
      for (i = 1; i <= k; i++) {
	if (a[i] == "-c" && $2 == "bk-gz bk-zstd") continue
	if (seen[a[i]]++) print a[i] } }' table)
is "no option has two meanings in bk(7)'s table" "$dups" ""
like "-c of bk-gz and bk-zstd is the peer exception, in a row of its own" \
    table '^-c --stdout	bk-gz bk-zstd	'
n=$(awk -F '\t' '$1 ~ /(^| )-c( |$)/' table | wc -l)
is "-c has two rows: gzip's (and zstd's) and sha256sum's" "$n" 2

# Old letters that were renamed are unknown options now (64), and the
# new names work where the old ones did.
while IFS='|' read -r name args; do
	# shellcheck disable=SC2086
	eval "set -- $args"
	usage "renamed: $name" 'unknown option' "$@"
done <<'EOF'
bk-restore -c (--clean)|bk-restore -c -D sqlite:x.db f
bk-restore -d (-D)|bk-restore -d sqlite:x.db f
bk-restore -f (--unlisted)|bk-restore -f -D sqlite:x.db f
bk-restore -y (--yes)|bk-restore -y -D sqlite:x.db f
bk-verify -s (-c)|bk-verify -s SUMS
bk-verify -t (-T)|bk-verify -t daily
bk-verify -a (--fresh-within)|bk-verify -a 1d
bk-verify -p (--passphrase-file)|bk-verify -p pass
bk-verify -n (--no-scan)|bk-verify -n
bk-verify -r (--record)|bk-verify -r
bk-csv -d (--delimiter)|bk-csv -d ,
bk-csv -c (-t)|bk-csv -c
bk-csv -r (--redact)|bk-csv -r a
bk-csv -p (-j)|bk-csv -p 2
bk-gz -p (-j)|bk-gz -p 2
bk-dump -d (-D)|bk-dump -d sqlite:x.db --table t
bk-dump -t (--table)|bk-dump -D sqlite:x.db -t t
bk-sum -a (--algorithm)|bk-sum -a sha512
bk-rotate -t (-T)|bk-rotate -t daily --keep-last 1
bk-manifest add -t (-T)|bk-manifest add -t daily f
bk-manifest add -f (--incomplete)|bk-manifest add -f f
bk-manifest add -d (--description)|bk-manifest add -d text f
bk-manifest add -s (--source)|bk-manifest add -s db f
bk-manifest add -r (--records)|bk-manifest add -r 3 f
bk-manifest add -c (--created)|bk-manifest add -c 2024-01-01 f
bk-manifest add -a (--attribute)|bk-manifest add -a k=v f
bk-manifest adopt -M (--move)|bk-manifest adopt -M .
bk-manifest remove -D (--delete)|bk-manifest remove -D f
bk-manifest list --json (-F json)|bk-manifest list --json
EOF

# --threads is 1 to 256 in every tool that takes it, with one message.
for t in bk-gz bk-csv; do
	run "$t" -j 256 --help
	is "$t -j 256 is in range" "$rc" 0
	usage "$t -j 257 is out of range" \
	    "^$t: error: bad thread count \"257\" \\(1 to 256\\)$" "$t" -j 257
	usage "$t --threads 0 is out of range" \
	    "^$t: error: bad thread count \"0\" \\(1 to 256\\)$" "$t" --threads 0
done

# bk-manifest's global options go anywhere on the line.
printf 'a,b\n1,2\n' >x.csv
exits "bk-manifest add -m FILE after the command" 0 \
    bk-manifest add -T daily x.csv -m mf.jsonl -q
exits "bk-manifest list -m FILE after the command" 0 \
    bk-manifest list -m mf.jsonl -F tsv
like "... lists what was added" out '	daily	.*x\.csv$'
exits "bk-manifest info -F json -m FILE" 0 bk-manifest info x.csv -F json -m mf.jsonl
like "... as JSON" out '"path": "x.csv"'
usage "bk-manifest list -F text is refused" 'formats are table, tsv and json' \
    bk-manifest -m mf.jsonl list -F text
usage "bk-manifest report -F tsv is refused" 'formats are text, json and html' \
    bk-manifest -m mf.jsonl report -F tsv
usage "an option of another command is refused after the command" \
    'option --move does not apply to add' bk-manifest add --move x.csv

# bk-rotate -n is the default said aloud; with --delete it makes no sense.
exits "bk-rotate -n is accepted" 0 bk-rotate -n -m mf.jsonl --keep-last 1
usage "bk-rotate -n --delete is refused" 'exclude each other' \
    bk-rotate -n --delete -m mf.jsonl --keep-last 1

# bk-sum: -q and -v in every mode.
exits "bk-sum -q digests" 0 bk-sum -q x.csv
like "... and prints the digest" out 'x\.csv$'
exits "bk-sum -v digests" 0 bk-sum -v x.csv
like "... and says how much" err '^bk-sum: 1 file, 8 bytes digested$'
bk-sum x.csv >x.sum
exits "bk-sum -c -v" 0 bk-sum -c -v x.sum
like "... says how many were checked" err '^bk-sum: 1 file checked, 0 failed$'
exits "bk-sum --tee -q" 0 sh -c 'bk-sum --tee -q --digest-to t.sum <x.csv >/dev/null'
done_testing
