#!/bin/sh
# bk-rotate against restic's own "forget": the same timestamps, the same
# policy, the same kept set.  restic's backups are slow (a key derivation
# each), so a Python fixture writes the snapshots straight into a fresh
# repository in restic's format and swaps the key for a cheap one; restic
# itself then decides.  The times carry offsets and cross daylight saving
# time changes: periods are those of the offset each backup recorded.
# The folder (--dir) also holds files that are not backups.
# Before 0.16, restic does not keep the oldest backup while a count is left;
# against such a restic exactly that difference is allowed.
. "$(dirname "$0")/lib.sh"
need restic python3
python3 -c 'import cryptography' 2>/dev/null ||
	skip_all "python3-cryptography not installed"

TZ=Europe/Berlin
RESTIC_PASSWORD=bk-throwaway-test-repo
RESTIC_CACHE_DIR=$T/cache
RESTIC_REPOSITORY=$T/repo
export TZ RESTIC_PASSWORD RESTIC_CACHE_DIR RESTIC_REPOSITORY

cat >fixture.py <<'EOF'
import base64, datetime, glob, hashlib, json, os, random, re, sys, time
from zoneinfo import ZoneInfo

def aes(mode, k, b):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
    e = Cipher(algorithms.AES(k), mode).encryptor()
    return e.update(b) + e.finalize()

def tag(mk, mr, iv, ct):
    # restic's MAC: Poly1305 keyed with r and AES-128_k(nonce).
    from cryptography.hazmat.primitives.ciphers import modes
    from cryptography.hazmat.primitives.poly1305 import Poly1305
    return Poly1305.generate_tag(mr + aes(modes.ECB(), mk, iv), ct)

def seal(enc, mk, mr, plain):
    from cryptography.hazmat.primitives.ciphers import modes
    iv = os.urandom(16)
    ct = aes(modes.CTR(iv), enc, plain)
    return iv + ct + tag(mk, mr, iv, ct)

def unseal(enc, mk, mr, data):
    from cryptography.hazmat.primitives.ciphers import modes
    iv, ct = data[:16], data[16:-16]
    if tag(mk, mr, iv, ct) != data[-16:]:
        sys.exit("fixture: wrong password")
    return aes(modes.CTR(iv), enc, ct)

def kdf(pw, salt, n, r, p):
    dk = hashlib.scrypt(pw, salt=salt, n=n, r=r, p=p, maxmem=1 << 30, dklen=64)
    return dk[:32], dk[32:48], dk[48:64]

def seal_repo(repo):
    """Cheap key, then one snapshot per line "HOST TIME PATH" of stdin."""
    pw = os.environ["RESTIC_PASSWORD"].encode()
    kpath = glob.glob(os.path.join(repo, "keys", "*"))[0]
    kf = json.load(open(kpath))
    user = kdf(pw, base64.b64decode(kf["salt"]), kf["N"], kf["r"], kf["p"])
    master = json.loads(unseal(*user, base64.b64decode(kf["data"])))
    mkey = (base64.b64decode(master["encrypt"]),
            base64.b64decode(master["mac"]["k"]),
            base64.b64decode(master["mac"]["r"]))
    salt = os.urandom(64)
    kf.update(N=1024, r=8, p=1, salt=base64.b64encode(salt).decode())
    kf["data"] = base64.b64encode(seal(*kdf(pw, salt, 1024, 8, 1),
        json.dumps(master).encode())).decode()
    raw = json.dumps(kf).encode()
    os.unlink(kpath)
    open(os.path.join(repo, "keys", hashlib.sha256(raw).hexdigest()), "wb").write(raw)
    for line in sys.stdin:
        host, when, _ = line.split()
        snap = {"time": when, "tree": "0" * 64, "paths": ["/data"],
                "hostname": host, "username": "bk"}
        blob = seal(*mkey, json.dumps(snap).encode())
        open(os.path.join(repo, "snapshots",
             hashlib.sha256(blob).hexdigest()), "wb").write(blob)

def times():
    """The sets: HOST RFC3339 PATH, each time unique within its set."""
    rnd = random.Random(4)
    berlin = ZoneInfo("Europe/Berlin")
    def ts(y, mo, d):
        return int(datetime.datetime(y, mo, d, tzinfo=datetime.timezone.utc).timestamp())
    def local_ok(e):
        # A local name must name one instant: no DST gap or overlap.
        s = time.strftime("%Y%m%d_%H%M%S", time.localtime(e))
        return time.mktime(time.strptime(s, "%Y%m%d_%H%M%S")) == e
    sets = [
        # many per hour and day around the spring DST change
        ("dense", ts(2024, 3, 20), ts(2024, 4, 6), 160, None),
        # years, ISO weeks across new year, months
        ("sparse", ts(2019, 12, 1), ts(2024, 1, 10), 140, None),
        # the autumn DST change, hours near midnight
        ("autumn", ts(2024, 10, 20), ts(2024, 11, 3), 120, None),
        # each backup with an offset of its own
        ("offsets", ts(2023, 12, 1), ts(2024, 2, 15), 140,
         [-34200, -10800, 0, 3600, 19800, 50400]),
        # a folder of dated names (bk-rotate --dir), local time
        ("dir", ts(2023, 11, 1), ts(2024, 4, 15), 120, None),
    ]
    for host, lo, hi, n, offsets in sets:
        seen = set()
        while len(seen) < n:
            e = rnd.randrange(lo, hi)
            if e in seen or (host == "dir" and not local_ok(e)):
                continue
            seen.add(e)
            if offsets:
                tz = datetime.timezone(datetime.timedelta(seconds=rnd.choice(offsets)))
            else:
                tz = berlin
            when = datetime.datetime.fromtimestamp(e, tz).isoformat()
            if host == "dir":
                path = "dir/erp_" + time.strftime("%Y%m%d_%H%M%S", time.localtime(e)) + ".sql.gz"
            else:
                path = "%s/%d.gz" % (host, e)
            print(host, when, path)

