#!/usr/bin/env bash
# Python's subprocess in an instance: there is no fork/exec (DESIGN.md
# decision 12 is not built), so it must fail with a clear error the program
# sees, ENOSYS as an OSError, not a hang or a crash of the instance.
#   python_subprocess.sh SHOAL
set -uo pipefail
shoal=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$shoal" build /usr/bin/python3 --include /usr/lib/python3.11 -o "$tmp/py.shoal" > "$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log"; echo "FAIL: build"; exit 1; }
out=$("$shoal" run "$tmp/py.shoal" --timeout 60 -- -c '
import subprocess
try:
    subprocess.run(["/bin/true"])
    print("ran")
except OSError as e:
    print("OSError", e.errno, e.strerror)
' 2>&1); rc=$?
if [ $rc = 0 ] && [ "$out" = "OSError 38 Function not implemented" ]; then echo "PASS: $out"; exit 0; fi
echo "FAIL: status $rc: $out"; exit 1
