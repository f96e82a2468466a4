#!/usr/bin/env python3
# pty.py: the tests' one pseudo-terminal driver.  It runs a command in a
# session of its own whose controlling terminal (what /dev/tty opens) is a
# new pseudo-terminal, for the tests of prompts, meters and warnings.
#
#   python3 pty.py [-o] [-E] [-a ANSWER]... [-k KEY | -s SIGNAL]
#       [-e ECHOFILE] TTYFILE CMD...
#
# Standard input, output and error stay as the caller gave them, except
# that -o puts standard output and -E standard error on the terminal.
#
# A prompt is what the terminal shows ending in ": " (bk's questions and
# passphrase prompts, age's too).  Each prompt gets the next -a ANSWER,
# typed with a newline, in the order given; answers left over are not
# typed.  At the first prompt after the answers, -k types KEY on the
# terminal (one byte: "^C" is 0x03, which the terminal turns into SIGINT
# for the command) or -s sends SIGNAL (TERM, HUP...) to the command.
# Further prompts get nothing.
#
# When the command has ended, TTYFILE holds every byte the terminal
# received (through the terminal's output processing: a line ends in
# "\r\n"), and ECHOFILE (with -e) "echo" or "noecho": whether the command
# left the terminal echoing.
#
# The exit status is the command's, or 128 plus the number of the signal
# that ended it, as the shell reports it ($?).  A command that writes
# nothing on the terminal and does not end for GUARD seconds (300) is
# killed, with its process group: a hang guard, not a timing check; the
# status is then 137 and TTYFILE ends with a line saying so.
import fcntl
import getopt
import os
import select
import signal
import subprocess
import sys
import termios

GUARD = 300

try:
    opts, args = getopt.getopt(sys.argv[1:], "oEa:k:s:e:")
except getopt.GetoptError as e:
    sys.exit("pty.py: %s" % e)
if len(args) < 2 or sum(o in ("-k", "-s") for o, _ in opts) > 1:
    sys.exit("usage: pty.py [-o] [-E] [-a ANSWER]... [-k KEY | -s SIGNAL] "
             "[-e ECHOFILE] TTYFILE CMD...")
answers = [v.encode() + b"\n" for o, v in opts if o == "-a"]
flags = dict(opts)
ttyfile, cmd = args[0], args[1:]
key = flags.get("-k")
if key is not None:
    key = bytes([ord(key[1].upper()) - 64]) if key.startswith("^") \
        else key.encode()
sig = flags.get("-s")
if sig is not None:
    sig = getattr(signal, "SIG" + sig)

master, slave = os.openpty()


def child():
    # A session of its own, whose controlling terminal is the new one.
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)


p = subprocess.Popen(cmd, preexec_fn=child,
                     stdout=slave if "-o" in flags else None,
                     stderr=slave if "-E" in flags else None)
# The end of the command, as a descriptor select() can wait on.
try:
    ended = [os.pidfd_open(p.pid)]
except (AttributeError, OSError):
    ended = []

seen = b""
prompted = 0            # the length of seen at the last prompt handled
acted = False
silent = 0.0
# While the command runs, this process holds the terminal open too: a
# command that opens /dev/tty later must find it there.
while p.poll() is None:
    tick = 0.1 if not ended else GUARD
    r, _, _ = select.select([master] + ended, [], [], tick)
    if master not in r:
        silent = silent + tick if not r else 0.0
        if silent >= GUARD:
            os.killpg(p.pid, signal.SIGKILL)
            seen += b"\r\npty.py: no output for %d s: killed\r\n" % GUARD
            break
        continue
    silent = 0.0
    seen += os.read(master, 65536)
    if not seen.endswith(b": ") or len(seen) == prompted:
        continue
    prompted = len(seen)
    if answers:
        os.write(master, answers.pop(0))
    elif not acted and key is not None:
        acted = True
        os.write(master, key)
    elif not acted and sig is not None:
        acted = True
        p.send_signal(sig)
rc = p.wait()
if "-e" in flags:
    lflag = termios.tcgetattr(slave)[3]
    with open(flags["-e"], "w") as f:
        f.write("echo\n" if lflag & termios.ECHO else "noecho\n")
# Now that nobody else holds the terminal, reading it until EIO gets what
# the command wrote last: the kernel hands it all over before the EIO.
os.close(slave)
while True:
    r, _, _ = select.select([master], [], [], GUARD)
    if not r:
        break
    try:
        d = os.read(master, 65536)
    except OSError:     # EIO: the terminal is closed on the other side
        break
    if not d:
        break
    seen += d
with open(ttyfile, "wb") as f:
    f.write(seen)
sys.exit(rc if rc >= 0 else 128 - rc)
