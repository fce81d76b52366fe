#!/bin/sh
# A private PostgreSQL server for the tests, in a folder of its own.
#   pg-private.sh start DIR   initdb into DIR/data, start postgres on a free
#                             loopback port (trust auth, loopback only) and
#                             write its URI (postgresql://…@127.0.0.1:PORT)
#                             to DIR/uri and stdout
#   pg-private.sh restart DIR stop and start that server again (same port)
#   pg-private.sh stop DIR    stop that server (by the PID it wrote), remove DIR
#   pg-private.sh run CMD...  start one in a new temporary folder, run CMD with
#                             NEUROND_TEST_PG_URI set to its URI, stop it (also
#                             when CMD fails), exit with CMD's status
# Run as root, the server runs as the user postgres (Debian's postgresql
# package makes it): PostgreSQL refuses to run as root.
set -eu

bindir() {
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$d/postgres" ] && { echo "$d"; return; }
    done
    echo "pg-private.sh: no PostgreSQL server found (apt-get install postgresql)" >&2
    exit 1
}

as_owner() { # runs "$@" as the server's user
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
    dir=$1 bin=$(bindir)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    user=$(as_owner id -un)
    as_owner "$bin/initdb" -D "$dir/data" -U "$user" --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 > "$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    port=$(free_port)
    # fsync off: a test server's data need not survive a power cut.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off \
            -c max_connections=400 -c shared_buffers=32MB" start > /dev/null ||
        { cat "$dir/server.log" >&2; exit 1; }
    head -n 1 "$dir/data/postmaster.pid" > "$dir/pid"
    echo "postgresql://$user@127.0.0.1:$port" > "$dir/uri"
    cat "$dir/uri"
}

restart() {
    dir=$1 bin=$(bindir)
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -m fast restart > /dev/null || { cat "$dir/server.log" >&2; exit 1; }
    head -n 1 "$dir/data/postmaster.pid" > "$dir/pid"
}

stop() {
    dir=$1
    if [ -s "$dir/pid" ]; then
        pid=$(cat "$dir/pid")
        # SIGINT: PostgreSQL's fast shutdown; wait up to 30 s for it.
        kill -INT "$pid" 2>/dev/null || true
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 300 ]; do
            sleep 0.1; i=$((i + 1))
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}

case "${1:-}" in
start) start "$2" ;;
restart) restart "$2" ;;
stop) stop "$2" ;;
run)
    shift
    dir=$(mktemp -d /tmp/neurond-pg-XXXXXX)
    trap 'stop "$dir"' EXIT INT TERM
    NEUROND_TEST_PG_URI=$(start "$dir")
    export NEUROND_TEST_PG_URI
    rc=0
    "$@" || rc=$?
    exit $rc
    ;;
*)
    echo "usage: pg-private.sh start DIR | restart DIR | stop DIR | run CMD..." >&2
    exit 2
    ;;
esac
