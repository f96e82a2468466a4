# faults/lib.sh: what the 10xx fault tests share: the injector
# (inject.c, built into $BUILD/faults/inject.so), a seeded generator, runs
# with a private TMPDIR, and the invariants of bk(7) checked after every
# run.  Source it after lib.sh:
#   . "$TESTS/faults/lib.sh"
#
# A test draws its faults from the seed: BK_FAULT_SEED=N replays its runs
# exactly (the seed is printed first; a failing run prints it again).
# BK_FAULT_RUNS sets the runs of each kill scenario (8).
#
# One run:
#   begin_run TREE KIND MODE FINAL...   before it (KIND, MODE: below)
#   faulty PROG OPS N ACTION GLOB TIMES CMD...
#                                       CMD with the injector: the Nth call
#                                       of OPS matching GLOB made by PROG
#                                       gets ACTION (inject.c); sets R_RC
#   check_run                           the invariants; then the test's
#                                       own: viol ID TEXT
#   report_run NAME [TODO-REASON ID-REGEX]
#                                       one TAP line; violations whose ids all
#                                       match ID-REGEX are a known defect:
#                                       "not ok ... # TODO TODO-REASON"
# kill_runs and tool_runs (at the end) make RUNS such runs of a recipe or
# a tool, each killed at a call drawn from the seed.
#
# The invariants, each with its id:
#   torn, parse  every line of the manifest (and of restore.log) is a JSON
#                object (faults/jsonl.py, not bk's parser) ending in a
#                newline, and bk-manifest list reads the manifest without
#                a warning;
#   lost         every line there before the run is still there (compared
#                without "verified", which bk-verify --record changes); in MODE
#                delete a line may go, with its file or leaving it to be
#                reported by the scan;
#   verify       every listed file verifies (bk-verify --no-scan, with $KEY);
#   final        nothing at a final path unless committed: KIND tool (one
#                tool with -o) leaves nothing at FINAL when it fails; KIND
#                pipeline (-o, then bk-manifest add) leaves FINAL listed,
#                or unlisted and reported by bk-verify's scan as an
#                incomplete backup; an exit 0 means FINAL is listed (or,
#                for a tool, exists);
#   tmp          nothing hidden is left in the tree but bk's temporaries
#                .NAME.bk-XXXXXX, which bk-verify must report once they
#                are old (the checker ages them by two hours), and the
#                .NAME.bk-plain record of a NAME that exists;
#   tmpdir       the run's private TMPDIR is empty;
#   exit         a run that met no fault succeeded.
# What the scan reported (unlisted finals, stale temporaries) and any
# other leftover are removed afterwards, as the cleanup bk-verify(1)
# describes; after a violation the manifest keeps only the lines that
# parse and whose file exists, as an operator would repair it: so each
# run starts from a sound tree and reports only what it did.

INJ=$BUILD/faults/inject.so
[ -f "$INJ" ] || { echo "Bail out! $INJ is not built (make build)"; exit 1; }
# A sanitized build (make check SANITIZE=1) takes another preloaded
# library after its own runtime only when told to.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
export ASAN_OPTIONS
need python3
# Debian's own, not a wrapper found first in PATH (pyenv's takes 0.3 s).
PY=python3
[ ! -x /usr/bin/python3 ] || PY=/usr/bin/python3

case ${BK_FAULT_SEED:-} in
'')	SEED=$(( $(date +%s) % 1000000 )) ;;
*[!0-9]*) echo "Bail out! BK_FAULT_SEED must be a number"; exit 1 ;;
*)	SEED=$BK_FAULT_SEED ;;
esac
diag "seed $SEED: BK_FAULT_SEED=$SEED $0 replays these runs"
# Each file draws its own sequence from the one seed.
_rs=$(( (SEED + $(printf %s "${0##*/}" | cksum | cut -d' ' -f1)) % 2147483648 ))

