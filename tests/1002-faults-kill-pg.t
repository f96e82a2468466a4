#!/bin/sh
# kill -9 at random moments of bk(7)'s PostgreSQL recipes: pg_dump | bk-gz
# | bk-crypt -o then bk-manifest add (recipe 5), pg_dump | bk-gz -o
# (recipes 3 and 4), bk-dump | bk-csv | bk-gz -o, and bk-restore (and the
# psql and pg_dump it runs) into a database that must end up as it was or
# as the backup, never in between.  The invariants of faults/lib.sh after
# each run.
. "$(dirname "$0")/lib.sh"
need_pg
need pg_dump createdb dropdb bash
. "$TESTS/faults/lib.sh"

P=f1002
cleanup() {
	for d in ${P}_src ${P}_a ${P}_live; do dropdb --if-exists "$d" 2>/dev/null; done
}
cleanup
trap 'cleanup; cd /; rm -rf "$T"' EXIT

createdb ${P}_src
psql -Xq -v ON_ERROR_STOP=1 -d ${P}_src >/dev/null <<'SQL' || { echo "Bail out! no source database"; exit 1; }
CREATE TABLE clientes (id serial PRIMARY KEY, nome text NOT NULL);
CREATE TABLE pagamentos (id serial PRIMARY KEY,
    cliente int NOT NULL REFERENCES clientes, valor numeric(10,2), obs text);
INSERT INTO clientes (nome) SELECT 'Cliente ' || i FROM generate_series(1, 300) i;
INSERT INTO pagamentos (cliente, valor, obs)
    SELECT 1 + i % 300, i * 1.25, 'pix "' || i || '", ok'
    FROM generate_series(1, 3000) i;
SQL
# The state a restore starts from: the source and a table of its own.
createdb -T ${P}_src ${P}_a
psql -Xq -d ${P}_a -c "CREATE TABLE marca (x text); INSERT INTO marca VALUES ('a')"
# state DB: the database as pg_dump sees it (the \restrict keys differ).
state() { pg_dump -Fp "$1" | grep -v '^\\\(un\)\{0,1\}restrict '; }
state ${P}_src >src.state
state ${P}_a >a.state

mkdir bin
bk-crypt --keygen -q -o key.txt && bk-crypt -y -i key.txt >key.pub ||
    { echo "Bail out! no age key"; exit 1; }
KEY=$T/key.txt
export KEY KEYPUB=$T/key.pub SRCDB=${P}_src LIVEDB=${P}_live

cat >bin/crypt <<'EOF'
#!/bin/bash
set -eu -o pipefail
cd "$1"
pg_dump -Fp "$SRCDB" | bk-gz | bk-crypt -R "$KEYPUB" -o "$2"
bk-manifest add -T daily --source "postgresql:$SRCDB" "$2"
EOF
cat >bin/gz <<'EOF'
#!/bin/bash
set -eu -o pipefail
cd "$1"
pg_dump -Fp "$SRCDB" | bk-gz -o "$2"
bk-manifest add -T pre-migration --description "before 0042" "$2"
EOF
cat >bin/csv <<'EOF'
#!/bin/bash
set -eu -o pipefail
cd "$1"
bk-dump -D "dbname=$SRCDB" --table pagamentos --table clientes | bk-csv | bk-gz -o "$2"
bk-manifest add -T daily --source "postgresql:$SRCDB" "$2"
EOF
cat >bin/restore <<'EOF'
#!/bin/sh
exec bk-restore -q --yes --clean -m "$1/manifest.jsonl" -i "$KEY" -D "$LIVEDB" "$1/$2"
EOF
chmod +x bin/*

new_tree t1
kill_runs "pg_dump | bk-gz | bk-crypt -o" "$T/t1" \
    "pg_dump bk-gz bk-crypt bk-manifest" "" "" crypt daily/erp_r%d.sql.gz.age
new_tree t2
mkdir -p t2/pre-migration
kill_runs "pg_dump | bk-gz -o" "$T/t2" "pg_dump bk-gz bk-manifest" "" "" \
    gz pre-migration/erp_r%d.sql.gz
new_tree t3
kill_runs "bk-dump | bk-csv | bk-gz -o" "$T/t3" \
    "bk-dump bk-csv bk-gz bk-manifest" "" "" csv daily/pag_r%d.csv.gz

# ---- bk-restore --clean: the database as it was, or the backup ----
new_tree t4
(cd t4 && "$T/bin/crypt" "$T/t4" daily/erp.sql.gz.age) ||
    { echo "Bail out! no backup to restore"; exit 1; }
# No session may outlive a run: a psql whose bk-restore was killed ends
# when its input does, and the server rolls its transaction back.
no_session() {
	[ "$(psql -XAt -d postgres -c "SELECT count(*) FROM pg_stat_activity
	    WHERE datname = '$LIVEDB'")" = 0 ]
}
settle() { wait_until no_session; }
prep_restore() {
	settle
	dropdb --if-exists "$LIVEDB" 2>/dev/null && createdb -T ${P}_a "$LIVEDB"
	FINALS= ARGS=daily/erp.sql.gz.age
}
post_restore() {
	for _f in "$R_TREE"/pre-restore/*; do
		[ ! -e "$_f" ] || R_FINALS="$R_FINALS pre-restore/${_f##*/}"
	done
}
extra_restore() {
	settle
	state "$LIVEDB" >live.state
	if cmp -s live.state src.state; then
		:
	elif cmp -s live.state a.state; then
		[ "$R_RC" != 0 ] || viol restore "exit 0, and the database is as it was"
	else
		viol restore "the database is neither as it was nor the backup: $(diff a.state live.state | head -3 | tr '\n' ' ')"
	fi
}
tool_runs "bk-restore --clean" "$T/t4" "bk-restore psql pg_dump" append "" "" \
    restore

done_testing
