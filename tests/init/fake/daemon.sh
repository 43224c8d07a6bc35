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
}
trap 'on HUP' HUP
trap 'on USR1' USR1
trap 'on USR2' USR2
delay=$(cat "$dir/stop-delay" 2>/dev/null || echo 0)
if [ -e "$dir/ignore-term" ]; then
	trap 'on TERM' TERM
else
	# SIGKILL, not SIGTERM, for the child: one caught between its fork and its exec runs
	# this shell's trap code, which drops a SIGTERM (it would run on as a leftover).
	trap 'on TERM; kill -KILL "$child"; [ "$name" = slow ] && sleep "$delay"; exit 0' TERM
fi
# One child, forked before the pidfile says "ready" (traps set, child running) and never
# again: a signal never lands while the shell forks (it would run its trap with $child not
# yet set, and leave the new child behind). A trapped signal ends "wait"; wait again.
sleep 1000 &
child=$!
echo $$ >"$dir/$name.pid"

while kill -0 "$child" 2>/dev/null; do
	wait "$child"
done
