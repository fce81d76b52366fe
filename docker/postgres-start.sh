#!/bin/bash
# The PostgreSQL image's entry point (docker/postgres.Dockerfile). At the
# first start, on an empty $PGDATA: initdb, then the role $POSTGRES_USER
# with the password $POSTGRES_PASSWORD (or the first line of the file
# $POSTGRES_PASSWORD_FILE) owning the database $POSTGRES_DB, reached over
# TCP with scram-sha-256 from any address of the container's networks;
# the superuser `postgres` logs in through the local socket alone (peer).
# Then, and at every later start, the server itself as PID 1, listening on
# every address; arguments are passed to it (`-c name=value`).
set -eu
PGDATA=${PGDATA:?}
: "${POSTGRES_USER:?}" "${POSTGRES_DB:?}"

# init_cluster: the first start's work, on a server that listens on its
# socket alone until it is done, so that the health check (TCP) stays
# false until the role and the database exist.
init_cluster() {
    local password
    if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
        password=$(head -n 1 "$POSTGRES_PASSWORD_FILE")
    else
        password=${POSTGRES_PASSWORD:-}
    fi
    if [ -z "$password" ]; then
        echo "postgres-start: set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE" >&2
        exit 2
    fi
    initdb --username=postgres --auth-local=peer --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    printf '%s\n' '# docker/postgres-start.sh: the container networks' \
        'host all all 0.0.0.0/0 scram-sha-256' \
        'host all all ::/0 scram-sha-256' >>"$PGDATA/pg_hba.conf"
    pg_ctl --wait --silent --options "-c listen_addresses=''" start
    # The password goes in through a psql variable, quoted by psql (:'pw').
    psql --quiet --no-psqlrc --set ON_ERROR_STOP=1 --username postgres \
        --dbname postgres --set pw="$password" --set user="$POSTGRES_USER" \
        --set db="$POSTGRES_DB" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'pw';
CREATE DATABASE :"db" OWNER :"user";
SQL
    pg_ctl --wait --silent --mode fast stop
    echo "postgres-start: initdb done in $PGDATA; role $POSTGRES_USER owns database $POSTGRES_DB"
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    init_cluster
fi
exec postgres -c listen_addresses='*' "$@"
