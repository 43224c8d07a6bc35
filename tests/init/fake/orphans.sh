#!/bin/sh
# orphans.sh COUNT SECONDS: leave COUNT children that outlive this script, then exit.
# Each child first leaves the service's process group (setsid, as a daemon does: what
# stays in the group is ended with the service) and says so on the "ready" FIFO; this
# script ends only when all COUNT have. Each then waits for this script to end (end of
# file on the "end" FIFO, whose only writer is this script) and sleeps SECONDS: every one
# of them is re-parented to the nearest subreaper or PID 1, however slowly the forks run.
end=$(mktemp -u) && mkfifo -m 600 "$end" || exit 1
ready=$(mktemp -u) && mkfifo -m 600 "$ready" || exit 1
# shellcheck disable=SC2094 # both ends of one FIFO, on purpose
exec 4<>"$end" 5<"$end" 6<>"$ready"
rm -f "$end" "$ready"
i=0
while [ "$i" -lt "$1" ]; do
	(
		exec 4>&-
		# shellcheck disable=SC2016 # $0 is the inner shell's
		exec setsid sh -c 'echo >&6; exec 6>&-; cat <&5 >/dev/null; exec 5<&- sleep "$0"' "$2"
	) &
	i=$((i + 1))
done
i=0
while [ "$i" -lt "$1" ]; do
	read -r _ <&6
	i=$((i + 1))
done
exit 0
