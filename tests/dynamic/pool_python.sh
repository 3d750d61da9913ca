#!/usr/bin/env bash
# Debian's python3 (`python3 -m http.server`, unmodified) as a service of a
# pool: shoald starts it behind the gateway, which reaches it over the
# shared-memory channel (its listen/accept are channel sockets inside the
# guest); curl through the gateway gets a page and a 1 MB file, compared
# with the files served.
#   pool_python.sh BUILD
set -uo pipefail
build=$1
POOL_TEST_NAME=pool-python
source "$(dirname "$0")/../shop/pool_lib.sh"
# The site is packed at its own path: not below /tmp (the guest mounts its own).
site=$(mktemp -d -p "$build" pysite.XXXXXX)
POOL_EXTRA_CLEANUP=rm_site
rm_site() { rm -rf "$site"; }
echo "<h1>python3 in a pool</h1>" > "$site/index.html"
head -c 1000000 /dev/urandom > "$site/blob.bin"
"$shoal" build /usr/bin/python3 --include /usr/lib/python3.11 --include "$site" -o "$tmp/py.shoal" > "$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log"; echo "FAIL: shoal build python3"; exit 1; }
gw=$(free_port) admin=$(free_port)
cat > "$tmp/pool.toml" <<TOML
[gateway]
listen = "127.0.0.1:$gw"
admin = "127.0.0.1:$admin"
request_timeout = "20s"

[services.web]
image = "py.shoal"
port = 8000
memory = "256M"
min_instances = 1
max_instances = 1
initial = 1
args = ["-m", "http.server", "8000", "--directory", "$site"]
health = { path = "/", interval = "2s", timeout = "2s", rise = 1, fall = 5 }

[[routes]]
path = "/"
service = "web"
TOML
up "$tmp/pool.toml"
page=$(curl -s --max-time 20 "http://127.0.0.1:$gw/index.html")
[ "$page" = "<h1>python3 in a pool</h1>" ] && pass "GET /index.html through the gateway" || fail "GET /index.html: '$page'"
want=$(sha256sum < "$site/blob.bin" | cut -d' ' -f1)
got=$(curl -s --max-time 30 "http://127.0.0.1:$gw/blob.bin" | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] && pass "GET /blob.bin: 1000000 bytes, sha256 matches" || fail "GET /blob.bin: sha256 $got"
code=$(curl -s --max-time 20 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$gw/absent")
[ "$code" = 404 ] && pass "GET /absent -> 404 from http.server" || fail "GET /absent: $code"
down
((FAILURES == 0)) && echo "PASS: python3 -m http.server as a pool service"
exit $((FAILURES > 0))
