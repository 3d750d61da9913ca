#!/usr/bin/env bash
# peers.sh BUILD: clients that reset (SO_LINGER 0) before, during and after a
# request and in the middle of a large response; clients that vanish after
# the handshake (crafted with raw frames, then silence); a client that
# half-closes. The guest's httpd keeps serving curl after each.
TEST=peers BUILD=$1
source "$(dirname "$0")/lib.sh"
setup
start_httpd
cat >"$TMP/peers.py" <<'PY'
import socket, struct, sys, time
host, port, what, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
def conn():
    s = socket.create_connection((host, port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return s
for i in range(n):
    s = conn()
    if what == "reset-idle":
        pass
    elif what == "reset-mid-request":
        s.sendall(b"GET /bytes/1000 HTTP/1.1\r\nHost: x\r\nX-Half:")
    elif what == "reset-mid-response":
        s.sendall(b"GET /bytes/20000000 HTTP/1.1\r\nHost: x\r\n\r\n")
        got = 0
        while got < 200000:
            b = s.recv(65536)
            if not b:
                sys.exit("server closed early")
            got += len(b)
    elif what == "half-close":
        s.sendall(b"GET /bytes/100000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200") or len(body) != 100000:
            sys.exit("half-close: %r, %d body bytes" % (head[:40], len(body)))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 0, 0))
    s.close()
    time.sleep(0.01)
print("ok", what, n)
PY
want=$(expected_sha 1000000)
for what in reset-idle reset-mid-request reset-mid-response half-close; do
  if out=$(in_ns timeout 60 python3 "$TMP/peers.py" "$GUEST_IP" 8080 "$what" 20 2>&1); then
    pass "20 clients: $what"
  else
    fail "$what: $out"
  fi
  check_curl_sha "curl after $what" "http://$GUEST_IP:8080/bytes/1000000" "$want"
done
if out=$(in_ns timeout 60 "$INJECT" sh0 "$GUEST_IP" 8080 halfopen 20 2>&1); then
  pass "20 clients vanish after the handshake: $out"
else
  fail "vanishing clients: $out"
fi
check_hello "GET / after the vanished clients"
check_curl_sha "curl after the vanished clients" "http://$GUEST_IP:8080/bytes/1000000" "$want"
finish
