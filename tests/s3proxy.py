#!/usr/bin/python3
"""s3proxy.py: a proxy in front of the test radosgw that breaks requests
on purpose, for bk-s3's fault tests (tests/1103-s3-faults.t).

    s3proxy.py DIR [--tls CERT KEY] [--upstream URL]

Listens on 127.0.0.1 on a free port (with TLS when --tls gives a
certificate and its key), writes the port to DIR/port once it listens,
and forwards every request to URL ($AWS_ENDPOINT_URL by default) as it
came, signed headers and all, with one connection to the store per client
connection.  Standard library only.

DIR/rules, read again at each request (none: forward everything), holds
one rule a line, "ACTION [NAME=VALUE ...]", '#' for comments:

    drop        close the connection without forwarding the request
    lose        forward it, then close without a byte of the answer
    error       answer status=N (503) with an S3 <Error> of code=CODE
                (SlowDown) without forwarding
    corrupt     forward a request body with one byte changed (the store
                then answers BadDigest); or, for a request without a body,
                change one byte of the answer's body
    cut         forward, send the answer's head and the first half of its
                body, then close
    stall       forward, send the answer's head and the first half of its
                body (or nothing when it has none), then nothing more
                until the client goes
    hold        wait until DIR/release exists, then forward
    slow        read the request body at rate=N bytes a second, then forward

and which requests it takes: method=M, match=TEXT (in the request target:
path and query), every=N (each Nth of those it matches; 1 by default),
nth=N (the Nth only), times=N (at most N times).  Each rule counts the
requests it matches, whether or not another rule took them, from zero
when the file changes; the first rule that fires acts.

DIR/log gets a line per request before the client sees its outcome,
"METHOD TARGET STATUS ACTION": the status the client gets ("-" for none)
and the action taken ("-" for none; "lose:200" says what was lost).
Lines that begin with '#' say other things: a request held or read
slowly, as it begins; a TLS handshake that failed.

The proxy exits when its parent process is gone, so that it never
outlives the test that started it: start it from that process itself
(cmd &), not from a subshell that ends at once.
"""
import http.client
import os
import select
import socket
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

HOP = ('connection', 'keep-alive', 'proxy-connection', 'transfer-encoding',
       'expect', 'te', 'upgrade')


class Proxy:
    def __init__(self, folder, upstream):
        self.dir = folder
        self.up = urllib.parse.urlsplit(upstream)
        self.lock = threading.Lock()
        self.counts = {}
        self.gen = None

    def rules(self):
        try:
            with open(os.path.join(self.dir, 'rules')) as f:
                st = os.fstat(f.fileno())
                lines = f.read().splitlines()
        except FileNotFoundError:
            return []
        # New rules (a new file or new words) count from zero.
        gen = (st.st_ino, st.st_mtime_ns, st.st_size)
        if gen != self.gen:
            self.gen = gen
            self.counts = {}
        out = []
        for i, line in enumerate(lines):
            words = line.split('#', 1)[0].split()
            if words:
                opts = dict(w.split('=', 1) for w in words[1:])
                out.append(((i, line), words[0], opts))
        return out

    def choose(self, method, target):
        chosen = None
        with self.lock:
            for key, action, o in self.rules():
                if o.get('method', method) != method or \
                        o.get('match', '') not in target:
                    continue
                st = self.counts.setdefault(key, [0, 0])
                st[0] += 1
                if 'nth' in o:
                    fire = st[0] == int(o['nth'])
                else:
                    fire = st[0] % int(o.get('every', '1')) == 0
                if fire and st[1] >= int(o.get('times', '1000000000')):
                    fire = False
                if fire and chosen is None:
                    st[1] += 1
                    chosen = (action, o)
        return chosen or ('-', {})

    def log(self, line):
        with self.lock:
            with open(os.path.join(self.dir, 'log'), 'a') as f:
                f.write(line + '\n')

    def connect(self):
        return http.client.HTTPConnection(self.up.hostname, self.up.port,
                                          timeout=300)


