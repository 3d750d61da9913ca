#!/usr/bin/env python3
"""Opens COUNT TCP connections to 127.0.0.1:PORT and holds them until stdin
closes (or SIGTERM): the idle keep-alive clients of tests/shop/pool_limits.sh.

  hold_connections.py PORT COUNT [--partial]

--partial sends the start of a request head on each (never finished), so the
gateway sees busy connections rather than idle ones. Prints "held N" once N
connections are established (N < COUNT only if connect failed). Raises its own
RLIMIT_NOFILE to the hard limit first.
"""
import errno
import resource
import select
import signal
import socket
import sys


def main():
    port, count = int(sys.argv[1]), int(sys.argv[2])
    partial = "--partial" in sys.argv[3:]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    socks = []
    pending = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        rc = s.connect_ex(("127.0.0.1", port))
        if rc not in (0, errno.EINPROGRESS):
            s.close()
            continue
        pending.append(s)
        # Let handshakes complete in batches: the listener's backlog is finite.
        if len(pending) >= 256:
            socks += finish(pending, partial)
            pending = []
    socks += finish(pending, partial)
    print("held %d" % len(socks), flush=True)
    sys.stdin.read()  # until the test closes our stdin or kills us


def finish(pending, partial):
    done = []
    by_fd = {s.fileno(): s for s in pending}
    poller = select.poll()  # select() stops at descriptor 1024
    for fd in by_fd:
        poller.register(fd, select.POLLOUT)
    rounds = 100
    while by_fd and rounds > 0:
        rounds -= 1
        for fd, _ in poller.poll(100):
            s = by_fd.pop(fd)
            poller.unregister(fd)
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                s.close()
                continue
            if partial:
                try:
                    s.send(b"GET / HTTP/1.1\r\nHost: held\r\n")
                except OSError:
                    pass
            done.append(s)
    # A connection still in progress is in the listener's backlog (not yet
    # accepted): it is held all the same.
    return done + list(by_fd.values())


if __name__ == "__main__":
    main()
