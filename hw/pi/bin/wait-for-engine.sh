#!/bin/sh
# Wait until the engine's control socket exists, for at most SECONDS, then exit 0 either way.
#
# Usage: wait-for-engine SOCKET SECONDS
#
# The UI's ExecStartPre (drivetime-ui.service): the engine is started first and resumes the
# last room; the UI starts once the socket is there, so the music is back before Kivy spends
# a second loading. The UI connects later by itself when the engine is slower, so a timeout is
# no failure. The socket lives in the engine's RuntimeDirectory, which systemd removes when
# the engine stops: a file left there is never a stale one from a power cut.
set -eu

if [ "$#" -ne 2 ]; then
    echo "usage: wait-for-engine SOCKET SECONDS" >&2
    exit 2
fi
socket=$1
tenths=$(($2 * 10))

while [ "$tenths" -gt 0 ]; do
    if [ -S "$socket" ]; then
        exit 0
    fi
    sleep 0.1
    tenths=$((tenths - 1))
done
echo "wait-for-engine: no $socket after $2 s; starting the UI anyway (it reconnects)" >&2
exit 0
