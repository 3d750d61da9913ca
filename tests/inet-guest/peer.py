#!/usr/bin/env python3
"""The host-side peer of programs/sockapi.c (run inside the test's network
namespace, bounded by the script's timeout).

  peer.py HOST_IP GUEST_IP SECONDS

Serves on HOST_IP: 7001 TCP echo, 7002 TCP 100000 bytes then close, 7003 TCP
reset at once, 7004 UDP echo. Connects to GUEST_IP:8001 twice: "ping"/"pong",
then 50000 bytes and a half close, expecting "got 50000". Prints one line per
session outcome; exits when the sessions are done or the time is up."""
import socket
import struct
import sys
import threading
import time

host, guest, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
deadline = time.monotonic() + limit


def fill(n, seed):
    return bytes(ord("a") + (i * 7 + seed) % 26 for i in range(n))


def listener(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(16)
    return s


def serve(port, handle):
    s = listener(port)

    def loop():
        while True:
            c, _ = s.accept()
            threading.Thread(target=handle, args=(c,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()


def echo(c):
    with c:
        while True:
            d = c.recv(65536)
            if not d:
                break
            c.sendall(d)


def blob(c):
    with c:
        c.sendall(fill(100000, 1))


def reset(c):
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    time.sleep(0.05)
    c.close()


def udp_echo():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((host, 7004))
    while True:
        d, a = u.recvfrom(65536)
        u.sendto(d, a)


def connect_guest():
    while time.monotonic() < deadline:
        try:
            return socket.create_connection((guest, 8001), timeout=1)
        except OSError:
            time.sleep(0.05)
    raise TimeoutError("guest never listened on 8001")


def recv_all(c):
    out = b""
    while True:
        d = c.recv(65536)
        if not d:
            return out
        out += d


serve(7001, echo)
serve(7002, blob)
serve(7003, reset)
threading.Thread(target=udp_echo, daemon=True).start()
print("peer: serving", flush=True)
try:
    c = connect_guest()
    c.settimeout(30)
    c.sendall(b"ping")
    print("peer: session 1", c.recv(4).decode(), flush=True)
    c.close()
    time.sleep(0.5)
    c = connect_guest()
    c.settimeout(30)
    c.sendall(fill(50000, 2))
    c.shutdown(socket.SHUT_WR)
    print("peer: session 2", recv_all(c).decode(), flush=True)
    c.close()
except Exception as e:  # noqa: BLE001 - the script reports whatever failed
    print("peer: failed", e, flush=True)
time.sleep(max(0.0, min(2.0, deadline - time.monotonic())))
