. "$(dirname "$0")/lib.sh"
f=$(csv_input 64); echo $f
{ echo id,data,valor,forma,cliente,artista,obs; sed '$d' $f; } > $DATA/t64.csv
time mlr --csv cat $DATA/t64.csv > /dev/null
g=$(csv_input 16)
{ echo id,data,valor,forma,cliente,artista,obs; sed '$d' $g; } > $DATA/t16.csv
time csvformat $DATA/t16.csv > /dev/null
