#!/bin/bash
# `make docker-test`: builds docker/Dockerfile and checks the image for real,
# on a Docker engine of its own that it starts, and stops again at the end.
#
# No image registry is reachable here, so the two base images are made with
# debootstrap (minbase) from the Debian archive the host's apt uses, with the
# host's apt sources and its proxy and validity settings, and imported under
# local names: they go to the Dockerfile's BUILD_IMAGE and RUNTIME_IMAGE
# arguments and are never tagged as Debian's official images. The root file
# systems are cached in $BUILD/docker/, so a second run skips debootstrap.
#
# The checks: the README's first session against the container (host
# network, a free loopback port); the container's operations (/metrics
# counts the session, `docker logs` has its request and job lines, a backup
# over HTTP and one by `neurond backup` inside the container are whole
# copies, /docs is served); `docker stop` ends it cleanly (SIGTERM,
# exit 0); a new container on the same volume still has the dataset, model
# and job and predicts the same; the server runs as non-root; the image's
# HEALTHCHECK says healthy, and a second container with nothing but the
# image's defaults (0.0.0.0:8080, in a network namespace of its own) listens
# on every address and turns healthy. Then everything it started is stopped
# by PID and unmounted, on failure too. Each phase prints its duration.
set -eu -o pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
CACHE="$BUILD/docker"
SUITE=bookworm
# Debian's client and engine, by path: another `docker` earlier on PATH may
# be a different client, or a different engine's.
DOCKER=/usr/bin/docker
DOCKERD=/usr/sbin/dockerd
IMAGE=neurond:docker-test
BASE_FULL=neurond-local/debian:$SUITE-minbase
BASE_SLIM=neurond-local/debian:$SUITE-minbase-slim
VOLUME=neurond-docker-test-data

fail() { echo "FAIL: $*" >&2; exit 1; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); } # ms as seconds

# phase NAME: closes the previous phase with its duration and opens NAME.
PHASE="" PHASE_T=0 START_T=$(now_ms)
phase() {
    if [ -n "$PHASE" ]; then
        echo "-- $PHASE: $(secs $(($(now_ms) - PHASE_T))) s"
    fi
    PHASE=$1 PHASE_T=$(now_ms)
    [ -n "$PHASE" ] && echo "== $PHASE"
    return 0
}

for tool in "$DOCKER" "$DOCKERD" debootstrap curl jq python3 docker-compose; do
    command -v "$tool" >/dev/null || fail "$tool missing: run 'make docker-test' (it installs it)"
done
[ "$(id -u)" -eq 0 ] || fail "the Docker engine and debootstrap need root"

# All the engine's state lives in one private folder: its data, its sockets,
# its containerd, the debootstrap tree. A short path under /tmp keeps the
# socket paths within the 108 bytes a unix socket allows.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/neurond-docker.XXXXXX")
export DOCKER_HOST="unix://$WORK/docker.sock"
export DOCKER_CONFIG="$WORK/client" # no ~/.docker settings or credentials
DOCKERD_PID="" CHILD_PID=""
# The script's own output, for cleanup: a signal may come while a command's
# output goes to a log file.
exec 8>&1 9>&2

# bounded SECONDS COMMAND...: runs COMMAND under timeout, in the background
# so that a signal to this script is handled at once (cleanup stops it by
# PID) rather than after the command ends.
bounded() {
    timeout "$1" "${@:2}" &
    CHILD_PID=$!
    wait "$CHILD_PID"
}

