#!/bin/sh
# run-logged.sh LOG COMMAND...: runs COMMAND, showing its output and keeping
# a copy in LOG, and exits with COMMAND's status (a pipe into tee would
# lose it in plain sh).
set -u
log=$1; shift
mkdir -p "$(dirname "$log")"
fifo="$log.fifo"
rm -f "$fifo"
mkfifo "$fifo"
tee "$log" < "$fifo" &
tee_pid=$!
"$@" > "$fifo" 2>&1
rc=$?
wait "$tee_pid"
rm -f "$fifo"
exit $rc