# rand N: sets RAND to a number from 0 to N-1, the next of the seed's.
rand() {
	_rs=$(( (_rs * 1103515245 + 12345) % 2147483648 ))
	RAND=$(( (_rs / 65536) % $1 ))
}
# pick WORD...: sets PICK to one of the words.
pick() { rand $#; shift $RAND; PICK=$1; }

KEY=
R_TMP=$T/tmp.run
mkdir -p "$T/tmp.check"

# begin_run TREE KIND MODE FINAL...: KIND is pipeline or tool; MODE is
# append, rewrite or delete; FINAL are paths relative to TREE.
begin_run() {
	R_TREE=$1 R_KIND=$2 R_MODE=$3
	shift 3
	R_FINALS=$*
	R_RC=
	rm -rf "$R_TMP"
	mkdir "$R_TMP"
	if [ -e "$R_TREE/manifest.jsonl" ]; then
		cp "$R_TREE/manifest.jsonl" "$T/before.jsonl"
	else
		: >"$T/before.jsonl"
	fi
	: >"$T/viol"
	: >"$T/fault.log"
}

# faulty PROG OPS N ACTION GLOB TIMES CMD...
faulty() {
	_fp=$1 _fo=$2 _fn=$3 _fa=$4 _fg=$5 _ft=$6
	shift 6
	LD_PRELOAD=$INJ BK_FAULT_PROG=$_fp BK_FAULT_OPS=$_fo \
	    BK_FAULT_NTH=$_fn BK_FAULT_DO=$_fa BK_FAULT_PATH=$_fg \
	    BK_FAULT_TIMES=$_ft BK_FAULT_LOG=$T/fault.log TMPDIR=$R_TMP \
	    "$@" >"$T/run.out" 2>"$T/run.err"
	R_RC=$?
}

# count_calls PROG OPS GLOB CMD...: sets CALLS to the calls PROG makes
# (the sum over its processes) when CMD runs without a fault, and
# COUNT_RC to CMD's exit status.
count_calls() {
	_fp=$1 _fo=$2 _fg=$3
	shift 3
	rm -f "$T/count"
	LD_PRELOAD=$INJ BK_FAULT_PROG=$_fp BK_FAULT_OPS=$_fo \
	    BK_FAULT_NTH=1000000000 BK_FAULT_PATH=$_fg \
	    BK_FAULT_COUNT=$T/count TMPDIR=$R_TMP "$@" >/dev/null \
	    2>"$T/count.err"
	COUNT_RC=$?
	CALLS=$(awk '{ n += $2 } END { print n + 0 }' "$T/count" 2>/dev/null)
	[ -n "$CALLS" ] || CALLS=0
}

# fired: what the injector did, for the test's name ("no fault" if the
# run ended before its Nth call).
fired() {
	if [ -s "$T/fault.log" ]; then
		head -1 "$T/fault.log" | awk '{ p = $0
		    for (i = 0; i < 5; i++) sub(/^[^ ]+ /, "", p)
		    sub(/.*\//, "", p)
		    sub(/\.bk-[A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9]/, ".bk-XXXXXX", p)
		    sub(/:\[[0-9]*\]/, "", p)
		    sub(/^#[0-9]* \(deleted\)$/, "a copy without a name", p)
		    printf "%s at %s %s on %s", $5, $3, $4, p }'
	else
		printf 'no fault (fewer calls)'
	fi
}

viol() { echo "$1: $2" >>"$T/viol"; }

check_run() {
	_m=$R_TREE/manifest.jsonl
	# torn, parse, lost (faults/jsonl.py); the paths listed
	$PY "$TESTS/faults/jsonl.py" "$T/before.jsonl" "$_m" "$R_TREE" \
	    "$R_MODE" "$T/paths" "$R_TREE/restore.log" >"$T/py.out"
	grep -v '^unlisted: ' "$T/py.out" >>"$T/viol"
	if [ -e "$_m" ]; then
		bk-manifest -m "$_m" list >/dev/null 2>"$T/ck.err"
		_rc=$?
		if [ $_rc != 0 ] || [ -s "$T/ck.err" ]; then
			viol parse "bk-manifest list exits $_rc: $(head -1 "$T/ck.err")"
		fi
	fi
	# verify
	if [ -s "$_m" ]; then
		TMPDIR=$T/tmp.check bk-verify -q --no-scan -m "$_m" ${KEY:+-i "$KEY"} \
		    >"$T/ck.out" 2>"$T/ck.err"
		_rc=$?
		[ $_rc = 0 ] || viol verify "bk-verify --no-scan exits $_rc: $(grep -v '^OK' "$T/ck.out" | head -1)$(head -1 "$T/ck.err")"
	fi
	# final
	_scan=
	sed -n 's/^unlisted: //p' "$T/py.out" >"$T/unlisted"
	[ ! -s "$T/unlisted" ] || _scan=1
	for _f in $R_FINALS; do
		if [ ! -e "$R_TREE/$_f" ]; then
			[ "$R_RC" != 0 ] || viol final "exit 0, and nothing at \"$_f\""
			continue
		fi
		grep -Fxq -- "$_f" "$T/paths" && continue
		case $R_KIND in
		tool)
			[ "$R_RC" = 0 ] ||
			    viol final "exit $R_RC, and \"$_f\" is there" ;;
		*)
			[ "$R_RC" != 0 ] ||
			    viol final "exit 0, and \"$_f\" has no manifest line"
			echo "$_f" >>"$T/unlisted"
			_scan=1 ;;
		esac
	done
	# tmp: anything hidden in the tree
	: >"$T/stale"
	find "$R_TREE" -mindepth 1 -name '.*' >"$T/hidden"
	while IFS= read -r _h; do
		_r=${_h#"$R_TREE"/}
		_b=${_h##*/}
		case $_b in
		.*.bk-plain)
			_d=${_h%/*}
			_o=${_b#.}
			[ -e "$_d/${_o%.bk-plain}" ] ||
			    viol tmp "a record without its file: \"$_r\"" ;;
		.*.bk-??????)
			if [ -f "$_h" ] && [ ! -L "$_h" ]; then
				touch -h -d '2 hours ago' "$_h"
				echo "$_r" >>"$T/stale"
				_scan=1
			else
				viol tmp "left, not a regular file: \"$_r\""
				rm -rf "$_h"
			fi ;;
		*)	viol tmp "left: \"$_r\""
			rm -rf "$_h" ;;
		esac
	done <"$T/hidden"
	if [ -n "$_scan" ]; then
		# The scan alone: a type no backup has checks none.
		TMPDIR=$T/tmp.check bk-verify -m "$_m" -T bk-fault-scan-only \
		    >"$T/scan.out" 2>"$T/scan.err"
		while IFS= read -r _f; do
			grep -Fxq -- "FAIL $_f: not in the manifest (incomplete backup)" \
			    "$T/scan.out" ||
			    viol final "\"$_f\" has no manifest line and bk-verify does not report it"
			rm -f "$R_TREE/$_f" "$(dirname "$R_TREE/$_f")/.${_f##*/}.bk-plain"
		done <"$T/unlisted"
		while IFS= read -r _r; do
			grep -Fq -- "\"$_r\": a temporary file of a bk run that was killed" \
			    "$T/scan.err" ||
			    viol tmp "bk-verify does not report \"$_r\""
			rm -f "$R_TREE/$_r"
		done <"$T/stale"
	fi
	# A run that met no fault must succeed.
	[ -s "$T/fault.log" ] || [ "$R_RC" = 0 ] ||
	    viol exit "exit $R_RC without a fault: $(head -1 "$T/run.err")"
	# tmpdir
	if [ -n "$(ls -A "$R_TMP")" ]; then
		viol tmpdir "left in TMPDIR: $(ls -A "$R_TMP" | head -3 | tr '\n' ' ')"
	fi
	rm -rf "$R_TMP" "$T/tmp.check"
	mkdir "$R_TMP" "$T/tmp.check"
}

# report_run NAME [TODO-REASON ID-REGEX]
report_run() {
	_n=$((_n + 1))
	# A '#' in a TAP description would start a directive.
	set -- "$(printf %s "$1" | sed 's/#/\\#/g')" "${2:-}" "${3:-}"
	if [ ! -s "$T/viol" ]; then
		echo "ok $_n - $1"
		return 0
	fi
	if [ -n "${2:-}" ] && ! grep -Evq "^(${3:-x}):" "$T/viol"; then
		echo "not ok $_n - $1 # TODO $2"
	else
		echo "not ok $_n - $1"
		_failed=$((_failed + 1))
	fi
	sed 's/^/#   /' "$T/viol" | head -8
	if [ -s "$T/run.err" ]; then
		diag "  its stderr: $(head -2 "$T/run.err" | tr '\n' ' ')"
	fi
	diag "  replay: BK_FAULT_SEED=$SEED $0"
	# The next run starts from a sound tree, as after an operator's
	# repair: only the lines that parse and whose file exists.
	[ ! -e "$R_TREE/manifest.jsonl" ] ||
	    $PY "$TESTS/faults/jsonl.py" --repair "$R_TREE/manifest.jsonl" \
	    "$R_TREE"
	return 0
}

# listed FILE: whether the manifest listed FILE when check_run read it.
listed() { grep -Fxq -- "$1" "$T/paths"; }

# ---- kill -9 at the Nth call: recipes and tools ----

# The calls a kill may come at (reads change nothing), and the runs of
# each scenario (BK_FAULT_RUNS overrides).
OPS=write,fsync,rename,link,unlink,close
RUNS=${BK_FAULT_RUNS:-8}

# new_tree NAME: a backup tree with two backups listed already.
new_tree() {
	mkdir -p "$1/daily"
	printf 'a,b\n1,2\n' >"$1/daily/old_20250101.csv"
	printf 'a\n1\n' | gzip -n >"$1/daily/old_20250102.csv.gz"
	(cd "$1" && bk-manifest -q add -T daily --created 2025-01-01 daily/old_20250101.csv &&
	    bk-manifest -q add -T daily --created 2025-01-02 daily/old_20250102.csv.gz) ||
	    { echo "Bail out! could not make $1"; exit 1; }
}

calls_of() { eval "echo \${CAL_$(echo "$1" | tr -c 'a-z0-9\n' _):-0}"; }
# ops_of PROG: the calls a kill of PROG may come at.  pg_dump and psql
# write through stdio, whose write(2) inside libc the injector cannot see:
# what they receive from the server counts too.
ops_of() {
	case $1 in
	pg_dump|psql|pg_restore) echo "$OPS,read" ;;
	*)	echo "$OPS" ;;
	esac
}

