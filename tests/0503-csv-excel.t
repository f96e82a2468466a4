#!/bin/sh
# bk-csv --excel: the bytes Excel needs, and formula neutralisation.
. "$(dirname "$0")/lib.sh"

printf 'id,valor,nota\n1,-12.50,ação\n2,1000,"a,b"\n' >in.csv
run bk-csv --excel in.csv
printf '\357\273\277id,valor,nota\r\n1,-12.50,ação\r\n2,1000,"a,b"\r\n' >want
same "--excel: BOM, CRLF, comma" out want
run bk-csv --excel --delimiter ';' --decimal-comma valor in.csv
printf '\357\273\277id;valor;nota\r\n1;-12,50;ação\r\n2;1000;a,b\r\n' >want
same "--excel -d ';' --decimal-comma: pt-BR" out want
run bk-csv --excel --decimal-comma valor in.csv
printf '\357\273\277id,valor,nota\r\n1,"-12,50",ação\r\n2,1000,"a,b"\r\n' >want
same "a decimal comma with a comma delimiter is quoted" out want

printf 'valor\n1.5\nn/a\n-2\n3.0e2\n\n' >d.csv
run bk-csv --delimiter ';' --decimal-comma 1 d.csv
is "--decimal-comma leaves non-numbers alone" "$(cat out)" "$(printf 'valor\n1,5\nn/a\n-2\n3,0e2\n')"
printf '\357\273\277sep=;\r\nid;valor;nota\r\n' >want
run sh -c 'bk-csv --excel --sep-line --delimiter ";" in.csv | head -c 25'
same "--sep-line writes sep= after the BOM" out want
run bk-csv --delimiter tab in.csv
is "-d tab without --excel: tabs, LF, no BOM" "$(head -1 out)" "$(printf 'id\tvalor\tnota')"

# The neutralisation table: value in, cell out.  Plain numbers (sign,
# digits, point, exponent) stay numbers; everything else that starts
# with = + - @ TAB CR LF gets a leading ' and quotes.
cat >table <<'TAB'
-12.50|-12.50
+5|+5
-0.5e-3|-0.5e-3
1.5E+10|1.5E+10
-1|-1
=1+2|"'=1+2"
=HYPERLINK("http://x","y")|"'=HYPERLINK(""http://x"",""y"")"
+cmd|"'+cmd"
-2+3|"'-2+3"
-|"'-"
-.5|"'-.5"
-1.|"'-1."
@SUM(A1)|"'@SUM(A1)"
--1|"'--1"
-1,5|"'-1,5"
a=1|a=1
 =1| =1
TAB
printf 'v\n' >t.csv
while IFS='|' read -r v w; do
	case $v in *,*|*\"*|" "*) printf '"%s"\n' "$(printf '%s' "$v" | sed 's/"/""/g')" ;;
	*) printf '%s\n' "$v" ;; esac
done <table >>t.csv
# Cells that start with TAB, CR and LF.
printf '"\tx"\n"\rx"\n"\nx"\n' >>t.csv
run bk-csv --excel t.csv
tr -d '\r' <out | tail -n +2 >got.lines
i=0
while IFS='|' read -r v w; do
	i=$((i + 1))
	is "neutralise: $v" "$(sed -n "${i}p" got.lines)" "$w"
done <table
run bk-csv --excel t.csv
printf '"'"'"'\tx"\r\n"'"'"'\rx"\r\n"'"'"'\nx"\r\n' >want
tail -c 21 out >got
same "neutralise: TAB, CR and LF" got want

# Neutralisation applies in --excel only; other formats keep values.
run bk-csv t.csv
like "without --excel, =1+2 stays as it is" out '^=1\+2$'
run bk-csv -F jsonl t.csv
like "JSON Lines keeps =1+2" out '^\{"v":"=1\+2"\}$'
done_testing
