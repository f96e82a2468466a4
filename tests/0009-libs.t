#!/bin/sh
# Each program links the libraries its Makefile list declares (LIBS_NAME,
# make print-libs), no more and no fewer: the list against the NEEDED
# entries readelf finds in the built tools and unit tests.
. "$(dirname "$0")/lib.sh"
need readelf make

# The library a declared name brings.  pthread is part of the C library
# since glibc 2.34, so it may bring nothing.
soname() {
	case $1 in
	zlib) echo libz ;;
	libzstd) echo libzstd ;;
	libcrypto|libdeflate|libpq|libcurl) echo "$1" ;;
	sqlite3|jansson|csv|m|pthread) echo "lib$1" ;;
	*) echo "unknown:$1" ;;
	esac
}

if ! env -u MAKEFLAGS -u MFLAGS make -s --no-print-directory -C "$TOP" \
    print-libs >decl 2>err; then
	fail "make print-libs lists the declarations"; sed 's/^/#   /' err
	done_testing; exit
fi
# The programs the sources make (an old binary left in the build folder
# by a removed test is not one of them).
for src in "$TOP"/tools/bk-*.c "$TOP"/tests/unit/t-*.c; do
	name=${src##*/}; name=${name%.c}
	case $name in bk-*) prog=$BUILD/bin/$name ;; *) prog=$BUILD/unit/$name ;; esac
	if ! grep -q "^$name:" decl; then
		fail "$name has a LIBS_$name list"; continue
	fi
	want=$(for l in $(sed -n "s/^$name://p" decl); do soname "$l"; done |
	    grep -vx libpthread | sort -u | tr '\n' ' ')
	# The C library, the loader, the sanitizers' runtimes and what they
	# bring are nobody's declaration.
	got=$(readelf -d "$prog" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
	    sed 's/\.so.*//' | grep -Evx \
	    'libc|ld-linux.*|libpthread|libdl|librt|libasan|libubsan|libstdc\+\+|libgcc_s' |
	    sort -u | tr '\n' ' ')
	is "$name links what it declares" "$got" "$want"
done
done_testing
