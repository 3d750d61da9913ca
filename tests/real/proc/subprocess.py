# Python's subprocess and os.system running busybox applets packed in the image.
import os
import subprocess
import sys

r = subprocess.run(["echo", "hello", "from", "echo"], capture_output=True)
print("run:", r.returncode, r.stdout, r.stderr)
r = subprocess.run(["sh", "-c", "echo out; echo err >&2; exit 3"], capture_output=True)
print("exit 3:", r.returncode, r.stdout, r.stderr)
r = subprocess.run(["tr", "a-z", "A-Z"], input=b"from stdin\n", capture_output=True)
print("input:", r.returncode, r.stdout)
print("check_output:", subprocess.check_output("seq 1 20 | sort -rn | head -n 2", shell=True, text=True).split())
try:
    subprocess.run(["false"], check=True)
except subprocess.CalledProcessError as e:
    print("CalledProcessError:", e.returncode)
r = subprocess.run(["sh", "-c", "kill -TERM $$"])
print("signalled:", r.returncode)
try:
    subprocess.run(["no-such-command-here"])
except OSError as e:
    print("missing:", type(e).__name__, e.errno)
p = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
out, _ = p.communicate(b"through a Popen pipe\n")
print("Popen:", p.returncode, out)
sys.stdout.flush()
status = os.system("echo from os.system; exit 5")
print("os.system:", status, os.waitstatus_to_exitcode(status))
sys.stdout.flush()
print("done")
sys.exit(6)
