#!/usr/bin/env bash
# Runs Debian's busybox-static, unmodified, under shoal and natively on the same
# input files and compares: Linux is the oracle.
#
#   busybox.sh SHOAL_BIN SCENARIO
#
# Both runs see the same tree: a fixture root with data/ (read-only input,
# fixed modes and mtimes) and tmp/ (writable). Under shoal the fixture is the
# root filesystem (--root) and the program starts in /, so relative paths such
# as data/x and tmp/y name /data/x and the in-memory /tmp; natively busybox runs
# in a copy of the fixture. Programs get no environment in either case.
#
# busybox's sh needs fork and exec for every applet that is not a shell
# builtin (Debian builds it without NOFORK applets); shoal forks (sh_fork:
# pipelines, subshells and jobs of builtins) but has no exec here: each shoal
# run is therefore one applet, or one `sh -c` of builtins. Multi-step scenarios
# (gzip, then gunzip, then sha256sum) are several runs that hand their results
# to the next run through the next run's root filesystem.
set -uo pipefail
shoal=$1 scenario=$2
bb=${BUSYBOX:-/bin/busybox}
[ -x "$shoal" ] || { echo "busybox.sh: shoal not found at '$shoal'" >&2; exit 2; }
[ -x "$bb" ] || { echo "busybox.sh: $bb not found (install busybox-static)" >&2; exit 2; }
[ -w /dev/kvm ] || { echo "FAIL: /dev/kvm is not usable here; KVM tests cannot run" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
report() { echo "FAIL: $*"; fail=1; }

# The fixture: deterministic contents, modes and mtimes.
make_fixture() {
  local root=$1
  mkdir -p "$root/data/sub/deeper" "$root/tmp"
  printf 'banana\napple\ncherry\napple\nbanana\nbanana\ndate\nelderberry\nfig\napple\n' >"$root/data/fruits.txt"
  "$bb" awk 'BEGIN { for (i = 1; i <= 3000; i++) printf "%d line %d of text, %s\n", i * 7919 % 1000, i, i % 3 ? "plain" : "fizz" }' >"$root/data/lines.txt"
  printf 'the quick brown fox\njumps over\nthe lazy dog\n\nThe End\n' >"$root/data/words.txt"
  printf 'name,qty,price\nwidget,3,2.50\ngadget,10,0.99\ngizmo,1,100.00\nwidget,2,2.50\n' >"$root/data/table.csv"
  echo nested >"$root/data/sub/n.txt"
  echo deepest >"$root/data/sub/deeper/d.txt"
  find "$root/data" -type d -exec chmod 755 {} + && find "$root/data" -type f -exec chmod 644 {} +
  find "$root/data" -exec touch -h -d '2020-01-02 03:04:05 UTC' {} +
}

# both NAME ARGS...: runs `busybox ARGS` under shoal (root $work/root) and
# natively (in $work/native), stores stdout and status in $work/NAME.{shoal,native}
# and compares them. FILTER (a sed script), when set, is applied to both outputs;
# SORTED=1 sorts both, for outputs in directory order, which Linux leaves
# unspecified (ext4 returns hash order, shoal's file systems creation order).
both() {
  local name=$1
  shift
  "$shoal" run --root "$work/root" "$bb" -- "$@" >"$work/$name.shoal" 2>"$work/$name.shoal.err" </dev/null
  local got=$?
  (cd "$work/native" && env -i "$bb" "$@" >"$work/$name.native" 2>"$work/$name.native.err" </dev/null)
  local want=$?
  if [ -n "${FILTER:-}" ]; then
    sed -E -i "$FILTER" "$work/$name.shoal" "$work/$name.native"
  fi
  if [ "${SORTED:-0}" = 1 ]; then
    sort -o "$work/$name.shoal" "$work/$name.shoal" && sort -o "$work/$name.native" "$work/$name.native"
  fi
  [ "$got" = "$want" ] || report "$name: exit status under shoal $got, natively $want"
  if ! cmp -s "$work/$name.native" "$work/$name.shoal"; then
    report "$name: stdout differs from native (--- native, +++ shoal):"
    diff -u "$work/$name.native" "$work/$name.shoal" | head -40
  fi
  echo "--- $name: busybox $* (status $got)"
  head -c 1500 "$work/$name.shoal"
  if [ -s "$work/$name.shoal.err" ]; then echo "--- $name: shoal stderr:"; head -c 1500 "$work/$name.shoal.err"; fi
}

# expect_out NAME STRING: the shoal output of NAME contains STRING (so that a
# scenario cannot pass by failing the same way natively and under shoal).
expect_out() { grep -qF -- "$2" "$work/$1.shoal" || report "$1: output lacks '$2'"; }

# Hands a file produced by a run to the following runs: both roots get it.
publish() {
  cp "$1" "$work/root/data/$2" && cp "$1" "$work/native/data/$2"
  touch -d '2020-01-02 03:04:05 UTC' "$work/root/data/$2" "$work/native/data/$2"
}

make_fixture "$work/root"
cp -a "$work/root" "$work/native"

case "$scenario" in
  echo)
    both echo echo hello from busybox, 'two  spaces' -n
    both echo_e echo -e 'tab\there\nnewline \0101'
    expect_out echo "hello from busybox" ;;
  cat)
    both cat cat data/fruits.txt data/sub/n.txt data/words.txt
    both cat_n cat -n data/words.txt
    both cat_missing cat data/missing.txt
    expect_out cat "elderberry" ;;
  ls)
    # Numeric owners: the native files belong to whoever runs the test.
    FILTER='s/^([-dl][rwxst-]{9}) +([0-9]+) +[0-9]+ +[0-9]+/\1 \2 U G/'
    both ls_ln ls -ln data/fruits.txt data/lines.txt data/words.txt data/sub/n.txt
    unset FILTER
    both ls ls data data/sub
    both ls_1a ls -1a data
    both ls_recursive ls -R data
    expect_out ls_ln "Jan  2  2020 data/fruits.txt" ;;
  wc)
    both wc wc data/lines.txt data/words.txt data/fruits.txt
    both wc_l wc -l data/lines.txt
    expect_out wc "3000" ;;
  sort)
    both sort sort data/fruits.txt
    both sort_nr sort -n -r -k1,1 -s data/lines.txt
    both sort_u sort -u data/fruits.txt
    both sort_csv sort -t, -k3,3n data/table.csv
    expect_out sort_u "elderberry" ;;
  uniq)
    both uniq uniq data/fruits.txt
    both uniq_c uniq -c data/fruits.txt
    both uniq_d uniq -d data/fruits.txt ;;
  sha256sum)
    both sha256sum sha256sum data/lines.txt data/fruits.txt data/sub/n.txt
    expect_out sha256sum "data/lines.txt" ;;
  md5sum)
    both md5sum md5sum data/lines.txt data/fruits.txt data/sub/n.txt
    expect_out md5sum "data/lines.txt" ;;
  gzip)
    # Run 1 compresses to stdout; run 2 decompresses what run 1 produced;
    # run 3 checks the round trip with sha256sum. (An in-place round trip in
    # /tmp would need gzip, gunzip and sha256sum in one run, which busybox's
    # sh can do only by forking: /tmp starts empty in every run.)
    both gzip gzip -c -9 data/lines.txt
    publish "$work/gzip.shoal" lines.txt.gz
    both gunzip gunzip -c data/lines.txt.gz
    publish "$work/gunzip.shoal" roundtrip.txt
    both sha_orig sha256sum data/lines.txt
    both sha_round sha256sum data/roundtrip.txt
    [ "$(cut -d' ' -f1 "$work/sha_orig.shoal")" = "$(cut -d' ' -f1 "$work/sha_round.shoal")" ] ||
      report "gzip round trip changed the data"
    cmp -s "$work/gunzip.shoal" "$work/root/data/lines.txt" || report "gunzip output differs from the original"
    both gzip_t gzip -t -v data/lines.txt.gz
    # (zcat is not tested: it forks a decompressor process.)
    expect_out sha_round "data/roundtrip.txt" ;;
  tar)
    # Create to stdout under shoal; extract that archive natively and compare
    # the trees. Then create into /tmp and extract into /tmp under shoal.
    "$shoal" run --root "$work/root" "$bb" -- tar -cf - data >"$work/tar.shoal" 2>"$work/tar.err" ||
      report "tar -c under shoal failed: $(cat "$work/tar.err")"
    mkdir -p "$work/extracted"
    "$bb" tar -xf "$work/tar.shoal" -C "$work/extracted" || report "native tar could not read shoal's archive"
    diff -r "$work/root/data" "$work/extracted/data" || report "the archive does not hold the input tree"
    publish "$work/tar.shoal" a.tar
    SORTED=1 both tar_create_tmp tar -cvf tmp/b.tar data/sub data/fruits.txt
    SORTED=1 both tar_extract_tmp tar -xvf data/a.tar -C tmp
    SORTED=1 both tar_list tar -tf data/a.tar
    both tar_stdout tar -xOf data/a.tar data/sub/deeper/d.txt data/fruits.txt
    expect_out tar_extract_tmp "data/sub/deeper/d.txt"
    expect_out tar_stdout "deepest" ;;
  find)
    SORTED=1 both find find data
    SORTED=1 both find_name find data -name '*.txt' -type f
    SORTED=1 both find_dirs find data -type d
    SORTED=1 both find_size find data -size +10k
    SORTED=1 both find_maxdepth find data -maxdepth 1 -name 's*'
    SORTED=1 both find_newer find data -newer data/sub/n.txt
    SORTED=1 both find_empty find data -type f -empty
    expect_out find_name "data/sub/deeper/d.txt" ;;
  grep)
    both grep grep -n an data/fruits.txt
    both grep_c grep -c fizz data/lines.txt
    both grep_E grep -E -i '^(the|jumps)' data/words.txt
    SORTED=1 both grep_r grep -r -l nest data
    both grep_v grep -v -e apple -e banana data/fruits.txt
    both grep_none grep zebra data/fruits.txt
    expect_out grep_c "1000" ;;
  sed)
    both sed sed 's/a/A/g' data/fruits.txt
    both sed_n sed -n '2,4p;$p' data/words.txt
    both sed_e sed -e '/apple/d' -e 's/^\(.\)\(.*\)$/\2\1/' data/fruits.txt
    both sed_y sed '1~500!d;y/abc/xyz/' data/lines.txt ;;
  awk)
    both awk awk '{ s += $1; n[$4]++ } END { print s, NR; for (k in n) t += n[k]; print t, n["plain"] }' data/lines.txt
    both awk_csv awk -F, 'NR > 1 { total[$1] += $2 * $3 } END { printf "%s %.2f\n", "widget", total["widget"]; printf "%s %.2f\n", "gizmo", total["gizmo"] }' data/table.csv
    both awk_fmt awk 'BEGIN { printf "%5.2f|%-6s|%x|%e\n", 3.14159, "ab", 255, 12345.678; print length("hello"), substr("abcdef", 2, 3), toupper("x"), index("hello", "ll"); split("a:b:c", p, ":"); print p[3]; print sin(0), exp(0), int(7.9), 2^10 }'
    both awk_tmp awk 'BEGIN { for (i = 1; i <= 50; i++) print i * i > "tmp/sq.txt"; close("tmp/sq.txt"); while ((getline l < "tmp/sq.txt") > 0) s += l; print "sum", s }'
    expect_out awk_tmp "sum 42925" ;;
  sh)
    both sh sh -c 'x=5; i=0
      while [ $i -lt 5 ]; do i=$((i + 1)); x=$((x * 2)); echo "$i $x"; done
      for w in alpha beta gamma; do printf "%s-" "$w"; done; echo
      case foo.txt in *.txt) echo matched;; *) echo no;; esac
      f() { echo "fn $1 $#"; return 3; }; f one two; echo "status $?"
      echo $((7 * 6)) $((17 % 5)) $((1 << 10)) $((0x10 + 010)) ${#x}
      s=hello.tar.gz; echo ${s%.gz} ${s%%.*} ${s#*.} ${s:-unset} ${nothing:-default}
      set -- p q r; echo "$# $2 $*"; shift; echo "$@"
      false || echo "false failed"; true && echo "true ok"
      echo line1 > tmp/t; echo line2 >> tmp/t; printf "%s\n" line3 >> tmp/t
      n=0; while read -r l; do n=$((n + 1)); echo "read $n: $l"; done < tmp/t
      test -f tmp/t && echo "tmp/t exists"; [ -d data/sub ] && echo "data/sub is a dir"
      [ -e tmp/none ] || echo "tmp/none missing"; [ "abc" \< "abd" ] && echo "string compare"
      i=0; until [ $i -ge 3 ]; do i=$((i + 1)); [ $i = 2 ] && continue; echo "until $i"; done
      IFS=:; for p in a:b:c; do echo "[$p]"; done; unset IFS
      read -r first rest < data/words.txt; echo "first=$first rest=$rest"
      export Z=zed; echo "Z=$Z"; readonly R=1; echo "R=$R"
      eval "y=\$x"; echo "eval $y"
      cd data/sub && read -r l < n.txt && echo "cd ok: $l"'
    expect_out sh "read 3: line3"
    expect_out sh "eval 160"
    expect_out sh "cd ok: nested" ;;
  sh_fork)
    # What busybox's sh forks for without exec (issue 14): pipelines of
    # builtins, $(...), subshells, background jobs and wait, exit statuses
    # through all of them. (External commands need exec: not on this branch.)
    both sh_fork sh -c 'echo hello | while read -r x; do echo "got $x"; done
      v=$(echo sub; echo two); echo "[$v]"; n=$(printf "%s\n" a b c | while read -r l; do echo "$l"; done | { c=0; while read -r l; do c=$((c + 1)); done; echo $c; }); echo "lines $n"
      (echo in a subshell; exit 3); echo "subshell status $?"
      x=$( (echo nested) ); echo "$x"
      (exit 7) & wait $!; echo "background status $?"
      for i in 1 2 3; do (exit $i) & done; wait; echo "waited for all"
      false | true; echo "pipeline status $?"; true | false; echo "pipeline status $?"
      echo "a b c" | { read -r p q r; echo "$r $q $p"; }
      f() { echo "in f $1"; }; f x | while read -r l; do echo "piped: $l"; done
      exit 4'
    expect_out sh_fork "got hello"
    expect_out sh_fork "background status 7" ;;
  *) echo "busybox.sh: unknown scenario $scenario" >&2; exit 2 ;;
esac
[ $fail = 0 ] && echo PASS
exit $fail
