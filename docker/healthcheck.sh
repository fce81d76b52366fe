#!/bin/bash
# The image's HEALTHCHECK: GET /healthz (or the path given as argument, e.g.
# /readyz) from the neurond in this container, healthy (exit 0) on a 200
# and unhealthy (exit 1) on anything else. Plain bash, through its
# /dev/tcp, so that the runtime image needs no HTTP client package. It
# reads the same NEUROND_BIND and NEUROND_PORT as neurond, so it follows a
# port or address set by variable (not one set by a flag).
set -eu
path=${1:-/healthz}
port=${NEUROND_PORT:-8080}
host=${NEUROND_BIND:-127.0.0.1}
# Listening on every address: ask over loopback.
case "$host" in
    0.0.0.0) host=127.0.0.1 ;;
    ::|'[::]') host=::1 ;;
esac
if ! { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null; then
    echo "unhealthy: nothing listens on $host port $port"
    exit 1
fi
printf 'GET %s HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$path" >&3
status=""
IFS= read -r -t 2 status <&3 || true
exec 3<&-
case "$status" in
    "HTTP/1."?" 200 "*) exit 0 ;;
esac
echo "unhealthy: GET $path answered '${status%$'\r'}'"
exit 1
