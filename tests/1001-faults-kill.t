#!/bin/sh
# kill -9 at random moments (the Nth write, fsync, rename, link, unlink or
# close of one stage, drawn from the seed) of bk(7)'s SQLite recipes and of
# every tool that writes the manifest: the invariants of faults/lib.sh
# after each run.  The PostgreSQL recipes are in 1002.
. "$(dirname "$0")/lib.sh"
. "$TESTS/faults/lib.sh"
need sqlite3 bash

# ---- the databases, the keys, the recipes ----
mkdir src bin counts live
sqlite3 src/app.db >/dev/null <<'SQL'
PRAGMA journal_mode=WAL;
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT,
    password_hash TEXT, token TEXT);
CREATE TABLE pagamentos (id INTEGER PRIMARY KEY, data TEXT, valor REAL, obs TEXT);
CREATE TABLE gastos (id INTEGER PRIMARY KEY, data TEXT, valor REAL, descr TEXT);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 3000)
INSERT INTO pagamentos SELECT i, date('2024-08-01', '+' || (i % 60) || ' days'),
    i * 1.5, 'pix, cliente "' || i || '"' FROM s;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 800)
INSERT INTO gastos SELECT i, date('2024-09-01', '+' || (i % 30) || ' days'),
    i * 2.25, 'aluguel ' || i FROM s;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 500)
INSERT INTO users SELECT i, 'User ' || i, 'u' || i || '@example.com',
    hex(randomblob(16)), hex(randomblob(8)) FROM s;
SQL
bk-crypt --keygen -q -o key.txt && bk-crypt -y -i key.txt >key.pub ||
    { echo "Bail out! no age key"; exit 1; }
KEY=$T/key.txt
export SRC=$T/src KEYPUB=$T/key.pub COUNTS=$T/counts

# Recipe 1: the monthly CSV (bk-dump | bk-csv --excel -o; add).
cat >bin/monthly <<'EOF'
#!/bin/bash
set -eu -o pipefail
cd "$1"
rm -f "$COUNTS/${2##*/}.counts"
bk-dump -D "sqlite:$SRC/app.db" --month 2024-09 --counts "$COUNTS/${2##*/}.counts" \
    --query pagamento="SELECT id, data, valor, obs FROM pagamentos p
	WHERE p.data >= :month_start AND p.data < :month_end" \
    --query gasto="SELECT id, data, valor, descr FROM gastos g
	WHERE g.data >= :month_start AND g.data < :month_end" |
    bk-csv --excel -o "$2"
bk-manifest add -T monthly "$2"
EOF
# Recipe 2: a copy of the live database, and an export without secrets.
cat >bin/copy <<'EOF'
#!/bin/bash
set -eu -o pipefail
cd "$1"
bk-dump -D "sqlite:$SRC/app.db" -F sqlite -o "$2"
bk-manifest add -T daily --description "nightly" -u cron "$2"
EOF
cat >bin/export <<'EOF'
#!/bin/bash
set -eu -o pipefail
cd "$1"
bk-dump -D "sqlite:$SRC/app.db" --table users |
    bk-csv -x password_hash,token -o "$2" &&
    bk-manifest add -T export --description "users, no secrets" "$2"
