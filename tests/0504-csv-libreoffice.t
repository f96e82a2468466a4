#!/bin/sh
# bk-csv --excel opened by a real spreadsheet: LibreOffice Calc, headless,
# with formula evaluation on (as a user has it), in an English profile
# (comma) and a Brazilian one (semicolon, decimal comma).  Each file is
# converted to flat ODS XML and the cells are read back with their types.
. "$(dirname "$0")/lib.sh"
need soffice python3

cat >in.csv <<'CSV'
id,valor,cliente,observacoes
1,-12.50,José Ação,"=1+2"
2,1000.25,Zoë Müller,"@SUM(A1:A2)"
3,-3,"Estúdio Ç, Ltda","+cmd|' /C calc'!A0"
4,0.5,Ñandú,"-2+3"
5,-1000000.75,"Ana ""Tattoo""","linha 1
linha 2"
CSV
bk-csv --excel -o comma.csv in.csv
bk-csv --excel --delimiter ';' --decimal-comma valor -o semi.csv in.csv
# The control: the same cells without neutralisation must become formulas,
# or this test could not fail.
printf 'a,b\n=1+2,-3\n' >control.csv

cat >cells.py <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {'table': 'urn:oasis:names:tc:opendocument:xmlns:table:1.0',
      'office': 'urn:oasis:names:tc:opendocument:xmlns:office:1.0',
      'text': 'urn:oasis:names:tc:opendocument:xmlns:text:1.0'}
T = '{%s}' % ns['table']; O = '{%s}' % ns['office']
for row in ET.parse(sys.argv[1]).getroot().iter(T + 'table-row'):
    out = []
    for c in row.findall('table:table-cell', ns):
        kind = c.get(O + 'value-type', '')
        if not kind:
            continue
        text = '\\n'.join(''.join(p.itertext()) for p in c.findall('text:p', ns))
        cell = '%s:%s' % (kind, c.get(O + 'value', text))
        if c.get(T + 'formula'):
            cell += ':formula'
        out.append(cell)
    if out:
        print('|'.join(out))
PY

# CSV filter options: separator, quote (34), UTF-8 (76), first line 1,
# no column formats, locale (1033 en-US, 1046 pt-BR), then evaluate
# formulas (the 13th token) on.
convert() {	# convert OUTDIR SEP LOCALE FILE...
	_o=$1 _s=$2 _l=$3; shift 3
	soffice -env:UserInstallation=file://$T/profile-$_o --headless \
	    --infilter="CSV:$_s,34,76,1,,$_l,false,false,false,false,false,-1,true" \
	    --convert-to fods --outdir "$_o" "$@" >"$_o.log" 2>&1
}
convert en 44 1033 comma.csv control.csv
convert br 59 1046 semi.csv

cat >want <<'W'
string:id|string:valor|string:cliente|string:observacoes
float:1|float:-12.5|string:José Ação|string:'=1+2
float:2|float:1000.25|string:Zoë Müller|string:'@SUM(A1:A2)
float:3|float:-3|string:Estúdio Ç, Ltda|string:'+cmd|' /C calc'!A0
float:4|float:0.5|string:Ñandú|string:'-2+3
float:5|float:-1000000.75|string:Ana "Tattoo"|string:linha 1\nlinha 2
W
if [ -s en/control.fods ]; then
	python3 cells.py en/control.fods >control.cells
	like "control: an unneutralised =1+2 is evaluated" control.cells '^float:3:formula\|float:-3$'
else
	fail "LibreOffice converted the control"; sed 's/^/# /' en.log
fi
if [ -s en/comma.fods ]; then
	python3 cells.py en/comma.fods >comma.cells
	same "comma profile: accents, numbers (negative too), no formula" comma.cells want
else
	fail "LibreOffice converted the comma file"; sed 's/^/# /' en.log
fi
if [ -s br/semi.fods ]; then
	python3 cells.py br/semi.fods >semi.cells
	same "semicolon pt-BR profile: decimal comma read as numbers" semi.cells want
else
	fail "LibreOffice converted the semicolon file"; sed 's/^/# /' br.log
fi
unlike "comma profile: no cell is a formula" comma.cells ":formula"
unlike "pt-BR profile: no cell is a formula" semi.cells ":formula"
done_testing
