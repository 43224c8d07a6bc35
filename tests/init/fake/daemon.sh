#!/bin/sh
# A fake daemon for the PID-1 tests: daemon.sh NAME DIR
# Writes its PID to DIR/NAME.pid and appends the name of every signal it gets
# to DIR/NAME.signals. Exits 0 on SIGTERM (after the seconds in DIR/stop-delay,
# for a service named "slow"), unless DIR/ignore-term exists. (Files, not the
# environment: mailinit gives services a clean one.)
name=$1
dir=$2
child=

on() {
	echo "$1" >>"$dir/$name.signals"
	[ -n "$child" ] && kill "$child" 2>/dev/null
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
# The pidfile says "ready": only once the traps are set, so a signal sent after it is seen.
echo $$ >"$dir/$name.pid"

while :; do
	sleep 1000 &
	child=$!
	wait "$child"
done
