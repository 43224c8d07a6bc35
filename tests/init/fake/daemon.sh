#!/bin/sh
# A fake daemon for the PID-1 tests: daemon.sh NAME DIR
# Writes its PID to DIR/NAME.pid and appends the name of every signal it gets
# to DIR/NAME.signals. Exits 0 on SIGTERM (after the seconds in DIR/stop-delay,
# for a service named "slow"), unless DIR/ignore-term exists. (Files, not the
# environment: mailinit gives services a clean one.)
name=$1
dir=$2
child=

# SIGKILL, not SIGTERM: a child caught between its fork and its exec still runs this
# shell's trap code, which drops a SIGTERM (it would run on as a leftover of the group).
on() {
	echo "$1" >>"$dir/$name.signals"
	[ -n "$child" ] && kill -KILL "$child" 2>/dev/null
}
trap 'on HUP' HUP
trap 'on USR1' USR1
trap 'on USR2' USR2
delay=$(cat "$dir/stop-delay" 2>/dev/null || echo 0)
if [ -e "$dir/ignore-term" ]; then
	trap 'on TERM' TERM
else
	trap 'on TERM; [ "$name" = slow ] && sleep "$delay"; exit 0' TERM
fi
# The pidfile says "ready": only once the traps are set and the child runs, so a signal
# sent after it is seen, and never lands while the child is being forked (the shell would
# run its trap with $child not yet set, and leave the new child behind).
sleep 1000 &
child=$!
echo $$ >"$dir/$name.pid"

while :; do
	wait "$child"
	sleep 1000 & # again, after a trap ended it
	child=$!
done
