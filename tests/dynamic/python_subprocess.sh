#!/usr/bin/env bash
# Python's subprocess in an instance (issue 14): the child is a fork of the
# VM that execs a program packed in the image (--add). The same script runs
# natively; outputs and statuses must be equal. A program the image lacks
# is an OSError ENOENT, as for a missing file on Linux.
#   python_subprocess.sh SHOAL
set -uo pipefail
shoal=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$shoal" build /usr/bin/python3 --include /usr/lib/python3.11 --add /bin/true --add /bin/false --add /bin/echo \
  -o "$tmp/py.shoal" > "$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log"; echo "FAIL: build"; exit 1; }
script='
import subprocess
print("true", subprocess.run(["/bin/true"]).returncode)
print("false", subprocess.run(["/bin/false"]).returncode)
r = subprocess.run(["/bin/echo", "hi", "there"], capture_output=True)
print("echo", r.returncode, repr(r.stdout))
try:
    subprocess.run(["/nonexistent/prog"])
    print("ran")
except OSError as e:
    print("OSError", e.errno)
'
want=$(python3 -c "$script" 2>&1); wrc=$?
out=$("$shoal" run "$tmp/py.shoal" --timeout 60 -- -c "$script" 2>&1); rc=$?
if [ $rc = $wrc ] && [ "$out" = "$want" ]; then echo "PASS: $(echo $out)"; exit 0; fi
echo "FAIL: status $rc (native $wrc)"; echo "--- shoal:"; echo "$out"; echo "--- native:"; echo "$want"; exit 1
