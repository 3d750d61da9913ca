#!/bin/busybox sh
# Run by tests/dynamic exec_script: a #! script whose interpreter is busybox.
echo script $0 $1
