#!/bin/sh
# cleanup-month.sh: the cleanup of seed 000 that monthly-export.sh -c runs
# once a month is exported, recorded and verified (recipe 1 of bk(7)):
#
#   monthly-export.sh -d service=estudio -c 'PGSERVICE=estudio cleanup-month.sh' 2024-09
#
# Deletes the month's comissoes, pagamentos, sessoes and gastos (the rows
# the export selected, between BK_MONTH_START and BK_MONTH_END) with
# psql(1), in one transaction that commits only if each table lost exactly
# the number of rows that the export counted (BK_COUNTS, type TAB records).
# A row added to the month since the export, or one removed, is in no
# backup, or changes the count: the transaction is rolled back, nothing is
# deleted, and one line says which type differs.  A row changed since the
# export (same count) is not seen: the export's bounds and counts are all
# it knows.  A month whose rows are all gone already (this cleanup ran,
# and its run was killed before saying so) deletes nothing and exits 0, so
# that running it twice is harmless.  The database is libpq's environment's
# (PGSERVICE, PGDATABASE...).
#
# Exit status: 0 deleted (or nothing left to delete); 3 rolled back (a
# count differs, or psql failed: psql's ON_ERROR_STOP status); 64 usage.

set -eu

if [ -z "${BK_MONTH_START:-}" ] || [ -z "${BK_MONTH_END:-}" ] || [ ! -f "${BK_COUNTS:-}" ]; then
	echo "cleanup-month.sh: error: no BK_MONTH_START, BK_MONTH_END or BK_COUNTS: run it by monthly-export.sh -c" >&2
	exit 64
fi
# counted TYPE: what the export counted of TYPE.
counted() { awk -F '\t' -v t="$1" '$1 == t { n = $2 } END { print n + 0 }' "$BK_COUNTS"; }

psql -Xq -v ON_ERROR_STOP=1 -v s="$BK_MONTH_START" -v e="$BK_MONTH_END" \
    -v pagamento="$(counted pagamento)" -v sessao="$(counted sessao)" \
    -v comissao="$(counted comissao)" -v gasto="$(counted gasto)" <<'SQL'
BEGIN;
CREATE TEMP TABLE cleanup (type text, counted bigint, deleted bigint);
WITH d AS (DELETE FROM comissoes WHERE pagamento_id IN
    (SELECT id FROM pagamentos WHERE data >= :'s' AND data < :'e') RETURNING 1)
INSERT INTO cleanup SELECT 'comissao', :comissao, count(*) FROM d;
WITH d AS (DELETE FROM pagamentos WHERE data >= :'s' AND data < :'e' RETURNING 1)
INSERT INTO cleanup SELECT 'pagamento', :pagamento, count(*) FROM d;
WITH d AS (DELETE FROM sessoes WHERE data >= :'s' AND data < :'e' RETURNING 1)
INSERT INTO cleanup SELECT 'sessao', :sessao, count(*) FROM d;
WITH d AS (DELETE FROM gastos WHERE data >= :'s' AND data < :'e' RETURNING 1)
INSERT INTO cleanup SELECT 'gasto', :gasto, count(*) FROM d;
DO $$
DECLARE r record;
BEGIN
	IF (SELECT sum(deleted) FROM cleanup) = 0 THEN
		RETURN;
	END IF;
	FOR r IN SELECT * FROM cleanup WHERE deleted <> counted LOOP
		RAISE EXCEPTION 'the month holds % % rows, the export % : rolled back',
		    r.deleted, r.type, r.counted;
	END LOOP;
END $$;
COMMIT;
SQL
