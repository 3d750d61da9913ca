#!/usr/bin/env bash
# Runs one guest program under shoal and checks it. With --compare the same
# static binary also runs natively and Linux is the oracle: stdout and exit
# status must be identical. Otherwise --status and the regexes say what to expect.
#
#   check.sh --shoal BIN --program PROG [--compare] [--status N]
#            [--args "A B"] [--native-args "A"] [--shoal-args "A"]
#            [--shoal-opts "--memory 512M ..."] [--env K=V]...
#            [--stdout-regex RE]... [--stderr-regex RE]... [--build-only-error RE]
#            [--cpu-features baseline|avx|avx512]
# In --native-args, @TMPDIR@ becomes a fresh temporary directory.
# --cpu-features runs the guest under that CPU variant (shoal run
# --cpu-features). A variant the host cannot give a guest cannot run here,
# and is not skipped silently either: the test then asserts that shoal
# refuses it with the one-line error and status 2, and checks the reason
# with an oracle independent of shoal: the host CPU lacks the feature
# (/proc/cpuinfo), or the host's KVM is kvm_pvm (/sys/module/kvm_pvm), whose
# guests run with the host's XCR0 and CPUID whatever the monitor sets. It
# says so in its output ("NOT OFFERED"). Any other outcome fails.
set -uo pipefail
shoal= program= compare=0 status= args= native_args= shoal_args= shoal_opts= cpu_features=
envs=() out_res=() err_res=()
while [ $# -gt 0 ]; do
  case "$1" in
    --shoal) shoal=$2; shift 2 ;;
    --program) program=$2; shift 2 ;;
    --compare) compare=1; shift ;;
    --status) status=$2; shift 2 ;;
    --args) args=$2; shift 2 ;;
    --native-args) native_args=$2; shift 2 ;;
    --shoal-args) shoal_args=$2; shift 2 ;;
    --shoal-opts) shoal_opts=$2; shift 2 ;;
    --cpu-features) cpu_features=$2; shift 2 ;;
    --env) envs+=("$2"); shift 2 ;;
    --stdout-regex) out_res+=("$2"); shift 2 ;;
    --stderr-regex) err_res+=("$2"); shift 2 ;;
    *) echo "check.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$shoal" ] || { echo "check.sh: shoal not found at '$shoal'" >&2; exit 2; }
[ -f "$program" ] || { echo "check.sh: program not found at '$program'" >&2; exit 2; }
[ -w /dev/kvm ] || { echo "FAIL: /dev/kvm is not usable here; KVM tests cannot run" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
read -ra a_args <<<"$args"
read -ra a_native <<<"${native_args//@TMPDIR@/$work/native-tmp}"
read -ra a_shoal <<<"$shoal_args"
read -ra a_opts <<<"$shoal_opts"
mkdir -p "$work/native-tmp"
env_opts=()
for e in "${envs[@]}"; do env_opts+=(--env "$e"); done
[ -n "$cpu_features" ] && a_opts+=(--cpu-features "$cpu_features")

"$shoal" run "${a_opts[@]}" "${env_opts[@]}" "$program" -- "${a_args[@]}" "${a_shoal[@]}" \
  >"$work/shoal.out" 2>"$work/shoal.err" </dev/null
got=$?
fail=0
report() { echo "FAIL: $*"; fail=1; }

if [ -n "$cpu_features" ] && grep -Eq -- "--cpu-features $cpu_features: (not offered|cannot be enforced)" "$work/shoal.err"; then
  case "$cpu_features" in
    avx) flag=avx ;;
    avx512) flag=avx512f ;;
    *) flag= ;;
  esac
  cat "$work/shoal.err"
  [ "$got" = 2 ] || report "refused with status $got, expected 2"
  [ "$(wc -l <"$work/shoal.err")" = 1 ] || report "the refusal is not one line"
  if grep -q "cannot be enforced" "$work/shoal.err"; then
    # Only kvm_pvm is known to run guests with the host's XCR0 and CPUID.
    [ -d /sys/module/kvm_pvm ] || report "shoal says KVM cannot enforce the variant, but kvm_pvm is not loaded"
    why="this host's KVM is kvm_pvm (/sys/module/kvm_pvm), whose guests run with the host's XCR0 and CPUID"
  elif [ -z "$flag" ]; then
    report "the $cpu_features variant must always be offered"
  elif grep -qw "$flag" /proc/cpuinfo; then
    report "the host CPU has $flag (/proc/cpuinfo) but shoal refused --cpu-features $cpu_features"
  else
    why="this host's CPU lacks $flag (/proc/cpuinfo)"
  fi
  [ $fail = 0 ] && echo "NOT OFFERED: $why; shoal refused --cpu-features $cpu_features as it must. PASS"
  exit $fail
fi

if [ "$compare" = 1 ]; then
  env -i "${envs[@]}" "$program" "${a_args[@]}" "${a_native[@]}" \
    >"$work/native.out" 2>"$work/native.err" </dev/null
  want=$?
  [ "$got" = "$want" ] || report "exit status under shoal $got, natively $want"
  if ! cmp -s "$work/native.out" "$work/shoal.out"; then
    report "stdout differs from native (--- native, +++ shoal):"
    diff -u "$work/native.out" "$work/shoal.out" | head -40
  fi
fi
if [ -n "$status" ] && [ "$got" != "$status" ]; then report "exit status $got, expected $status"; fi
for re in "${out_res[@]}"; do
  grep -Eq -- "$re" "$work/shoal.out" || report "stdout does not match /$re/"
done
for re in "${err_res[@]}"; do
  grep -Eq -- "$re" "$work/shoal.err" || report "stderr does not match /$re/"
done
echo "--- shoal stdout (status $got):"; head -c 3000 "$work/shoal.out"
echo "--- shoal stderr:"; head -c 3000 "$work/shoal.err"
[ $fail = 0 ] && echo PASS
exit $fail