# tool_runs LABEL TREE PROGS MODE TODO REGEX SCRIPT: RUNS runs of
# bin/SCRIPT TREE ARGS, one of PROGS (a tool, or a program it runs)
# killed at a call drawn from the seed.  Before each run, prep_SCRIPT TREE
# N sets ARGS and FINALS (and may change the tree); after it, post_SCRIPT
# may add finals and extra_SCRIPT checks what is particular to the tool.
tool_runs() {
	_label=$1 _tree=$2 _progs=$3 _mode=$4 _todo=$5 _re=$6 _script=$7
	for _p in $_progs; do
		rm -rf "$T/cal" && cp -a "$_tree" "$T/cal"
		prep_$_script "$T/cal" 0
		count_calls "$_p" "$(ops_of "$_p")" '*' "$T/bin/$_script" \
		    "$T/cal" $ARGS
		[ "$COUNT_RC" = 0 ] || {
			fail "$_label: runs without faults"
			diag "exit $COUNT_RC: $(head -3 "$T/count.err")"
		}
		eval "CAL_$(echo "$_p" | tr -c 'a-z0-9\n' _)=$CALLS"
	done
	rm -rf "$T/cal"
	_i=1
	while [ "$_i" -le "$RUNS" ]; do
		prep_$_script "$_tree" "$_i"
		pick $_progs
		_prog=$PICK
		_c=$(calls_of "$_prog")
		[ "$_c" -gt 0 ] || _c=1
		rand "$_c"
		_nth=$((RAND + 1))
		pick kill kill kill killafter
		begin_run "$_tree" pipeline "$_mode" $FINALS
		faulty "$_prog" "$(ops_of "$_prog")" "$_nth" "$PICK" '*' 1 \
		    "$T/bin/$_script" "$_tree" $ARGS
		post_$_script
		check_run
		extra_$_script
		report_run "$_label $_i: $_prog ($_c calls) $(fired), exit $R_RC" \
		    "$_todo" "$_re"
		_i=$((_i + 1))
	done
}

# kill_runs LABEL TREE PROGS TODO REGEX SCRIPT OUTPUT-PATTERN: tool_runs
# of a recipe, bin/SCRIPT TREE OUTPUT, OUTPUT a new name each run (printf
# OUTPUT-PATTERN N), which the recipe writes with -o and then adds.
kill_runs() {
	_kpat=$7
	eval "prep_$6() { ARGS=\$(printf \"\$_kpat\" \"\$2\"); FINALS=\$ARGS; }
	    post_$6() { :; }
	    extra_$6() { :; }"
	tool_runs "$1" "$2" "$3" append "$4" "$5" "$6"
}
