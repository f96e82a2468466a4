#!/usr/bin/env python3
# pty.py: runs a command with a new pseudo-terminal as its controlling
# terminal (what /dev/tty opens), for the tests of prompts and warnings.
#
#   python3 pty.py [-o] [-a ANSWER] [-k KEY | -s SIGNAL] [-e ECHOFILE]
#       TTYFILE CMD...
#
# Standard input, output and error stay as the caller gave them, except
# that -o puts standard output on the terminal.  -a answers every prompt
# (text ending in ": ") with ANSWER and a newline.  At the first prompt,
# -k types KEY on the terminal (a byte: "^C" is 0x03, which the terminal
# turns into SIGINT for the command) and -s sends SIGNAL (TERM, HUP...) to
# the command.  When the command has ended, TTYFILE holds what the
# terminal received, and ECHOFILE (with -e) "echo" or "noecho": whether
# the terminal was left echoing.  Exits with the command's status, or 128
# plus the signal that ended it.
import getopt
import os
import select
import signal
import subprocess
import sys
import termios
import fcntl

opts, args = getopt.getopt(sys.argv[1:], "oa:k:s:e:")
opts = dict(opts)
if len(args) < 2:
    sys.exit("usage: pty.py [-o] [-a ANSWER] [-k KEY | -s SIGNAL] "
             "[-e ECHOFILE] TTYFILE CMD...")
ttyfile, cmd = args[0], args[1:]
key = opts.get("-k")
if key is not None and key.startswith("^"):
    key = bytes([ord(key[1].upper()) - 64])
elif key is not None:
    key = key.encode()
sig = opts.get("-s")
if sig is not None:
    sig = getattr(signal, "SIG" + sig)

master, slave = os.openpty()


def child():
    # A session of its own, whose controlling terminal is the new one.
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)


def read_some(timeout):
    """What the terminal has for us within timeout seconds: bytes, b""
    when nothing came, None when every holder of the terminal has gone."""
    r, _, _ = select.select([master], [], [], timeout)
    if not r:
        return b""
    try:
        return os.read(master, 65536) or None
    except OSError:     # EIO: the terminal is closed on the other side
        return None


p = subprocess.Popen(cmd, preexec_fn=child, pass_fds=(slave,),
                     stdout=slave if "-o" in opts else None)
# The slave stays open here, so that its settings outlive the command.
seen = b""
acted = False
answered = 0
while True:
    d = read_some(0.2)
    if d is None or (not d and p.poll() is not None):
        break
    seen += d
    if not d or not seen.endswith(b": "):
        continue
    if "-a" in opts and seen.count(b": ") > answered:
        answered = seen.count(b": ")
        os.write(master, opts["-a"].encode() + b"\n")
    elif not acted and key is not None:
        acted = True
        os.write(master, key)
    elif not acted and sig is not None:
        acted = True
        p.send_signal(sig)
rc = p.wait()
# What the command wrote last, after its exit, is still to be read.
while True:
    d = read_some(0)
    if not d:
        break
    seen += d
with open(ttyfile, "wb") as f:
    f.write(seen)
if "-e" in opts:
    lflag = termios.tcgetattr(slave)[3]
    with open(opts["-e"], "w") as f:
        f.write("echo\n" if lflag & termios.ECHO else "noecho\n")
sys.exit(rc if rc >= 0 else 128 - rc)