EOF
# Recipe 5, from SQLite: compressed, encrypted, recorded.
cat >bin/crypt <<'EOF'
#!/bin/bash
set -eu -o pipefail
cd "$1"
bk-dump -D "sqlite:$SRC/app.db" --table pagamentos | bk-gz | bk-crypt -R "$KEYPUB" -o "$2"
bk-manifest add -T daily --source sqlite:app "$2"
EOF
chmod +x bin/*

# ---- the recipes ----
new_tree t1
mkdir -p t1/2024_09
kill_runs "monthly CSV" "$T/t1" "bk-dump bk-csv bk-manifest" "" "" \
    monthly 2024_09/backup_2024_09_r%d.csv
new_tree t2
kill_runs "SQLite copy" "$T/t2" "bk-dump bk-manifest" "" "" \
    copy daily/chame_r%d.db
new_tree t3
mkdir -p t3/exports
kill_runs "export without secrets" "$T/t3" "bk-dump bk-csv bk-manifest" "" "" \
    export exports/users_r%d.csv
new_tree t4
kill_runs "encrypted" "$T/t4" "bk-dump bk-gz bk-crypt bk-manifest" "" "" \
    crypt daily/pag_r%d.csv.gz.age

# ---- every tool that writes the manifest ----

# Three files in one add: all listed or none (bk-manifest(1)).
cat >bin/add3 <<'EOF'
#!/bin/sh
m=$1/manifest.jsonl
shift
exec bk-manifest -m "$m" add -T daily "$@"
EOF
prep_add3() {
	mkdir -p "$1/multi"
	FINALS= ARGS=
	for _x in a b c; do
		printf 'id,v\n%s,%s\n' "$2" "$_x" >"$1/multi/r$2$_x.csv"
		FINALS="$FINALS multi/r$2$_x.csv"
		ARGS="$ARGS $1/multi/r$2$_x.csv"
	done
}
post_add3() { :; }
extra_add3() {
	_k=0
	for _f in $FINALS; do ! listed "$_f" || _k=$((_k + 1)); done
	case $R_RC:$_k in
	0:3|*:0|*:3) ;;
	*)	viol atomic "exit $R_RC with $_k of the 3 files listed" ;;
	esac
}
# adopt: each file adopted is listed, the others reported by the scan.
cat >bin/adopt <<'EOF'
#!/bin/sh
exec bk-manifest -q -m "$1/manifest.jsonl" adopt -T daily "$1"
EOF
prep_adopt() {
	mkdir -p "$1/found"
	printf 'x\n%s\n' "$2" >"$1/found/a_r$2.csv"
	printf 'y\n%s\n' "$2" | gzip -n >"$1/found/b_r$2.csv.gz"
	FINALS="found/a_r$2.csv found/b_r$2.csv.gz" ARGS=
}
post_adopt() { :; }
extra_adopt() { :; }
# remove -D: the line goes first, then the file.
cat >bin/remove <<'EOF'
#!/bin/sh
exec bk-manifest -q -m "$1/manifest.jsonl" remove --delete "$2"
EOF
prep_remove() {
	mkdir -p "$1/gone"
	printf 'z\n%s\n' "$2" >"$1/gone/r$2.csv"
	bk-manifest -q -m "$1/manifest.jsonl" add "$1/gone/r$2.csv"
	FINALS=gone/r$2.csv ARGS=$1/gone/r$2.csv
}
post_remove() { :; }
extra_remove() { :; }
# bk-verify --record: every backup kind of the recipes, age decrypted.
cat >bin/verify <<'EOF'
#!/bin/sh
exec bk-verify -q --record -m "$1/manifest.jsonl" -i "$KEY"
EOF
export KEY
prep_verify() { FINALS= ARGS=; }
post_verify() { :; }
extra_verify() { :; }
# bk-rotate --delete: two new daily backups a run, two kept.
cat >bin/rotate <<'EOF'
#!/bin/sh
exec bk-rotate -q -m "$1/manifest.jsonl" -T daily --keep-last 2 --delete \
    --now 2025-06-30T00:00:00Z
EOF
prep_rotate() {
	for _d in 1 2; do
		_day=$(printf %02d $(( ($2 * 2 + _d) % 28 + 1 )))
		printf 'n\n%s\n' "$2$_d" >"$1/daily/db_202506${_day}_r$2$_d.csv"
		bk-manifest -q -m "$1/manifest.jsonl" add -T daily \
		    --created "2025-06-$_day" "$1/daily/db_202506${_day}_r$2$_d.csv"
	done
	FINALS= ARGS=
}
post_rotate() { :; }
extra_rotate() { :; }
# bk-restore into a live SQLite database: before, or the backup, never
# anything else; its safety backup listed, or reported by the scan.
cat >bin/restore <<'EOF'
#!/bin/sh
exec bk-restore -q --yes -m "$1/manifest.jsonl" -D "sqlite:$LIVE/app.db" "$1/$2"
EOF
export LIVE=$T/live
prep_restore() {
	rm -f "$LIVE"/app.db*
	cp "$T/state_a.db" "$LIVE/app.db"
	FINALS= ARGS=daily/state_b.db
}
post_restore() {
	for _f in "$R_TREE"/pre-restore/*; do
		[ ! -e "$_f" ] || R_FINALS="$R_FINALS pre-restore/${_f##*/}"
	done
}
extra_restore() {
	# sqlite3 rolls back what a killed restore left in the journal.
	_got=$(sqlite3 "$LIVE/app.db" 'SELECT group_concat(v) FROM t' 2>&1)
	case $_got in
	a1,a2|b1,b2,b3) ;;
	*)	viol restore "the live database holds \"$_got\"" ;;
	esac
	[ "$R_RC" != 0 ] || [ "$_got" = b1,b2,b3 ] ||
	    viol restore "exit 0, and the live database holds \"$_got\""
}

chmod +x bin/*
new_tree t5
tool_runs "bk-manifest add, three files" "$T/t5" bk-manifest append \
    "" atomic add3
new_tree t6
tool_runs "bk-manifest adopt" "$T/t6" bk-manifest append "" "" adopt
new_tree t7
tool_runs "bk-manifest remove --delete" "$T/t7" bk-manifest delete "" "" remove
new_tree t8
cp t4/daily/pag_r*.csv.gz.age t2/daily/chame_r*.db t8/daily/ 2>/dev/null
bk-manifest -q -m t8/manifest.jsonl adopt -T daily t8
tool_runs "bk-verify --record" "$T/t8" bk-verify rewrite "" "" verify
new_tree t9
tool_runs "bk-rotate --delete" "$T/t9" bk-rotate delete \
    "" verify rotate
new_tree t10
sqlite3 state_a.db "CREATE TABLE t (v); INSERT INTO t VALUES ('a1'), ('a2')"
sqlite3 t10/daily/state_b.db \
    "CREATE TABLE t (v); INSERT INTO t VALUES ('b1'), ('b2'), ('b3')"
bk-manifest -q -m t10/manifest.jsonl add t10/daily/state_b.db
tool_runs "bk-restore into SQLite" "$T/t10" bk-restore append "" "" restore

done_testing
