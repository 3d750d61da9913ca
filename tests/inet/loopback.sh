#!/usr/bin/env bash
# loopback.sh BUILD: a program talking to itself over 127.0.0.1 while it has a
# network device (`shoal run --net`): the conformance cases of
# tests/compat/cases/loopback.c (UDP to its own port, TCP to its own listener)
# run as the guest, and their output must equal the same binary's run natively
# inside the test's namespace (Linux is the oracle). Without a device the same
# cases run as ctest compat.loopback.*.
TEST=loopback BUILD=$1
source "$(dirname "$0")/lib.sh"
PROG=$BUILD/compat/loopback
[ -x "$PROG" ] || { echo "FAIL: $PROG not built"; exit 1; }
setup
mkdir -p "$TMP/native-tmp"
for c in $("$PROG"); do
  in_ns timeout 20 "$PROG" "$c" - "$TMP/native-tmp" >"$TMP/$c.want" 2>/dev/null </dev/null
  run_guest "$c" 30 "$PROG" "$c" - /tmp </dev/null
  if cmp -s "$TMP/$c.want" "$TMP/$c.out"; then
    pass "$c: same output as Linux"
  else
    fail "$c differs (--- Linux, +++ guest):"
    diff -u "$TMP/$c.want" "$TMP/$c.out" | head -20
  fi
done
finish
