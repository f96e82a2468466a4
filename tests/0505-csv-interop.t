#!/bin/sh
# bk-csv against its peers: PostgreSQL's COPY (CSV in, CSV/TSV out, NULL
# against empty string), Miller, csvkit and jq.
. "$(dirname "$0")/lib.sh"

cat >in.csv <<'CSV'
id,nome,nota,valor
1,"Ana, Jr","diz ""oi""",-12.50
2,,"",0
3,"",,1e3
4,"linha 1
linha 2", espaços ,7
5,ação ✓,"\.",-0.5
CSV

if command -v mlr >/dev/null; then
	mlr --csv cat in.csv >mlr-in.csv
	bk-csv in.csv | mlr --csv cat >mlr-out.csv
	same "Miller reads the same cells" mlr-out.csv mlr-in.csv
	bk-csv --excel in.csv | mlr --csv cat | tr -d '\r' >mlr-xl.csv
	# Miller keeps the BOM out of the first name and reads CRLF.
	same "Miller reads the --excel output too" mlr-xl.csv mlr-in.csv
else
	skip "mlr missing"; skip "mlr missing"
fi
if command -v csvformat >/dev/null; then
	csvformat in.csv >kit-in.csv
	bk-csv in.csv | csvformat >kit-out.csv
	same "csvkit reads the same cells" kit-out.csv kit-in.csv
	bk-csv --delimiter ';' in.csv | csvformat -d ';' >kit-semi.csv
	same "csvkit reads the semicolon output" kit-semi.csv kit-in.csv
else
	skip "csvformat missing"; skip "csvformat missing"
fi

need_pg
P() { psql -XAtq -v ON_ERROR_STOP=1 "$@"; }
S=bkcsv_$$
P -c "create schema $S; create table $S.t (id int, nome text, nota text, valor numeric)"
P -c "\\copy $S.t from in.csv csv header"
is "PostgreSQL reads NULL and empty apart" \
    "$(P -c "select string_agg(id || ':' || coalesce(nome, 'NULL') || ':' || coalesce(nota, 'NULL'), ' ' order by id) from $S.t where id in (2, 3)")" \
    "2:NULL: 3::NULL"
P -c "\\copy $S.t to pg.csv csv header"
run bk-csv pg.csv
same "PostgreSQL's CSV comes out byte for byte" out pg.csv
bk-csv <pg.csv >back.csv
P -c "create table $S.u (like $S.t); create table $S.v (like $S.t)"
P -c "\\copy $S.u from back.csv csv header"
is "a COPY round trip through bk-csv keeps every value" \
    "$(P -c "select count(*) from (select * from $S.t except select * from $S.u) x") $(P -c "select count(*) from $S.u")" "0 5"
bk-csv -F tsv pg.csv >pg.tsv
P -c "\\copy $S.v from pg.tsv (format text, header true)"
is "-F tsv loads with COPY's text format, NULLs included" \
    "$(P -c "select count(*) from (select * from $S.t except select * from $S.v) x") $(P -c "select count(*) from $S.v where nome is null")" "0 1"
if command -v jq >/dev/null; then
	P -c "select json_build_object('id', id::text, 'nome', nome, 'nota', nota, 'valor', valor::text) from $S.t order by id" | jq -cS . >pg.json
	bk-csv -F jsonl pg.csv | jq -cS . >ours.json
	same "-F jsonl: strings and nulls as PostgreSQL has them" ours.json pg.json
else
	skip "jq missing"
fi
# One column: NULL is a blank line, \. is quoted; both survive.
P -c "create table $S.w (x text); insert into $S.w values ('a'), (null), (''), ('\\.'), (' ')"
P -c "\\copy $S.w to w.csv csv header"
run bk-csv --count w.csv
same "a one-column COPY with NULL and \\. comes out byte for byte" out w.csv
is "a blank line counts as a record" "$(cat err)" 5
P -c "create table $S.w2 (like $S.w)"
bk-csv w.csv | P -c "\\copy $S.w2 from stdin csv header"
is "and COPY reads it back the same" "$(P -c "select count(*) from (select * from $S.w except select * from $S.w2) x")/$(P -c "select count(*) from $S.w2 where x is null")" "0/1"
P -c "drop schema $S cascade"
done_testing
