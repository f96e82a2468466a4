#!/bin/sh
# common/ is in layers, each folder a part with its public header, each
# part including only the parts beneath it:
#   platform < stream < format, age < catalog
# A part's internal.h is for its own files (and the unit tests) alone.
# Every header compiles on its own.
. "$(dirname "$0")/lib.sh"
need make

below() {
	case $1 in
	platform) echo "" ;;
	stream) echo "platform" ;;
	format|age) echo "stream platform" ;;
	catalog) echo "format age stream platform" ;;
	*) echo "unknown" ;;
	esac
}

# The parts are the folders, and no other folder is one.
parts=$(cd "$TOP/common" && ls -d */ | tr -d / | tr '\n' ' ')
is "common/ holds the five parts" "$parts" "age catalog format platform stream "

for part in $parts; do
	allowed="$part $(below "$part")"
	bad=
	for f in "$TOP/common/$part"/*.[ch]; do
		for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
			case " $allowed " in
			*" ${inc%%/*} "*) ;;
			*) bad="$bad ${f#"$TOP"/}:$inc" ;;
			esac
			case $inc in
			*/internal.h) [ "${inc%%/*}" = "$part" ] ||
			    bad="$bad ${f#"$TOP"/}:$inc" ;;
			esac
		done
	done
	is "common/$part includes only itself and the parts beneath it" \
	    "${bad# }" ""
done

# A public header includes the part right beneath it, and nothing else of bk.
for part in $parts; do
	case $part in
	platform) want= ;;
	stream) want="platform/platform.h" ;;
	format|age) want="stream/stream.h" ;;
	catalog) want="format/format.h age/age.h" ;;
	esac
	got=$(sed -n 's/^#include "\([^"]*\)".*/\1/p' \
	    "$TOP/common/$part/$part.h" | tr '\n' ' ')
	is "$part.h includes what lies right beneath it" "${got% }" "$want"
done

# Outside common/, only the unit tests may look inside a part.
bad=$(cd "$TOP" && grep -l '^#include "[a-z]*/internal\.h"' tools/*.c \
    tests/fuzz/*.[ch] 2>/dev/null | tr '\n' ' ')
is "no tool or fuzz harness includes an internal.h" "$bad" ""

if ! cflags=$(env -u MAKEFLAGS -u MFLAGS make -s --no-print-directory \
    -C "$TOP" print-cflags 2>err); then
	fail "make print-cflags gives the flags"; sed 's/^/#   /' err
	done_testing; exit
fi
for h in "$TOP"/common/*/*.h; do
	rel=${h#"$TOP"/common/}
	printf '#include "%s"\n' "$rel" >alone.c
	# shellcheck disable=SC2086
	ok "$rel compiles on its own" sh -c "cd '$TOP' && $cflags -Werror \
	    -fsyntax-only '$T/alone.c'"
done
done_testing
