#!/usr/bin/env bash
# Writable+executable programs and images (docs/security.md):
#   check_write_exec.sh SHOAL SHOAL_VMM WX_PROGRAM
# WX_PROGRAM is a static hello with a PF_W|PF_X segment (wx.c).
#  1. shoal build refuses it, naming the reason and --allow-wx;
#  2. with --allow-wx it builds, inspect shows the flag, and it runs;
#  3. that image with its header flag cleared (a hostile or tampered image:
#     the W+X section stays) is refused by shoal run, inspect, and by
#     shoal-vmm itself, which does not trust whoever built the image.
set -uo pipefail
shoal=$1 vmm=$2 prog=$3
dir=$(mktemp -d /tmp/shoal-wx-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail=0
check() {  # check NAME EXPECTED_STATUS REGEX COMMAND...
  local name=$1 want=$2 re=$3; shift 3
  out=$("$@" 2>&1 </dev/null); st=$?
  echo "$name -> status $st: $(echo "$out" | head -c 600)"
  if [ "$want" = nonzero ]; then
    [ $st -ne 0 ] && [ $st -lt 128 ] || { echo "FAIL: $name: status $st, expected a refusal"; fail=1; }
  elif [ $st -ne "$want" ]; then
    echo "FAIL: $name: status $st, expected $want"; fail=1
  fi
  echo "$out" | grep -Eq -- "$re" || { echo "FAIL: $name: output does not match /$re/"; fail=1; }
}

check "build without --allow-wx" nonzero "both writable and executable.*--allow-wx" \
  "$shoal" build "$prog" -o "$dir/refused.shoal"
[ -e "$dir/refused.shoal" ] && { echo "FAIL: an image was written anyway"; fail=1; }
check "run (built on the fly) without --allow-wx" nonzero "both writable and executable" \
  env XDG_CACHE_HOME="$dir/cache" "$shoal" run "$prog"

check "build --allow-wx" 0 "wx.shoal" "$shoal" build --allow-wx "$prog" -o "$dir/wx.shoal"
check "inspect shows the flag" 0 "allow-wx" "$shoal" inspect "$dir/wx.shoal"
check "manifest records it" 0 "allow_wx = true" "$shoal" inspect "$dir/wx.shoal"
check "the declared image runs" 0 "hello, world 42" "$shoal" run "$dir/wx.shoal"

# ImageHeader.flags is the uint32 at offset 76 (include/shoal/abi/image.h).
cp "$dir/wx.shoal" "$dir/tampered.shoal"
printf '\0\0\0\0' | dd of="$dir/tampered.shoal" bs=1 seek=76 conv=notrunc status=none
check "shoal-vmm refuses the tampered image" 1 "both writable and executable" "$vmm" "$dir/tampered.shoal"
check "shoal run refuses it" nonzero "both writable and executable" "$shoal" run "$dir/tampered.shoal"
check "shoal inspect refuses it" nonzero "both writable and executable" "$shoal" inspect "$dir/tampered.shoal"

[ $fail = 0 ] && echo PASS
exit $fail
