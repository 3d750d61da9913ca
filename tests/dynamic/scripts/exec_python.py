# Run by tests/dynamic exec_python_*: os.execve into another program packed
# in the image (shoal build --add), given as argv[1:].
import os
import sys

print("before", flush=True)
os.execve(sys.argv[1], sys.argv[1:], {"FOO": "bar"})
