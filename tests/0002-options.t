#!/bin/sh
# Every tool reports a bad option the same way: one error line naming it,
# the --help hint, exit 64, nothing on stdout (bk_bad_option).
. "$(dirname "$0")/lib.sh"

for t in "$BUILD"/bin/bk-*; do
	t=${t##*/}
	run "$t" --bogus
	is "$t --bogus exits 64" "$rc" 64
	empty "$t --bogus writes nothing on stdout" out
	is "$t --bogus: one error line and the hint" \
	    "$(cat err)" "$t: error: unknown option \"--bogus\"
Try '$t --help' for more information."
	run "$t" -Z
	like "$t -Z names the letter" err "^$t: error: unknown option \"-Z\"$"
done
run bk-gz -o
like "a short option without its argument" err 'option "-o" needs an argument'
run bk-verify --type
like "a long option without its argument" err 'option "--type" needs an argument'
run bk-manifest remove --delete=yes
like "a flag given an argument" err 'option "--delete" takes no argument'
done_testing
