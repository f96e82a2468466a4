#!/usr/bin/env python3
"""jsonl.py: the manifest invariants of faults/lib.sh, read by a JSON
parser that is not bk's own (one process: jq is slow to start).

    jsonl.py BEFORE AFTER TREE MODE PATHS [LOG]
    jsonl.py --repair MANIFEST TREE

Prints one violation a line, "id: text": torn (the last line of AFTER or
LOG has no newline), parse (a line that is not a JSON object), lost (a
line of BEFORE missing from AFTER, compared without "verified").  In MODE
delete a line may go: with its file, or leaving it ("unlisted: PATH",
not a violation: the file must then be reported by bk-verify's scan).
Writes the paths AFTER lists to PATHS, one a line.  --repair keeps the
lines of MANIFEST that parse and whose file exists.
"""
import collections
import json
import os
import sys


def lines(path):
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except FileNotFoundError:
        return None, b''
    return data.split(b'\n'), data


def parse(raw):
    """The object of one line, or None."""
    try:
        o = json.loads(raw.decode('utf-8'))
    except (UnicodeDecodeError, ValueError):
        return None
    return o if isinstance(o, dict) else None


def check(path, name, out):
    ls, data = lines(path)
    if ls is None or not data:
        return []
    if not data.endswith(b'\n'):
        out.append('torn: %s: the last line has no newline: ...%r'
                   % (name, data[-40:]))
    objs = []
    bad = 0
    for raw in ls[:-1] if data.endswith(b'\n') else ls:
        if not raw.strip():
            continue
        o = parse(raw)
        if o is None:
            bad += 1
        objs.append((raw, o))
    if bad:
        out.append('parse: %s: %d line(s) not a JSON object' % (name, bad))
    return objs


def norm(raw, o):
    if o is None:
        return 'BAD ' + raw.decode('utf-8', 'replace')
    o = dict(o)
    o.pop('verified', None)
    return json.dumps(o, sort_keys=True, ensure_ascii=False)


def repair(manifest, tree):
    """What an operator does after a known defect: keeps the lines that
    parse and whose file exists, in their order."""
    ls, data = lines(manifest)
    keep = []
    for raw in ls:
        o = parse(raw)
        if o is not None and isinstance(o.get('path'), str) and \
                os.path.lexists(os.path.join(tree, o['path'])):
            keep.append(raw + b'\n')
    with open(manifest, 'wb') as f:
        f.write(b''.join(keep))


def main():
    if sys.argv[1] == '--repair':
        repair(sys.argv[2], sys.argv[3])
        return
    before, after, tree, mode, paths = sys.argv[1:6]
    log = sys.argv[6] if len(sys.argv) > 6 else None
    out = []
    old = check(before, 'before', [])
    new = check(after, 'manifest.jsonl', out)
    if log:
        check(log, 'restore.log', out)
    have = collections.Counter(norm(r, o) for r, o in new)
    for r, o in old:
        k = norm(r, o)
        if have[k] > 0:
            have[k] -= 1
            continue
        p = o.get('path') if o is not None else None
        if mode == 'delete' and isinstance(p, str):
            # Gone with its file; or its file is left, without a line.
            if os.path.lexists(os.path.join(tree, p)):
                out.append('unlisted: %s' % p)
            continue
        out.append('lost: %s' % k[:120])
    with open(paths, 'w') as f:
        for r, o in new:
            if o is not None and isinstance(o.get('path'), str):
                f.write(o['path'] + '\n')
    for v in out:
        print(v)


main()
