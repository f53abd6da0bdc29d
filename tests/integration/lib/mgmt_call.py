#!/usr/bin/env python3
"""Send request lines to a tg-controld management socket; print each response line.

usage: mgmt_call.py SOCKET LINE...   (a LINE that is not JSON is sent as is)
Exit 0 if every response arrived (whatever it says), 3 if the daemon closed
or did not answer within 5 s.
"""
import socket
import sys

sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.settimeout(5)
try:
    sock.connect(sys.argv[1])
except OSError as e:
    print(f"connect: {e}", file=sys.stderr)
    sys.exit(3)
f = sock.makefile("rw", encoding="utf-8", newline="\n")
for line in sys.argv[2:]:
    try:
        try:
            f.write(line + "\n")
            f.flush()
        except BrokenPipeError:
            pass  # refused on connect: the daemon's reason is still readable
        resp = f.readline()
    except OSError as e:
        print(f"io: {e}", file=sys.stderr)
        sys.exit(3)
    if not resp:
        print("closed", file=sys.stderr)
        sys.exit(3)
    print(resp.rstrip("\n"))
