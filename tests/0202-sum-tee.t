#!/bin/sh
# bk-sum --tee: the stream passes unchanged; the digest comes at the end.
. "$(dirname "$0")/lib.sh"
need sha256sum md5sum

: >in0
printf x >in1
gen_random 5000000 >inbig
gen_text 300000 >intext

# The copy is byte for byte, and the digest on stderr by default.
for f in in0 in1 inbig intext; do
	run sh -c "bk-sum --tee <$f"
	is "$f: exit 0" "$rc" 0
	same "$f: stdout is the input" out "$f"
	is "$f: the digest line on stderr" "$(cat err)" "$(sha256sum <$f)"
done
run sh -c 'cat inbig | bk-sum --tee | cat >copy'
same "through pipes: identical bytes" copy inbig
is "through pipes: the digest" "$(cat err)" "$(sha256sum <inbig)"

# Many pieces of every size through the ring of buffers, several digests.
run sh -c 'cat inbig | bk-sum --tee --algorithm md5 --algorithm sha512 --algorithm sha1 --algorithm sha256 | cat >copy'
same "several -a through pipes: identical bytes" copy inbig
is "several -a through pipes: every digest" "$(cat err)" \
    "$(md5sum <inbig; sha512sum <inbig; sha1sum <inbig; sha256sum <inbig)"
run sh -c '(printf a; sleep 0.1; printf b; sleep 0.1; printf c) | bk-sum --tee --algorithm md5'
is "pieces that arrive slowly: the copy" "$(cat out)" abc
is "pieces that arrive slowly: the digest" "$(cat err)" "$(printf abc | md5sum)"

# --digest-to: atomic, private, refuses to replace without -f.
run sh -c 'bk-sum --tee --digest-to d.sha256 <intext'
is "--digest-to: exit 0" "$rc" 0
same "--digest-to: stdout is the input" out intext
empty "--digest-to: stderr is empty" err
is "--digest-to: the line" "$(cat d.sha256)" "$(sha256sum <intext)"
is "--digest-to: mode 0600" "$(mode d.sha256)" 600
errline "--digest-to refuses an existing file (73)" 73 'file exists' \
    sh -c 'bk-sum --tee --digest-to d.sha256 <in1'
empty "a refused --digest-to copies nothing" out
run sh -c 'bk-sum -f --tee --digest-to d.sha256 <in1'
is "-f replaces the digest file" "$(cat d.sha256)" "$(sha256sum <in1)"

# --name, -o, several -a, --tag.
run sh -c 'bk-sum --tee --name intext --digest-to n.sha256 <intext >/dev/null'
ok "--name: sha256sum -c checks the digest file" sha256sum -c --quiet n.sha256
run sh -c 'bk-sum --tee -o copy.gz --digest-to copy.gz.sha256 <intext'
empty "-o: nothing on stdout" out
same "-o: the copy" copy.gz intext
is "-o: mode 0600" "$(mode copy.gz)" 600
ok "-o: the name defaults to FILE" sha256sum -c --quiet copy.gz.sha256
run sh -c 'bk-sum --tee --algorithm md5 --algorithm sha256 --name x --digest-to m <intext >copy'
same "several -a: the copy" copy intext
is "several -a: the lines, in -a order" "$(cat m)" \
    "$(md5sum <intext | sed 's/-$/x/'; sha256sum <intext | sed 's/-$/x/')"
run sh -c 'bk-sum --tee --tag --name "a b" <in1 >/dev/null'
is "--tag" "$(cat err)" "$(sha256sum --tag in1 | sed 's/(in1)/(a b)/')"
run sh -c "bk-sum --tee --name 'new
line' <in1 >/dev/null"
is "--name is escaped like sha256sum does" "$(cat err)" \
    "\\$(sha256sum <in1 | cut -c1-64)  new\\nline"
exits "--tee takes no FILE (64)" 64 bk-sum --tee intext
exits "--digest-to without --tee (64)" 64 bk-sum --digest-to x intext

# A failed output commits no digest file.
run sh -c 'bk-sum --tee --digest-to full.sha256 <intext >/dev/full'
is ">/dev/full exits 74" "$rc" 74
like ">/dev/full says so" err 'could not write standard output'
ok ">/dev/full: no digest file" test ! -e full.sha256
run sh -c '(bk-sum --tee --digest-to pipe.sha256 <inbig; echo $? >status) | head -c 1 >/dev/null'
is "a broken pipe ends --tee by SIGPIPE" "$(cat status)" 141
empty "a broken pipe prints nothing" err
ok "a broken pipe: no digest file" test ! -e pipe.sha256
run sh -c '(trap "" PIPE; bk-sum --tee --digest-to ign.sha256 <inbig; echo $? >status) | head -c 1 >/dev/null'
is "SIGPIPE ignored: still ends by SIGPIPE" "$(cat status)" 141
ok "SIGPIPE ignored: no digest file" test ! -e ign.sha256
is "no temporary files are left behind" "$(ls -A | grep -c '^\.')" 0
run sh -c 'bk-sum --tee --digest-to nodir/x.sha256 <in1'
is "a --digest-to in a missing folder exits 73" "$rc" 73
empty "... before copying anything" out

done_testing
