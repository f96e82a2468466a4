#!/bin/bash
# demo.sh: what "make demo" runs.  In a few seconds and without a database
# server: creates the SQLite demo database of a tattoo studio, runs the
# monthly export of September 2024 (examples/monthly-export.sh: one
# Excel-ready CSV, compressed, checksummed and recorded in a manifest when
# bk-gz, bk-sum and bk-manifest are built), makes a consistent copy of the
# whole database recorded in the same manifest, proves the tree whole with
# bk-verify, and prints the files written and the records per type.
#
# Everything goes to ./demo-output (or $BK_DEMO_DIR), emptied first, so the
# demo can run again and again.

set -eu -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
PATH=$BUILD/bin:$PATH
export PATH
out=${BK_DEMO_DIR:-demo-output}
month=2024-09

command -v sqlite3 >/dev/null ||
	{ echo "demo: sqlite3 is needed (make deps)" >&2; exit 69; }

rm -rf "$out"
mkdir -p "$out"
db=$out/estudio.db
sqlite3 -bail "$db" <"$top/examples/tattoo-schema.sqlite.sql"
sqlite3 -bail "$db" <"$top/examples/tattoo-data.sql"
echo "demo: created $db (the tattoo-studio schema and three months of data)"

opts=()
command -v bk-gz >/dev/null && opts+=(-z)
command -v bk-sum >/dev/null && opts+=(-s)
echo "demo: monthly export of $month:"
echo "  examples/monthly-export.sh -d sqlite:$db -b $out/backups ${opts[*]} $month"
"$top/examples/monthly-export.sh" -d "sqlite:$db" -b "$out/backups" \
    "${opts[@]}" "$month" >/dev/null

echo "demo: consistent copy of the whole database, recorded as a manual backup:"
echo "  bk-dump -D sqlite:$db -F sqlite -o $out/backups/estudio-copy.db"
bk-dump -D "sqlite:$db" -F sqlite -o "$out/backups/estudio-copy.db"
if command -v bk-manifest >/dev/null; then
	echo "  bk-manifest -m $out/backups/manifest.jsonl add -T manual --source sqlite:estudio.db --description 'before the demo' $out/backups/estudio-copy.db"
	bk-manifest -m "$out/backups/manifest.jsonl" add -T manual \
	    --source sqlite:estudio.db --description "before the demo" "$out/backups/estudio-copy.db"
fi

echo
echo "Files written:"
(cd "$out" && find backups -type f | sort | while read -r f; do
	printf '  %-44s %7d bytes\n' "$f" "$(wc -c <"$f")"
done)
echo
echo "Records per type in backup_${month/-/_}.csv:"
awk -F '\t' '{ printf "  %-10s %5d\n", $1, $2; n += $2 }
    END { printf "  %-10s %5d\n", "total", n }' \
    "$out/backups/${month/-/_}/backup_${month/-/_}.counts"
if [ -f "$out/backups/manifest.jsonl" ]; then
	echo
	echo "Recorded in $out/backups/manifest.jsonl (bk-manifest list):"
	bk-manifest -m "$out/backups/manifest.jsonl" list | sed 's/^/  /'
fi
if [ -f "$out/backups/${month/-/_}/SHA256SUMS" ]; then
	echo
	echo "Checksums:"
	sed 's/^/  /' "$out/backups/${month/-/_}/SHA256SUMS"
fi
if command -v bk-verify >/dev/null && [ -f "$out/backups/manifest.jsonl" ]; then
	echo
	echo "Every backup in the tree proved whole (bk-verify: size, sha256, each layer decoded):"
	bk-verify -m "$out/backups/manifest.jsonl" | sed 's/^/  /'
fi
echo
echo "Open $out/backups/${month/-/_}/backup_${month/-/_}.csv in a spreadsheet."
