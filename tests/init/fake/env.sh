#!/bin/sh
# env.sh FILE: write the environment this service was given to FILE, then stay up.
env >"$1.tmp" && mv "$1.tmp" "$1"
exec sleep 1000
