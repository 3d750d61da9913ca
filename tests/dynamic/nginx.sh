#!/usr/bin/env bash
# nginx.sh BUILD: Debian's nginx (nginx-light), unmodified and dynamically
# linked, as the guest of a network namespace (tests/inet/lib.sh: under shoal
# on a TAP device, or natively with SHOAL_INET_TARGET=native), with
# `daemon off; master_process off;`: curl on the host side fetches a page
# and a 2 MB file (sha256 compared) and gets a 404 for a missing one.
TEST=nginx BUILD=$1
source "$(dirname "$0")/../inet/lib.sh"
NGINX=/usr/sbin/nginx
[ -x "$NGINX" ] || { echo "FAIL: $NGINX is required (Debian's nginx-light)"; exit 1; }
setup
# The site and its configuration, packed at their own path (--include): not
# below /tmp, which the guest mounts itself.
WORK=$(mktemp -d -p "$BUILD" nginx-site.XXXXXX)
trap 'cleanup; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/www"
echo "<h1>served by nginx</h1>" > "$WORK/www/index.html"
head -c 2000000 /dev/urandom > "$WORK/www/file.bin"
want=$(sha256sum < "$WORK/www/file.bin" | cut -d' ' -f1)
cat > "$WORK/nginx.conf" <<CONF
# One process in the foreground (the guest has one process); everything it
# writes (pid, temp files) goes to /tmp (-p /tmp/).
daemon off;
master_process off;
worker_processes 1;
pid /tmp/nginx.pid;
error_log stderr notice;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path /tmp/client_body;
  proxy_temp_path /tmp/proxy;
  fastcgi_temp_path /tmp/fastcgi;
  uwsgi_temp_path /tmp/uwsgi;
  scgi_temp_path /tmp/scgi;
  types { text/html html; application/octet-stream bin; }
  server {
    listen 8080;
    root $WORK/www;
  }
}
CONF
if [ "$TARGET" = shoal ]; then
  # Built here with the site packed; lib.sh's image() then finds it.
  # nginx looks its user up (getpwnam "nobody") even with master_process off.
  "$SHOAL" build "$NGINX" --net --include "$WORK" --include /etc/passwd --include /etc/group \
    -o "$TMP/nginx.shoal" > "$TMP/build-nginx.log" 2>&1 ||
    { cat "$TMP/build-nginx.log"; fail "shoal build $NGINX --net --include $WORK"; exit 1; }
fi
start_guest nginx 120 "$NGINX" -p /tmp/ -e stderr -c "$WORK/nginx.conf"
pid=$GUEST_PID
wait_until "$pid" 300 0.1 http_answers "http://$GUEST_IP:8080/" ||
  { fail "nginx did not answer on $GUEST_IP:8080"; exit 1; }
page=$(in_ns curl -s --max-time 10 "http://$GUEST_IP:8080/")
[ "$page" = "<h1>served by nginx</h1>" ] && pass "GET / -> index.html" || fail "GET /: '$page'"
got=$(in_ns curl -s --max-time 30 "http://$GUEST_IP:8080/file.bin" | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] && pass "GET /file.bin: 2000000 bytes, sha256 matches" || fail "GET /file.bin: sha256 $got"
code=$(in_ns curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://$GUEST_IP:8080/absent")
[ "$code" = 404 ] && pass "GET /absent -> 404" || fail "GET /absent: $code"
((FAILURES == 0)) && echo "PASS: nginx over the network ($TARGET)"
exit $((FAILURES > 0))
