#!/bin/sh
# orphans.sh COUNT SECONDS: leave COUNT children that outlive this script, then exit.
# Each child first waits for this script to end (end of file on a FIFO whose only
# writer is this script), then sleeps SECONDS: every one of them is re-parented to
# the nearest subreaper or PID 1, however slowly the forks run.
fifo=$(mktemp -u) && mkfifo -m 600 "$fifo" || exit 1
# shellcheck disable=SC2094 # both ends of one FIFO, on purpose
exec 4<>"$fifo" 5<"$fifo"
rm -f "$fifo"
i=0
while [ "$i" -lt "$1" ]; do
	(
		exec 4>&-
		cat <&5 >/dev/null
		exec 5<&- sleep "$2"
	) &
	i=$((i + 1))
done
exit 0
