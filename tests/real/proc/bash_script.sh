#!/bin/bash-static
# Debian's bash-static: functions, arrays, traps, here-documents, read from
# a pipe, process substitution (/dev/fd/N), pipelines of external (busybox)
# commands, $(...), subshells, jobs.
# $T is a writable directory (/tmp under shoal).
set -u
cleanup() { echo "trap EXIT ran, status $?"; }
trap cleanup EXIT
greet() { local who=$1; echo "hello, $who"; return 4; }
greet world; echo "greet status $?"
count_lines() { wc -l | tr -d ' '; }
echo "function in a pipeline: $(seq 1 12 | count_lines)"
arr=(one two "three four"); echo "count ${#arr[@]} last ${arr[2]}"
arr+=(five); for i in "${!arr[@]}"; do echo "$i=${arr[$i]}"; done
declare -A m=([a]=1 [b]=2); echo "assoc ${m[a]}${m[b]}"
echo "a b c" | tr ' ' '\n' | sort -r | head -n 2
x=$(echo hello | tr a-z A-Z); echo "sub: $x"
(cd /; echo "in subshell $(pwd)"; exit 3); echo "subshell status $?"
echo data > "$T/f1"; echo more >> "$T/f1"; cat "$T/f1"
cat <<END
here-doc $x $((6 * 7))
  indented
END
cat <<'END'
literal $x
END
tr a-z A-Z <<< "here-string"
echo "l1 l2 l3" | while read -r a b c; do echo "read: $c $b $a"; done
read -r first rest < <(echo "p1 p2 p3"); echo "process substitution: $first|$rest"
mapfile -t got < <(seq 3); echo "mapfile ${got[*]}"
cat <(echo left) <(echo right)
printf '1\n2\n3\n' | { sum=0; while read -r v; do sum=$((sum + v)); done; echo "pipe sum $sum"; }
sleep 0.1 & p=$!; wait $p; echo "wait status $?"
(exit 5) & wait $!; echo "bg exit $?"
{ (sleep 0.05; echo job one) & (echo job two) & wait; } | sort; echo "all waited"
[[ "abc" == a* ]] && echo glob-match
ls /nonexistent 2>/dev/null; echo "ls status $?"
set -o pipefail; false | true; echo "pipefail $?"; set +o pipefail
bash-static -c 'exit 9'; echo "nested $?"
bash-static -c 'set -e; echo before; false; echo not reached'; echo "set -e status $?"
trap 'echo got USR1' USR1; kill -USR1 $$; echo "after kill"
exit 7
