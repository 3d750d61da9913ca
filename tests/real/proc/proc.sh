#!/usr/bin/env bash
# Issue 14's acceptance programs: shells, Go's os/exec and Python's subprocess
# running other programs packed in the image, each compared with the same
# command run natively (Linux is the oracle): stdout and exit status equal.
#
#   proc.sh SHOAL SCENARIO [GO_EXEC_BINARY]
#
# The external commands are Debian's busybox-static applets on both sides:
# under shoal `--busybox-links` (applet links in the image), natively a
# directory of links to the same busybox first on PATH, so that `ls`, `sort`
# and the rest are the same programs in both runs. $T names a writable
# directory: /tmp under shoal, a fresh directory natively.
set -uo pipefail
shoal=$1 scenario=$2
here=$(cd "$(dirname "$0")" && pwd)
bb=/bin/busybox
[ -x "$shoal" ] || { echo "proc.sh: shoal not found at '$shoal'" >&2; exit 2; }
[ -x "$bb" ] || { echo "proc.sh: $bb not found (install busybox-static)" >&2; exit 2; }
[ -w /dev/kvm ] || { echo "FAIL: /dev/kvm is not usable here; KVM tests cannot run" >&2; exit 1; }

# Not under /tmp: shoal mounts its own /tmp in the guest, and --include
# refuses paths below it.
work=$(mktemp -d -p /var/tmp shoal-proc.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/tmp" "$work/files"
for applet in $("$bb" --list); do ln -s "$bb" "$work/bin/$applet"; done
ln -s /bin/bash-static "$work/bin/bash-static"
native_env=(env -i "PATH=$work/bin" "T=$work/tmp" HOME=/ LANG=C.UTF-8)

# compare NAME SHOAL_COMMAND... :: NATIVE_COMMAND...: runs both, compares
# stdout and status; stderr is shown, not compared.
fail=0
compare() {
  local name=$1; shift
  local shoal_cmd=() native_cmd=()
  while [ "$1" != "::" ]; do shoal_cmd+=("$1"); shift; done
  shift
  native_cmd=("$@")
  local start end
  start=$(date +%s%N)
  "${shoal_cmd[@]}" >"$work/$name.shoal" 2>"$work/$name.shoal.err" </dev/null
  local got=$?
  end=$(date +%s%N)
  (cd / && "${native_env[@]}" "${native_cmd[@]}" >"$work/$name.native" 2>"$work/$name.native.err" </dev/null)
  local want=$?
  echo "--- $name: status under shoal $got ($(( (end - start) / 1000000 )) ms), natively $want"
  [ "$got" = "$want" ] || { echo "FAIL: $name: exit status differs"; fail=1; }
  if ! diff -u "$work/$name.native" "$work/$name.shoal" >"$work/$name.diff"; then
    echo "FAIL: $name: stdout differs (--- native, +++ shoal):"; head -60 "$work/$name.diff"; fail=1
  fi
  cat "$work/$name.shoal"
  if [ -s "$work/$name.shoal.err" ]; then echo "--- $name: shoal stderr:"; head -c 3000 "$work/$name.shoal.err"; fi
}

# expect NAME STRING: the shoal output holds STRING, so that the same
# failure on both sides cannot pass.
expect() { grep -qF -- "$2" "$work/$1.shoal" || { echo "FAIL: $1: output lacks '$2'"; fail=1; }; }

run=("$shoal" run --timeout 120 --env "T=/tmp")
case "$scenario" in
  busybox_sh)
    script=$(cat "$here/sh_script.sh")
    compare busybox_sh "${run[@]}" --busybox-links "$bb" -- sh -c "$script" :: "$bb" sh -c "$script"
    expect busybox_sh "sub: HELLO"
    expect busybox_sh "bg exit 5"
    expect busybox_sh "set -e status 1"
    expect busybox_sh "end" ;;
  bash_script)
    cp "$here/bash_script.sh" "$work/files/script.sh" && chmod +x "$work/files/script.sh"
    compare bash_script "${run[@]}" --busybox-links --add "$bb" --include "$work/files" \
        /bin/bash-static -- "$work/files/script.sh" :: /bin/bash-static "$work/files/script.sh"
    expect bash_script "function in a pipeline: 12"
    expect bash_script "read: l3 l2 l1"
    expect bash_script "process substitution: p1|p2 p3"
    expect bash_script "trap EXIT ran, status 7" ;;
  go_exec)
    prog=$3
    compare go_exec "${run[@]}" --busybox-links --add "$bb" "$prog" :: "$prog"
    expect go_exec 'ExitError: code 3 output "partial\n"'
    expect go_exec 'CombinedOutput: "to-stdout\nto-stderr\n" err=<nil>'
    expect go_exec "loop 4: 44 err=<nil>" ;;
  python_subprocess)
    cp "$here/subprocess.py" "$work/files/subprocess_test.py"
    compare python_subprocess "${run[@]}" --busybox-links --add "$bb" --include /usr/lib/python3.11 \
        --include "$work/files" /usr/bin/python3 -- "$work/files/subprocess_test.py" \
        :: /usr/bin/python3 "$work/files/subprocess_test.py"
    expect python_subprocess "exit 3: 3 b'out\\n' b'err\\n'"
    expect python_subprocess "os.system: 1280 5"
    expect python_subprocess "done" ;;
  *) echo "proc.sh: unknown scenario $scenario" >&2; exit 2 ;;
esac
[ $fail = 0 ] && echo "PASS: $scenario"
exit $fail
