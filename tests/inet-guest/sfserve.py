#!/usr/bin/env python3
"""The host-side client of programs/sfserve.c (run inside the test's network
namespace, bounded by the script's timeout).

  sfserve.py GUEST_IP PORT SIZE

One connection per command (whole, range, modify, nonblock, quit); each
reply is compared with the bytes the file held when sendfile was called.
For `modify` the client waits before reading, so the server overwrites and
truncates the file while most of the reply still waits in its send queue.
Prints one line per command: "sfclient: CMD ok N bytes" or what differed."""
import socket
import sys
import time

guest, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
pattern = bytes(((i * 131 + (i >> 9)) & 0xFF) for i in range(size))


def fetch(cmd, delay=0.0):
    for _ in range(100):  # the guest may not listen yet
        try:
            s = socket.create_connection((guest, port), timeout=30)
            break
        except OSError:
            time.sleep(0.1)
    else:
        return None
    s.sendall(cmd.encode() + b"\n")
    if delay:
        time.sleep(delay)
    parts = []
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        parts.append(b)
    s.close()
    return b"".join(parts)


def check(cmd, want, delay=0.0):
    got = fetch(cmd, delay)
    if got is None:
        print(f"sfclient: {cmd} no connection", flush=True)
    elif got == want:
        print(f"sfclient: {cmd} ok {len(got)} bytes", flush=True)
    else:
        first = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]), min(len(got), len(want)))
        print(f"sfclient: {cmd} differs: {len(got)} bytes, expected {len(want)}, first difference at {first}", flush=True)


check("whole", pattern)
check("range 1000 300000", pattern[1000:301000])
check(f"range {size - 100} 5000", pattern[size - 100:])
check(f"range {size + 10} 5000", b"")
check("nonblock", pattern)
check("modify", pattern, delay=0.5)
check("whole", pattern)
fetch("quit")
print("sfclient: done", flush=True)
