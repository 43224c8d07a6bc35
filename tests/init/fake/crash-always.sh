#!/bin/sh
# crash-always.sh DIR: records the start time in DIR/starts, then fails.
date +%s.%N >>"$1/starts"
exit 3