# The processes whose command line names $WORK: ours alone (the folder is
# new), e.g. a containerd shim left behind by a killed engine.
pids_in_work() {
    local p
    for p in /proc/[0-9]*; do
        { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF "$WORK/" && echo "${p#/proc/}"
    done
    return 0
}

# wait_gone PID SECONDS: true once PID has exited.
wait_gone() {
    local deadline=$((SECONDS + $2))
    while kill -0 "$1" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.2
    done
}

# Stops what this run started, in order: containers, the engine (whose
# containerd is its child and stops with it), stragglers found by $WORK,
# then every mount left under $WORK (the engine's own bind mount, overlay
# layers, network namespaces, debootstrap's /proc), deepest first.
cleanup() {
    local rc=$? pid mnt
    set +e
    exec 1>&8 2>&9
    trap - EXIT INT TERM
    phase ""
    if [ -n "$CHILD_PID" ] && kill -0 "$CHILD_PID" 2>/dev/null; then
        kill -TERM "$CHILD_PID"
        wait_gone "$CHILD_PID" 30 || kill -KILL "$CHILD_PID"
    fi
    if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
        echo "== cleanup"
        # shellcheck disable=SC2046
        timeout 60 "$DOCKER" rm -f -v $(timeout 20 "$DOCKER" ps -aq) >/dev/null 2>&1
        kill -TERM "$DOCKERD_PID"
        if ! wait_gone "$DOCKERD_PID" 30; then
            echo "dockerd $DOCKERD_PID did not stop in 30 s: KILL"
            kill -KILL "$DOCKERD_PID"
            wait_gone "$DOCKERD_PID" 10
        fi
        wait "$DOCKERD_PID" 2>/dev/null
        echo "dockerd $DOCKERD_PID stopped"
    fi
    for pid in $(pids_in_work); do
        echo "stopping leftover process $pid: $({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null)"
        kill -TERM "$pid" 2>/dev/null
        wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null
    done
    awk -v w="$WORK" '$5 == w || index($5, w "/") == 1 { print $5 }' /proc/self/mountinfo |
        sort -r | while read -r mnt; do
            umount "$mnt" 2>/dev/null || umount -l "$mnt" || echo "could not unmount $mnt"
        done
    if awk -v w="$WORK" 'index($5, w) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
        echo "mounts left under $WORK; not removing it"
        rc=1
    else
        rm -rf "$WORK"
    fi
    if [ "$rc" -eq 0 ]; then
        echo "docker-test: passed in $(secs $(($(now_ms) - START_T))) s"
    else
        echo "docker-test: FAILED (exit $rc) after $(secs $(($(now_ms) - START_T))) s"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

phase "start a private Docker engine"
# No iptables rules and no docker0 bridge: containers use the host's network
# or none, so the engine changes nothing on the machine outside $WORK. An
# empty config file keeps a system /etc/docker/daemon.json out of it.
mkdir -p "$WORK/data" "$WORK/exec" "$WORK/client" "$CACHE"
echo '{}' >"$WORK/daemon.json"
"$DOCKERD" --config-file "$WORK/daemon.json" \
    --iptables=false --ip6tables=false --bridge=none \
    --data-root "$WORK/data" --exec-root "$WORK/exec" \
    --pidfile "$WORK/dockerd.pid" -H "$DOCKER_HOST" \
    >"$WORK/dockerd.log" 2>&1 &
DOCKERD_PID=$!
deadline=$((SECONDS + 60))
until "$DOCKER" version >/dev/null 2>&1; do
    if ! kill -0 "$DOCKERD_PID" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
        tail -n 30 "$WORK/dockerd.log"
        fail "dockerd did not answer on $DOCKER_HOST within 60 s"
    fi
    sleep 0.2
done
echo "dockerd pid $DOCKERD_PID, $("$DOCKER" version --format 'engine {{.Server.Version}}'), $("$DOCKER" info --format 'storage {{.Driver}}, cgroup {{.CgroupDriver}} v{{.CgroupVersion}}')"

phase "base images (debootstrap $SUITE minbase)"
# The Debian archive as the host's apt reaches it: its sources for this
# suite (and -updates, -security) and its Acquire settings for proxies and
# Release validity, which the image's apt-get then uses the same way.
# shellcheck disable=SC2016 # $(...) here is apt's field syntax, not the shell's
sources=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Identifier: Packages' |
    awk -v s="$SUITE" '$2 == s || index($2, s "-") == 1' | sort -u)
[ -n "$sources" ] || fail "the host's apt has no source for $SUITE"
mirror=$(awk -v s="$SUITE" '$2 == s { print $1; exit }' <<<"$sources")
[ -n "$mirror" ] || fail "the host's apt has no source for $SUITE itself"
acquire=$(apt-config dump | grep -E '^Acquire::((https?|ftp)::Proxy|Check-Valid-Until|Check-Date)' || true)
proxy=$(apt-config dump | sed -n 's/^Acquire::http::Proxy "\(.*\)";$/\1/p')
# debootstrap fetches with wget, which reads the proxy from the environment.
if [ -n "$proxy" ] && [ -z "${http_proxy:-}" ]; then export http_proxy="$proxy"; fi
key=$(printf '3\n%s\n%s\n%s\n' "$SUITE" "$sources" "$acquire" | sha256sum | cut -c1-12)
full_tar="$CACHE/debian-$SUITE-minbase-$key.tar"
slim_tar="$CACHE/debian-$SUITE-minbase-slim-$key.tar"
if [ -s "$full_tar" ] && [ -s "$slim_tar" ]; then
    echo "cached: $full_tar"
else
    echo "mirror $mirror"
    rootfs="$WORK/rootfs"
    bounded 600 debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror" \
        >"$WORK/debootstrap.log" 2>&1 || { tail -n 30 "$WORK/debootstrap.log"; fail "debootstrap"; }
    # What Debian's images also leave out: the host's name and resolver
    # (Docker provides both), downloaded packages and package lists.
    rm -f "$rootfs/etc/hostname" "$rootfs/etc/resolv.conf" "$rootfs/etc/apt/sources.list"
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    while read -r uri release; do
        printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n\n' \
            "$uri" "$release" /usr/share/keyrings/debian-archive-keyring.gpg
    done <<<"$sources" >"$rootfs/etc/apt/sources.list.d/debian.sources"
    if [ -n "$acquire" ]; then
        printf '// the host apt settings of make docker-test\n%s\n' "$acquire" \
            >"$rootfs/etc/apt/apt.conf.d/90host-acquire"
    fi
    tar -C "$rootfs" --numeric-owner -cf "$full_tar.tmp" .
    # The slim variant, the way Debian's -slim images are made: documentation,
    # manuals and translations removed and kept out of later installs, the
    # copyright files kept.
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
    find "$rootfs/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
    find "$rootfs/usr/share/locale" -mindepth 1 ! -type d ! -name locale.alias -delete
    rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
        "$rootfs"/usr/share/groff/* "$rootfs"/usr/share/lintian/*
    find "$rootfs/usr/share/doc" "$rootfs/usr/share/locale" -mindepth 1 -type d -empty -delete
    tar -C "$rootfs" --numeric-owner -cf "$slim_tar.tmp" .
    mv "$full_tar.tmp" "$full_tar"
    mv "$slim_tar.tmp" "$slim_tar"
    rm -rf "$rootfs"
fi
"$DOCKER" import --message "debootstrap --variant=minbase $SUITE" "$full_tar" "$BASE_FULL" >/dev/null
"$DOCKER" import --message "debootstrap --variant=minbase $SUITE, slimmed" "$slim_tar" "$BASE_SLIM" >/dev/null
echo "$BASE_FULL $("$DOCKER" image inspect --format '{{.Size}}' "$BASE_FULL") bytes," \
    "$BASE_SLIM $("$DOCKER" image inspect --format '{{.Size}}' "$BASE_SLIM") bytes"

phase "docker-compose config (docker/compose.yaml)"
docker-compose -f docker/compose.yaml config -q || fail "docker/compose.yaml is not valid"
echo "docker/compose.yaml is valid"

phase "docker build"
# Host network: the build's apt-get reaches the archive exactly as the host
# does (its resolver and hosts file). Proxy variables set here go along.
proxy_args=()
for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
    if [ -n "${!v:-}" ]; then proxy_args+=(--build-arg "$v"); fi
done
bounded 600 "$DOCKER" build --network host -f docker/Dockerfile -t "$IMAGE" \
    --build-arg "BUILD_IMAGE=$BASE_FULL" --build-arg "RUNTIME_IMAGE=$BASE_SLIM" \
    ${proxy_args[@]+"${proxy_args[@]}"} . >"$CACHE/build.log" 2>&1 ||
    { tail -n 40 "$CACHE/build.log"; fail "docker build (log: $CACHE/build.log)"; }
grep '^Step ' "$CACHE/build.log" | cut -c1-110
size=$("$DOCKER" image inspect --format '{{.Size}}' "$IMAGE")
echo "image $IMAGE: $size bytes ($((size / 1048576)) MiB); its layers:"
"$DOCKER" history --format '{{.Size}}\t{{.CreatedBy}}' "$IMAGE" | cut -c1-100
[ "$("$DOCKER" image inspect --format '{{.Config.User}}' "$IMAGE")" = "neurond:neurond" ] ||
    fail "the image does not set USER neurond"

# The README's session needs a free port on the host's loopback.
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"

# api METHOD PATH STATUS [JSON]: the reply's body; fails on another status.
api() {
    local code args=(-sS --max-time 10 -o "$WORK/body" -w '%{http_code}' -X "$1")
    if [ $# -ge 4 ]; then args+=(--json "$4"); fi
    code=$(curl "${args[@]}" "$BASE$2") || fail "$1 $2: curl failed"
    [ "$code" = "$3" ] || fail "$1 $2: HTTP $code, expected $3: $(cat "$WORK/body")"
    cat "$WORK/body"
}

# run_neurond NAME: a container of the image on the host's network, on
# loopback only (no other address of this machine gets a listener), with
# the data volume; waits for /readyz and prints how long that took.
run_neurond() {
    local t0 deadline
    t0=$(now_ms)
    "$DOCKER" run -d --name "$1" --network host -v "$VOLUME:/data" \
        -e NEUROND_BIND=127.0.0.1 -e "NEUROND_PORT=$PORT" "$IMAGE" >/dev/null
    deadline=$((SECONDS + 60))
    until curl -fsS --max-time 2 -o /dev/null "$BASE/readyz" 2>/dev/null; do
        if [ "$("$DOCKER" inspect --format '{{.State.Running}}' "$1")" != true ]; then
            "$DOCKER" logs "$1" 2>&1 | tail -n 20
            fail "container $1 exited before /readyz answered"
        fi
        [ $SECONDS -lt $deadline ] || fail "container $1: /readyz not OK within 60 s"
        sleep 0.05
    done
    echo "$1: docker run to /readyz OK in $(secs $(($(now_ms) - t0))) s (port $PORT)"
}

# wait_healthy NAME: the HEALTHCHECK's verdict, within 60 s.
wait_healthy() {
    local health deadline=$((SECONDS + 60))
    while :; do
        health=$("$DOCKER" inspect --format '{{.State.Health.Status}}' "$1")
        [ "$health" = healthy ] && break
        [ "$health" != unhealthy ] || fail "$1 is unhealthy: $("$DOCKER" inspect --format '{{json .State.Health}}' "$1")"
        [ $SECONDS -lt $deadline ] || fail "$1 still '$health' after 60 s"
        sleep 0.5
    done
    echo "$1: health $health"
}

phase "container with the image's defaults only (network none)"
# Started now so that its first health check (10 s) runs during the session.
"$DOCKER" run -d --name neurond-defaults --network none "$IMAGE" >/dev/null

phase "README session against the container"
run_neurond neurond-test
dataset=$(api POST /v1/datasets 201 '{"name":"xor","generator":"xor"}')
model=$(api POST /v1/models 201 '{"name":"xor-net","inputs":2,"layers":[{"units":4,"activation":"tanh"},{"units":1,"activation":"sigmoid"}],"loss":"mse","seed":7}')
ds_id=$(jq -er .id <<<"$dataset")
model_id=$(jq -er .id <<<"$model")
[ "$(jq -r .rows <<<"$dataset")" = 4 ] || fail "xor dataset has $(jq .rows <<<"$dataset") rows"
job=$(api POST /v1/jobs 202 "{\"model_id\":\"$model_id\",\"dataset_id\":\"$ds_id\",\"epochs\":2000,\"batch_size\":4,\"normalize\":\"none\",\"optimizer\":{\"name\":\"sgd\",\"learning_rate\":0.5,\"momentum\":0.9}}")
job_id=$(jq -er .id <<<"$job")
deadline=$((SECONDS + 60))
while :; do
    status=$(api GET "/v1/jobs/$job_id" 200 | jq -er .status)
    case "$status" in
        succeeded) break ;;
        queued | running) ;;
        *) fail "job $job_id is $status: $(cat "$WORK/body")" ;;
    esac
    [ $SECONDS -lt $deadline ] || fail "job $job_id still $status after 60 s"
    sleep 0.1
done
echo "dataset $ds_id, model $model_id, job $job_id: $status"
outputs=$(api POST "/v1/models/$model_id/predict" 200 '{"inputs":[[0,0],[0,1],[1,0],[1,1]]}' | jq -c .outputs)
rounded=$(jq -c '[.[][0] | . + 0.5 | floor]' <<<"$outputs")
echo "predict: $outputs -> $rounded"
[ "$rounded" = "[0,1,1,0]" ] || fail "XOR predictions round to $rounded, not [0,1,1,0]"
uid=$("$DOCKER" exec neurond-test id -u)
echo "neurond-test runs as uid $uid ($("$DOCKER" exec neurond-test id -un))"
[ "$uid" != 0 ] || fail "the server runs as root"
"$DOCKER" exec neurond-test test -s /data/neurond.db || fail "no database in /data"
wait_healthy neurond-test

phase "operations of the container: metrics, logs, backup, docs"
metrics=$(api GET /metrics 200)
grep -qx 'neurond_jobs{state="succeeded"} 1' <<<"$metrics" ||
    fail "/metrics does not count the succeeded job: $(grep neurond_jobs <<<"$metrics")"
grep -q '^neurond_http_requests_total{method="POST",route="/v1/jobs",status="202"} 1$' <<<"$metrics" ||
    fail "/metrics does not count the POST /v1/jobs"
echo "/metrics: $(grep -c '^# TYPE' <<<"$metrics") families; $(grep '^neurond_training_epochs_total' <<<"$metrics")"
"$DOCKER" logs neurond-test 2>&1 | grep -q "event=job.succeeded job_id=$job_id" ||
    fail "docker logs has no job.succeeded line for $job_id"
"$DOCKER" logs neurond-test 2>&1 | grep -q 'event=http.request method=POST route=/v1/jobs ' ||
    fail "docker logs has no request line for POST /v1/jobs"
curl -fsS --max-time 10 -X POST -o "$WORK/backup.db" "$BASE/v1/admin/backup" || fail "POST /v1/admin/backup failed"
"$DOCKER" exec neurond-test neurond backup /tmp/cli-backup.db >/dev/null || fail "neurond backup in the container failed"
"$DOCKER" cp neurond-test:/tmp/cli-backup.db "$WORK/cli-backup.db"
for copy in "$WORK/backup.db" "$WORK/cli-backup.db"; do
    python3 - "$copy" "$job_id" <<'PY' || fail "backup $copy is not a whole copy"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
assert db.execute("SELECT status FROM jobs WHERE id = ?", (sys.argv[2],)).fetchone()[0] == "succeeded"
PY
done
echo "backups (HTTP $(stat -c %s "$WORK/backup.db") bytes, CLI in the container): integrity ok, job there"
docs=$(api GET /docs 200)
grep -q 'docs.js' <<<"$docs" || fail "/docs is not the API docs page"
api GET /docs/swagger-ui-bundle.js 200 >/dev/null
echo "/docs and its Swagger UI bundle served"

phase "docker stop during a training job, a new container on the same volume"
# A job far too long to finish, on a model of its own: docker stop must
# checkpoint it and the next container must take it up again.
spiral_id=$(api POST /v1/datasets 201 '{"name":"spiral","generator":"spiral","n":1000,"seed":3}' | jq -er .id)
long_model_id=$(api POST /v1/models 201 '{"name":"spiral-net","inputs":2,"layers":[{"units":32,"activation":"tanh"},{"units":2,"activation":"softmax"}],"loss":"cross_entropy","seed":1}' | jq -er .id)
long_id=$(api POST /v1/jobs 202 "{\"model_id\":\"$long_model_id\",\"dataset_id\":\"$spiral_id\",\"epochs\":1000000,\"batch_size\":32}" | jq -er .id)
deadline=$((SECONDS + 30))
until [ "$(api GET "/v1/jobs/$long_id" 200 | jq -r '.status == "running" and .epoch >= 1')" = true ]; do
    [ $SECONDS -lt $deadline ] || fail "job $long_id not running after 30 s: $(cat "$WORK/body")"
    sleep 0.1
done
# Two seconds of training: more epochs than a restart from scratch could
# redo before the first look after it.
sleep 2
epoch_before=$(api GET "/v1/jobs/$long_id" 200 | jq -er .epoch)
t0=$(now_ms)
"$DOCKER" stop -t 20 neurond-test >/dev/null
code=$("$DOCKER" inspect --format '{{.State.ExitCode}}' neurond-test)
echo "docker stop (job $long_id running) took $(secs $(($(now_ms) - t0))) s, exit code $code"
[ "$code" = 0 ] || fail "neurond exited $code on docker stop (137: killed, SIGTERM not handled)"
"$DOCKER" logs neurond-test 2>&1 | tail -n 3
"$DOCKER" rm neurond-test >/dev/null
run_neurond neurond-test2
api GET "/v1/datasets/$ds_id" 200 >/dev/null
[ "$(api GET "/v1/models/$model_id" 200 | jq -r .trained)" = true ] || fail "model not trained after restart"
[ "$(api GET "/v1/jobs/$job_id" 200 | jq -r .status)" = succeeded ] || fail "job not succeeded after restart"
again=$(api POST "/v1/models/$model_id/predict" 200 '{"inputs":[[0,0],[0,1],[1,0],[1,1]]}' | jq -c .outputs)
[ "$again" = "$outputs" ] || fail "predictions changed across the restart: $again"
echo "after restart: dataset, model (trained), job (succeeded) there; predict $again"
# The interrupted job goes on from its checkpoint (not from epoch 0), then is
# cancelled: it is not needed any longer.
resumed=$(api GET "/v1/jobs/$long_id" 200)
echo "job $long_id: epoch $epoch_before at docker stop; after restart $(jq -c '{status, epoch}' <<<"$resumed")"
jq -e --argjson e "$epoch_before" '(.status == "queued" or .status == "running") and .epoch >= $e' \
    <<<"$resumed" >/dev/null || fail "job $long_id did not resume from its checkpoint"
api POST "/v1/jobs/$long_id/cancel" 202 >/dev/null
deadline=$((SECONDS + 30))
until [ "$(api GET "/v1/jobs/$long_id" 200 | jq -r .status)" = cancelled ]; do
    [ $SECONDS -lt $deadline ] || fail "job $long_id not cancelled after 30 s: $(cat "$WORK/body")"
    sleep 0.1
done
[ "$("$DOCKER" exec neurond-test2 id -u)" != 0 ] || fail "the server runs as root"
wait_healthy neurond-test2

phase "the image's defaults: 0.0.0.0:8080, health check"
"$DOCKER" inspect --format '{{.State.Running}}' neurond-defaults | grep -qx true ||
    { "$DOCKER" logs neurond-defaults 2>&1 | tail -n 20; fail "neurond-defaults is not running"; }
# /proc/net/tcp: local address 00000000:1F90 (0.0.0.0:8080) in state 0A (LISTEN).
"$DOCKER" exec neurond-defaults cat /proc/net/tcp | awk '$2 == "00000000:1F90" && $4 == "0A" { ok = 1 } END { exit !ok }' ||
    fail "neurond-defaults does not listen on 0.0.0.0:8080"
echo "neurond-defaults listens on 0.0.0.0:8080 as uid $("$DOCKER" exec neurond-defaults id -u)"
if said=$("$DOCKER" exec -e NEUROND_PORT=1 neurond-defaults neurond-healthcheck); then
    fail "the health check passes with nothing listening"
fi
echo "the health check pointed at port 1 fails, as it must: $said"
wait_healthy neurond-defaults
