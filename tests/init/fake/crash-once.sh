#!/bin/sh
# crash-once.sh DIR: the first run dies of SIGKILL; later runs stay up.
# Each start appends its time to DIR/starts.
date +%s.%N >>"$1/starts"
if [ "$(wc -l <"$1/starts")" -lt 2 ]; then
	kill -9 $$
fi
exec sleep 1000
