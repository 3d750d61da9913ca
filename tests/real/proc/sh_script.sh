# busybox sh: run as `sh -c "$(cat sh_script.sh)"` under shoal and natively,
# with the same busybox applets on PATH. $T is a writable directory (/tmp
# under shoal). Only the shell itself writes files that others read (a child's
# /tmp writes are not seen by its parent under shoal: docs/compatibility.md).
echo start
echo "a b c" | tr ' ' '\n' | sort -r | head -n 2
seq 1 100 | grep 7 | wc -l
x=$(echo hello | tr a-z A-Z); echo "sub: $x"
n=$(seq 1 10 | awk '{s+=$1} END {print s}'); echo "awk sum $n"
(cd /; echo "in subshell $(pwd)"; exit 3); echo "subshell status $?"
{ echo grouped; echo lines; } | sort
echo data > "$T/f1"; echo more >> "$T/f1"; cat "$T/f1"; wc -l < "$T/f1"
sort -r < "$T/f1" | head -n 1
sleep 0.1 & p=$!; echo bg started; wait $p; echo "wait status $?"
(exit 5) & q=$!; wait $q; echo "bg exit $?"
{ (sleep 0.05; echo job one) & (echo job two) & wait; } | sort; echo "all waited"
false; echo "false $?"
sh -c 'exit 7'; echo "nested exit $?"
ls /nonexistent 2>/dev/null; echo "ls status $?"
echo to-stderr 1>&2 2>/dev/null; echo "stderr redirect ok"
if grep -q banana "$T/f1"; then echo found; else echo "not found $?"; fi
sh -c 'set -e; echo before; false; echo not reached'; echo "set -e status $?"
sh -c 'set -e; false || echo "or-list survives"; if false; then :; fi; echo "after if"'
sh -c 'set -e; ls /nonexistent 2>/dev/null; echo not reached'; echo "set -e external $?"
printf '%s\n' three one two | sort | tr '\n' ' '; echo
echo end
exit 7