def manifest():
    for line in sys.stdin:
        host, when, path = line.split()
        if host != "dir":
            print(json.dumps({"path": path, "created": when, "type": host}))

def compare(rjson, bkout, mapping, strict):
    """Prints one line per set: ok, or what differs."""
    epoch = lambda s: int(datetime.datetime.fromisoformat(s).timestamp())
    where = {}
    oldest = {}
    for line in open(mapping):
        host, when, path = line.split()
        where[path] = (host, epoch(when))
        if host not in oldest or epoch(when) < oldest[host]:
            oldest[host] = epoch(when)
    restic = {}
    for g in json.load(open(rjson)):
        restic.setdefault(g["host"], set()).update(
            epoch(s["time"]) for s in g["keep"] or [])
    bk, why = {}, {}
    for line in open(bkout):
        m = re.match(r"^(keep|remove) (\S+) \((.*)\)$", line.rstrip("\n"))
        if not m:
            print("bad line:", line.rstrip()); continue
        host, e = where[m.group(2)]
        bk.setdefault(host, set())
        if m.group(1) == "keep":
            bk[host].add(e)
            why[(host, e)] = m.group(3)
    for host in sorted(bk):
        r, b = restic.get(host, set()), bk[host]
        extra, missing = b - r, r - b
        # restic < 0.16 does not keep the oldest while a count is left.
        if not strict and extra == {oldest[host]} and all(
                w.startswith("oldest ") for w in why[(host, oldest[host])].split(", ")):
            extra = set()
        if extra or missing:
            print(host, "differs: bk keeps", sorted(extra), "restic keeps", sorted(missing))
        else:
            print(host, "ok", len(r))

cmd = sys.argv[1]
if cmd == "seal": seal_repo(sys.argv[2])
elif cmd == "times": times()
elif cmd == "manifest": manifest()
else: compare(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] == "strict")
EOF

python3 fixture.py times >times || exit 1
is "the sets have their timestamps" "$(wc -l <times)" 680
python3 fixture.py manifest <times >manifest.jsonl
mkdir autumn dense dir offsets sparse && awk '{ print $3 }' times | xargs touch
# What lies beside the dumps in a real folder is no backup and must not
# shift restic's decision: a README, a list of sums, a link to the newest.
echo "nightly pg_dump of erp" >dir/README
(cd dir && sha256sum -- *.sql.gz >SHA256SUMS && ln -s "$(ls | grep sql.gz | tail -1)" latest.sql.gz)
run restic init -q
is "restic init" "$rc" 0
python3 fixture.py seal "$T/repo" <times
is "restic reads the snapshots written" \
    "$(restic snapshots --json -q | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 680

version=$(restic version | awk '{ print $2 }')
case $version in
0.1[0-5].*|0.[0-9].*) strict=lax; diag "restic $version: the oldest backup may differ" ;;
*) strict=strict ;;
esac

# policy: the same options for both tools.
check() {
	restic forget -q --dry-run --json "$@" >r.json 2>r.err ||
		{ fail "restic forget $*"; cat r.err; return; }
	{ bk-rotate -m manifest.jsonl "$@" && bk-rotate --dir dir "$@" |
	    sed 's/^\([a-z]*\) /\1 dir\//'; } >bk.out 2>bk.err ||
		{ fail "bk-rotate $*"; cat bk.err; return; }
	python3 fixture.py compare r.json bk.out times $strict >cmp
	for set in autumn dense dir offsets sparse; do
		like "$set: $*" cmp "^$set ok"
	done
}

check --keep-last 3 --keep-hourly 5 --keep-daily 7 --keep-weekly 4 \
    --keep-monthly 6 --keep-yearly 3
check --keep-hourly 40
check --keep-daily 10 --keep-weekly 8
check --keep-weekly 500
check --keep-monthly 4 --keep-yearly 20
check --keep-within 240h --keep-monthly 2
check --keep-within 1000h
check --keep-last 1 --keep-daily 2 --keep-yearly 1
done_testing
