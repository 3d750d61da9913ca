#!/usr/bin/env bash
# ping.sh BUILD: ICMP echo from the host: three echoes, then 4000-byte echoes
# that the host fragments (1500-byte MTU) and the guest must reassemble (and
# fragment its reply).
TEST=ping BUILD=$1
source "$(dirname "$0")/lib.sh"
setup
start_httpd
check_ping "3 echoes answered" 3
check_ping "4000-byte echoes (fragmented both ways) answered" 2 -s 4000
check_ping "a 64-byte flood of 200 echoes" 200 -s 64 -i 0.01
check_hello "httpd still answers"
finish
