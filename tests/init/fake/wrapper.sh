#!/bin/sh
# Like "postfix start-fg": wrapper.sh NAME DIR PIDFILE
# Starts daemon.sh NAME in a session of its own (as Postfix's master calls
# setsid), writes the daemon's PID to PIDFILE, and stays until the daemon is
# gone. Signals that reach the wrapper itself are recorded in
# DIR/NAME-wrapper.signals: they went to the wrong process. Its own PID is in
# DIR/NAME-wrapper.pid.
name=$1
dir=$2
pidfile=$3

record() { echo "$1" >>"$dir/$name-wrapper.signals"; }
trap 'record HUP' HUP
trap 'record USR1' USR1
trap 'record TERM' TERM

echo $$ >"$dir/$name-wrapper.pid"
setsid "$(dirname "$0")/daemon.sh" "$name" "$dir" &
daemon=$!
echo "$daemon" >"$pidfile"
while kill -0 "$daemon" 2>/dev/null; do
	wait "$daemon"
done