def s3_error(status, code):
    body = ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code>'
            '<Message>injected by s3proxy</Message><RequestId>s3proxy'
            '</RequestId></Error>' % code).encode()
    head = ('HTTP/1.1 %d Injected\r\nContent-Type: application/xml\r\n'
            'Content-Length: %d\r\n\r\n' % (status, len(body))).encode()
    return head + body


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        p = self.server.proxy
        sock = self.request
        if self.server.tls is not None:
            try:
                sock = self.server.tls.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError) as e:
                p.log('# tls handshake failed: %s' % e)
                return
        self.sock = sock
        self.rfile = sock.makefile('rb')
        self.upstream = None
        try:
            while self.one():
                pass
        except (OSError, http.client.HTTPException, ValueError):
            pass
        finally:
            if self.upstream is not None:
                self.upstream.close()
            try:
                sock.close()
            except OSError:
                pass

    def read_body(self, n, rate):
        body = bytearray()
        while len(body) < n:
            step = n - len(body)
            if rate:
                step = min(step, max(1, rate // 10))
            chunk = self.rfile.read(step)
            if not chunk:
                raise ValueError('the client went away')
            body += chunk
            if rate:
                time.sleep(0.1)
        return bytes(body)

    def forward(self, method, target, headers, body):
        """Sends the request on; returns status, reason, headers, body."""
        for attempt in (1, 2):
            if self.upstream is None:
                self.upstream = self.server.proxy.connect()
            up = self.upstream
            try:
                up.putrequest(method, target, skip_host=True,
                              skip_accept_encoding=True)
                for name, value in headers:
                    if name.lower() not in HOP:
                        up.putheader(name, value)
                up.endheaders(body if body else None)
                r = up.getresponse()
                data = r.read()
                return r.status, r.reason, r.getheaders(), data
            except (OSError, http.client.HTTPException):
                # The store closed a kept connection: once more, anew.
                up.close()
                self.upstream = None
                if attempt == 2:
                    raise

    def one(self):
        p = self.server.proxy
        line = self.rfile.readline(65537)
        if not line:
            return False
        method, target, _ = line.decode('latin-1').rstrip('\r\n').split(' ', 2)
        headers = []
        while True:
            h = self.rfile.readline(65537)
            if h in (b'\r\n', b'\n', b''):
                break
            name, _, value = h.decode('latin-1').partition(':')
            headers.append((name.strip(), value.strip()))
        hv = {n.lower(): v for n, v in headers}
        action, o = p.choose(method, target)
        n = int(hv.get('content-length', '0'))
        if n > 0 and hv.get('expect', '').lower() == '100-continue':
            self.sock.sendall(b'HTTP/1.1 100 Continue\r\n\r\n')
        if action == 'slow':
            p.log('# slow %s %s' % (method, target))
        body = self.read_body(n, int(o['rate']) if action == 'slow' else 0)

        # Logged before the client can see the outcome: a test that
        # reads the log once bk-s3 is done finds every line there.
        def done(status, what=None):
            p.log('%s %s %s %s' % (method, target, status, what or action))

        if action == 'drop':
            done('-')
            return False
        if action == 'error':
            status = int(o.get('status', '503'))
            done(status)
            self.sock.sendall(s3_error(status, o.get('code', 'SlowDown')))
            return True
        if action == 'hold':
            p.log('# holding %s %s' % (method, target))
            while not os.path.exists(os.path.join(p.dir, 'release')):
                time.sleep(0.05)
        if action == 'corrupt' and body:
            body = bytearray(body)
            body[len(body) // 2] ^= 0x01
            body = bytes(body)
        status, reason, rh, data = self.forward(method, target, headers, body)
        if action == 'lose':
            done('-', 'lose:%d' % status)
            return False
        if action == 'corrupt' and n == 0 and data:
            data = bytearray(data)
            data[len(data) // 2] ^= 0x01
            data = bytes(data)
        head = ['HTTP/1.1 %d %s\r\n' % (status, reason)]
        has_length = False
        for name, value in rh:
            if name.lower() in HOP:
                continue
            if name.lower() == 'content-length':
                has_length = True
            head.append('%s: %s\r\n' % (name, value))
        if not has_length and method != 'HEAD' and status not in (204, 304):
            head.append('Content-Length: %d\r\n' % len(data))
        head = ''.join(head).encode('latin-1') + b'\r\n'
        if action in ('cut', 'stall'):
            done('-')
            if data:
                self.sock.sendall(head + data[:len(data) // 2])
            if action == 'stall':
                # Nothing more until the client gives up and goes.
                while True:
                    r, _, _ = select.select([self.sock], [], [], 1)
                    if r and not self.sock.recv(65536):
                        break
            return False
        done(status)
        self.sock.sendall(head + data)
        return hv.get('connection', '').lower() != 'close'


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit('usage: s3proxy.py DIR [--tls CERT KEY] [--upstream URL]')
    folder, upstream, tls = args.pop(0), os.environ.get('AWS_ENDPOINT_URL'), None
    while args:
        a = args.pop(0)
        if a == '--tls':
            tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls.load_cert_chain(args.pop(0), args.pop(0))
        elif a == '--upstream':
            upstream = args.pop(0)
        else:
            sys.exit('s3proxy.py: unknown argument %s' % a)
    if not upstream:
        sys.exit('s3proxy.py: no upstream (AWS_ENDPOINT_URL)')
    # Started by a shell that waits for it (not a subshell gone at once:
    # an orphan from the start would never see its parent go).
    parent = os.getppid()
    if parent == 1:
        sys.exit('s3proxy.py: started without a parent to outlive')

    server = Server(('127.0.0.1', 0), Handler)
    server.proxy = Proxy(folder, upstream)
    server.tls = tls
    tmp = os.path.join(folder, 'port.tmp')
    with open(tmp, 'w') as f:
        f.write('%d\n' % server.server_address[1])
    os.rename(tmp, os.path.join(folder, 'port'))

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)
    threading.Thread(target=watch, daemon=True).start()
    server.serve_forever()


if __name__ == '__main__':
    main()
