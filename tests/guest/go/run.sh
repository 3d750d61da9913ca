#!/usr/bin/env bash
# Builds tests/guest/go/NAME.go with Debian's Go (CGO_ENABLED=0: a static
# binary) into a scratch directory, then runs it under shoal and natively
# (check.sh --compare: Linux is the oracle).
#   run.sh SHOAL CHECK_SH NAME [check.sh options...]
set -euo pipefail
shoal=$1 check=$2 name=$3
shift 3
[ -x /usr/bin/go ] || { echo "FAIL: /usr/bin/go is missing (scripts/install-deps installs golang-go)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=$(dirname "$0")/$name.go
HOME=$work GOCACHE=$work/cache GOPATH=$work/gopath GOFLAGS=-mod=mod CGO_ENABLED=0 \
  /usr/bin/go build -o "$work/$name" "$src"
"$check" --shoal "$shoal" --program "$work/$name" --compare "$@"
