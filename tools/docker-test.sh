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
# The engine gets a bridge of its own: a Linux bridge this script creates
# under a name of its own (ndtest<PID>) on a 10.213.x.0/24 that no address
# or route of the machine overlaps, and the upper half of that /20 as the
# pool of the networks docker-compose creates. No iptables or ip6tables
# rules, no IP forwarding, no masquerading: containers reach nothing beyond
# their bridge, and a port published with -p is served by docker-proxy
# (the userland proxy) on the host's loopback alone, never on 0.0.0.0.
#
# The checks: the README's `docker run -p 8080:8080 -v ...` with the
# image's defaults (0.0.0.0:8080 inside), published on a free loopback port,
# and the README's first session through it; the container's operations
# (/metrics counts the session, `docker logs` has its request and job
# lines, a backup over HTTP and one by `neurond backup` inside the container
# are whole copies, /docs is served); the server runs as non-root, the
# image's HEALTHCHECK says healthy (and fails with nothing listening);
# `docker stop` ends it cleanly (SIGTERM, exit 0) during a training job; a
# new container on the same volume still has the dataset, model and job,
# predicts the same and resumes the job from its checkpoint. Then
# docker/compose.yaml for real with Debian's docker-compose (1.29): `up`
# (the named volume, the restart policy, the 30 s stop grace), the neurond
# process killed by its PID turns the container back up with its data
# (restart: unless-stopped) and the job it was running queued again;
# `stop` exits 0, `down` keeps the volume for the next `up`, `down -v`
# removes it. Then the cluster of docker/compose.cluster.yaml: PostgreSQL,
# three nodes and nginx, a node killed mid-job, malformed and slow clients
# (tools/docker-test-cluster.sh). Then everything it started is stopped
# by PID, unmounted and its bridges deleted, on failure too. Each phase
# prints its duration.
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

for tool in "$DOCKER" "$DOCKERD" debootstrap curl jq python3 docker-compose ip; do
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
# The engine's bridge (created here) and the bridges of the networks
# docker-compose makes (br-<network id>, created by the engine): cleanup
# deletes whichever of them are still there.
BRIDGE="" BRIDGES=()
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

# The PIDs of the processes whose parent is PID: the engine's containerd and
# its docker-proxy processes, started by it for this run.
children_of() {
    local p
    for p in /proc/[0-9]*; do
        [ "$(awk '{ print $4 }' "$p/stat" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}"
    done
    return 0
}

# Stops what this run started, in order: containers and the networks
# docker-compose made, the engine (whose containerd and docker-proxy
# processes are its children and stop with it; any left are stopped by
# PID), stragglers found by $WORK, then every mount left under $WORK (the
# engine's own bind mount, overlay layers, network namespaces,
# debootstrap's /proc), deepest first, and the bridges.
cleanup() {
    local rc=$? pid mnt net children=() br
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
        for net in $(timeout 20 "$DOCKER" network ls -q --no-trunc --filter type=custom 2>/dev/null); do
            BRIDGES+=("br-${net:0:12}")
            timeout 20 "$DOCKER" network rm "$net" >/dev/null 2>&1
        done
        mapfile -t children < <(children_of "$DOCKERD_PID")
        kill -TERM "$DOCKERD_PID"
        if ! wait_gone "$DOCKERD_PID" 30; then
            echo "dockerd $DOCKERD_PID did not stop in 30 s: KILL"
            kill -KILL "$DOCKERD_PID"
            wait_gone "$DOCKERD_PID" 10
        fi
        wait "$DOCKERD_PID" 2>/dev/null
        echo "dockerd $DOCKERD_PID stopped"
        for pid in ${children[@]+"${children[@]}"}; do
            kill -0 "$pid" 2>/dev/null || continue
            echo "stopping leftover child $pid of dockerd: $({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null)"
            kill -TERM "$pid" 2>/dev/null
            wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null
        done
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
    for br in ${BRIDGES[@]+"${BRIDGES[@]}"} $BRIDGE; do
        if ip link show dev "$br" >/dev/null 2>&1; then
            ip link delete dev "$br" || { echo "could not delete bridge $br"; rc=1; }
        fi
    done
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
# A /20 of 10.213.0.0/16 that no address or route of this machine overlaps
# (a system Docker's docker0 and its networks included): its first /24 for
# the engine's bridge, its upper /21 for the networks of docker-compose.
read -r BRIDGE_CIDR POOL < <(python3 - <<'PY' || true
import ipaddress, random, re, subprocess
text = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True, check=True).stdout
text += subprocess.run(["ip", "-4", "route", "show", "table", "all"], capture_output=True, text=True, check=True).stdout
used = [ipaddress.ip_network(m, strict=False)
        for m in re.findall(r"\b\d+\.\d+\.\d+\.\d+(?:/\d+)?\b", text)]
blocks = list(ipaddress.ip_network("10.213.0.0/16").subnets(new_prefix=20))
random.shuffle(blocks)
for b in blocks:
    if not any(b.overlaps(u) for u in used if u.prefixlen > 0):
        first = next(b.subnets(new_prefix=24))
        print(f"{first[1]}/24 {list(b.subnets(new_prefix=21))[1]}")
        break
PY
)
[ -n "${POOL:-}" ] || fail "no free /20 in 10.213.0.0/16 for the engine's networks"
# The bridge is made here, not by the engine, so that its name is ours
# and cannot be a system Docker's docker0.
BRIDGE=ndtest$$
ip link add name "$BRIDGE" type bridge || { BRIDGE=""; fail "cannot create a bridge"; }
ip addr add "$BRIDGE_CIDR" dev "$BRIDGE"
ip link set dev "$BRIDGE" up
# No iptables rules, no IP forwarding and no masquerading: the engine
# changes nothing on the machine outside $WORK but its bridges, and a
# published port is docker-proxy's listener on the address that -p names.
# An empty config file keeps a system /etc/docker/daemon.json out of it.
mkdir -p "$WORK/data" "$WORK/exec" "$WORK/client" "$CACHE"
echo '{}' >"$WORK/daemon.json"
"$DOCKERD" --config-file "$WORK/daemon.json" \
    --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --userland-proxy=true --bridge "$BRIDGE" \
    --default-address-pool "base=$POOL,size=24" \
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
echo "bridge $BRIDGE $BRIDGE_CIDR; networks of docker-compose from $POOL"

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

# build_image DOCKERFILE TAG [ARG=VALUE...]: docker build of the repo with
# those build arguments, its log in $CACHE/build-<name of the file>.log;
# prints its steps. Host network: the build's apt-get reaches the archive
# exactly as the host does (its resolver and hosts file). Proxy variables
# set here go along.
build_image() {
    local v args=() log
    log="$CACHE/build-$(basename "$1" .Dockerfile).log"
    for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
        if [ -n "${!v:-}" ]; then args+=(--build-arg "$v"); fi
    done
    for v in "${@:3}"; do args+=(--build-arg "$v"); done
    bounded 600 "$DOCKER" build --network host -f "$1" -t "$2" "${args[@]}" . >"$log" 2>&1 ||
        { tail -n 40 "$log"; fail "docker build -f $1 (log: $log)"; }
    grep '^Step ' "$log" | cut -c1-110
}

phase "docker build"
build_image docker/Dockerfile "$IMAGE" "BUILD_IMAGE=$BASE_FULL" "RUNTIME_IMAGE=$BASE_SLIM"
size=$("$DOCKER" image inspect --format '{{.Size}}' "$IMAGE")
echo "image $IMAGE: $size bytes ($((size / 1048576)) MiB); its layers:"
"$DOCKER" history --format '{{.Size}}\t{{.CreatedBy}}' "$IMAGE" | cut -c1-100
[ "$("$DOCKER" image inspect --format '{{.Config.User}}' "$IMAGE")" = "neurond:neurond" ] ||
    fail "the image does not set USER neurond"

# free_port: a port free on the host's loopback. The containers publish
# their 8080 there, on 127.0.0.1 alone: nothing of this test listens on
# another address of the machine, and the README's 8080 may be taken.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT" # where api and wait_ready go

# api METHOD PATH STATUS [JSON]: the reply's body; fails on another status.
api() {
    local code args=(-sS --max-time 10 -o "$WORK/body" -w '%{http_code}' -X "$1")
    if [ $# -ge 4 ]; then args+=(--json "$4"); fi
    code=$(curl "${args[@]}" "$BASE$2") || fail "$1 $2: curl failed"
    [ "$code" = "$3" ] || fail "$1 $2: HTTP $code, expected $3: $(cat "$WORK/body")"
    cat "$WORK/body"
}

# wait_ready CONTAINER: until $BASE/readyz answers 200 through the
# published port, within 60 s; fails at once if the container stops.
wait_ready() {
    local deadline=$((SECONDS + 60))
    until curl -fsS --max-time 2 -o /dev/null "$BASE/readyz" 2>/dev/null; do
        if [ "$("$DOCKER" inspect --format '{{.State.Running}}' "$1")" != true ]; then
            "$DOCKER" logs "$1" 2>&1 | tail -n 20
            fail "container $1 stopped before /readyz answered"
        fi
        [ $SECONDS -lt $deadline ] || fail "container $1: /readyz not OK within 60 s"
        sleep 0.05
    done
}

# run_neurond NAME: the README's `docker run -d --name neurond -p 8080:8080
# -v neurond-data:/data neurond`, with the image's defaults (0.0.0.0:8080 in
# the container's own network namespace, on the engine's bridge), its 8080
# published on 127.0.0.1:$PORT; waits for /readyz through that port and
# prints how long that took.
run_neurond() {
    local t0 published
    t0=$(now_ms)
    "$DOCKER" run -d --name "$1" -p "127.0.0.1:$PORT:8080" -v "$VOLUME:/data" "$IMAGE" >/dev/null
    wait_ready "$1"
    echo "$1: docker run to /readyz OK in $(secs $(($(now_ms) - t0))) s" \
        "($("$DOCKER" inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"):8080 published on 127.0.0.1:$PORT)"
    published=$("$DOCKER" port "$1" 8080/tcp)
    [ "$published" = "127.0.0.1:$PORT" ] || fail "$1: 8080 published on '$published', not 127.0.0.1:$PORT alone"
}

# wait_job JOB JQ_TEST WHAT: polls the job until JQ_TEST (a jq filter on
# its JSON) is true; fails after 30 s with "JOB not WHAT".
wait_job() {
    local deadline=$((SECONDS + 30))
    until [ "$(api GET "/v1/jobs/$1" 200 | jq -r "$2")" = true ]; do
        [ $SECONDS -lt $deadline ] || fail "job $1 not $3 after 30 s: $(cat "$WORK/body")"
        sleep 0.1
    done
}

# start_long_job SEED: a job far too long to finish (a million epochs of a
# spiral net) on a dataset and model of its own, their ids into LONG_DS,
# LONG_MODEL and LONG_JOB; returns once it trains.
start_long_job() {
    LONG_DS=$(api POST /v1/datasets 201 "{\"name\":\"spiral\",\"generator\":\"spiral\",\"n\":1000,\"seed\":$1}" | jq -er .id)
    LONG_MODEL=$(api POST /v1/models 201 "{\"name\":\"spiral-net\",\"inputs\":2,\"layers\":[{\"units\":32,\"activation\":\"tanh\"},{\"units\":2,\"activation\":\"softmax\"}],\"loss\":\"cross_entropy\",\"seed\":$1}" | jq -er .id)
    LONG_JOB=$(api POST /v1/jobs 202 "{\"model_id\":\"$LONG_MODEL\",\"dataset_id\":\"$LONG_DS\",\"epochs\":1000000,\"batch_size\":32}" | jq -er .id)
    wait_job "$LONG_JOB" '.status == "running" and .epoch >= 1' running
}

# cancel_job JOB: cancels it and waits until it is cancelled.
cancel_job() {
    api POST "/v1/jobs/$1/cancel" 202 >/dev/null
    wait_job "$1" '.status == "cancelled"' cancelled
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

# readme_session: the README's first session against $BASE (dataset,
# model, job until it succeeds, predict); its ids into ds_id, model_id and
# job_id, the predictions into outputs.
readme_session() {
    local dataset model job rounded deadline status
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
}

phase "README session against the container"
run_neurond neurond-test
readme_session
uid=$("$DOCKER" exec neurond-test id -u)
echo "neurond-test runs as uid $uid ($("$DOCKER" exec neurond-test id -un))"
[ "$uid" != 0 ] || fail "the server runs as root"
"$DOCKER" exec neurond-test test -s /data/neurond.db || fail "no database in /data"
# /proc/net/tcp: local address 00000000:1F90 (0.0.0.0:8080) in state 0A (LISTEN).
"$DOCKER" exec neurond-test cat /proc/net/tcp | awk '$2 == "00000000:1F90" && $4 == "0A" { ok = 1 } END { exit !ok }' ||
    fail "neurond-test does not listen on 0.0.0.0:8080, the image's default"
echo "neurond-test listens on 0.0.0.0:8080 in its network namespace, the image's default"
if said=$("$DOCKER" exec -e NEUROND_PORT=1 neurond-test neurond-healthcheck); then
    fail "the health check passes with nothing listening"
fi
echo "the health check pointed at port 1 fails, as it must: $said"
wait_healthy neurond-test

phase "operations of the container: metrics, logs, backup, docs"
metrics=$(api GET /metrics 200)
grep -qx 'neurond_jobs{state="succeeded"} 1' <<<"$metrics" ||
    fail "/metrics does not count the succeeded job: $(grep neurond_jobs <<<"$metrics")"
grep -q '^neurond_http_requests_total{method="POST",route="/v1/jobs",status="202"} 1$' <<<"$metrics" ||
    fail "/metrics does not count the POST /v1/jobs"
echo "/metrics: $(grep -c '^# TYPE' <<<"$metrics") families; $(grep '^neurond_training_epochs_total' <<<"$metrics")"
# The log whole in a variable, then grep: `docker logs | grep -q` under
# pipefail fails when grep stops reading at the match and docker logs gets
# SIGPIPE.
logs=$("$DOCKER" logs neurond-test 2>&1)
grep -q "event=job.succeeded job_id=$job_id" <<<"$logs" ||
    fail "docker logs has no job.succeeded line for $job_id"
grep -q 'event=http.request method=POST route=/v1/jobs ' <<<"$logs" ||
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
start_long_job 3
long_id=$LONG_JOB
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
cancel_job "$long_id"
[ "$("$DOCKER" exec neurond-test2 id -u)" != 0 ] || fail "the server runs as root"
wait_healthy neurond-test2

phase "docker-compose up (docker/compose.yaml, published on loopback)"
# docker/compose.yaml stays what users run: "8080:8080", every address of
# the host. The test publishes on 127.0.0.1 and a free port instead, and
# that cannot be a second `-f` file: docker-compose 1.29 merges `ports`
# keyed by target, published port and address, so an override's
# "127.0.0.1:N:8080" comes next to "8080:8080" rather than in its place
# (and 1.29 knows no `!reset`). So it runs a copy of the file, in $WORK,
# with that one entry changed and the repo's docker/ as project folder
# (`build: ..` resolves as in the repo), after checking that the two
# files' `docker-compose config` differ in that port alone.
CPORT=$(free_port)
PROJECT=ndtest$$
python3 tools/docker-compose-copy.py copy docker/compose.yaml neurond "$CPORT" >"$WORK/compose.yaml"
COMPOSE=(docker-compose --ansi never -f "$WORK/compose.yaml" --project-directory "$ROOT/docker" -p "$PROJECT")
timeout 60 docker-compose -f docker/compose.yaml config >"$WORK/compose-repo.yaml"
timeout 60 "${COMPOSE[@]}" config >"$WORK/compose-test.yaml"
compose_image=$(python3 tools/docker-compose-copy.py check "$WORK/compose-repo.yaml" "$WORK/compose-test.yaml" neurond "$CPORT" |
    awk '$1 == "neurond" { print $2 }') ||
    fail "the test's copy of docker/compose.yaml differs from it in more than the port"
[ -n "$compose_image" ] || fail "docker/compose.yaml has no neurond image"
echo "docker/compose.yaml as project $PROJECT, 8080 published on 127.0.0.1:$CPORT instead of *:8080"
# The image built above under the compose file's name, in this engine only,
# and `up --no-build`: compose would build without --network host, and the
# engine's bridge reaches no archive (no forwarding, no masquerading).
"$DOCKER" tag "$IMAGE" "$compose_image"
# compose_run ARGS...: docker-compose on the copy, bounded, its output in
# $WORK/compose.log (shown on failure).
compose_run() {
    bounded 180 "${COMPOSE[@]}" "$@" >>"$WORK/compose.log" 2>&1 ||
        { tail -n 20 "$WORK/compose.log"; fail "docker-compose $*"; }
}
compose_container() {
    local cid
    cid=$(timeout 60 "${COMPOSE[@]}" ps -q neurond)
    [ -n "$cid" ] || fail "docker-compose ps: no neurond container"
    echo "$cid"
}
BASE="http://127.0.0.1:$CPORT"
t0=$(now_ms)
compose_run up -d --no-build
cid=$(compose_container)
cname=$("$DOCKER" inspect --format '{{.Name}}' "$cid")
cname=${cname#/}
wait_ready "$cid"
echo "$cname: docker-compose up to /readyz OK in $(secs $(($(now_ms) - t0))) s"
restart=$("$DOCKER" inspect --format '{{.HostConfig.RestartPolicy.Name}}' "$cid")
[ "$restart" = unless-stopped ] || fail "$cname has restart policy '$restart', not unless-stopped"
grace=$("$DOCKER" inspect --format '{{.Config.StopTimeout}}' "$cid")
[ "$grace" = 30 ] || fail "$cname has a stop timeout of '$grace' s, not the file's 30 s"
published=$("$DOCKER" port "$cid" 8080/tcp)
[ "$published" = "127.0.0.1:$CPORT" ] || fail "$cname: 8080 published on '$published'"
CVOLUME=${PROJECT}_neurond-data
mount=$("$DOCKER" inspect --format '{{range .Mounts}}{{if eq .Destination "/data"}}{{.Type}} {{.Name}}{{end}}{{end}}' "$cid")
[ "$mount" = "volume $CVOLUME" ] || fail "$cname: /data is '$mount', not the named volume $CVOLUME"
network=${PROJECT}_default
net_id=$("$DOCKER" network inspect --format '{{.Id}}' "$network")
echo "$cname: restart $restart, stop grace $grace s, /data on volume $CVOLUME, network $network" \
    "($("$DOCKER" network inspect --format '{{range .IPAM.Config}}{{.Subnet}}{{end}}' "$network"), bridge br-${net_id:0:12}), 8080 on $published"
# Every port this engine publishes is on loopback.
# shellcheck disable=SC2046
"$DOCKER" inspect --format '{{json .NetworkSettings.Ports}}' $("$DOCKER" ps -q) |
    jq -se '[.[] | .[]? // [] | .[] | .HostIp] | length > 0 and all(. == "127.0.0.1")' >/dev/null ||
    fail "a port is published on another address than 127.0.0.1: $("$DOCKER" ps --format '{{.Names}} {{.Ports}}')"
start_long_job 5
c_ds=$LONG_DS c_model=$LONG_MODEL c_job=$LONG_JOB
mountpoint=$("$DOCKER" volume inspect --format '{{.Mountpoint}}' "$CVOLUME")
[ -s "$mountpoint/neurond.db" ] || fail "volume $CVOLUME holds no neurond.db"
echo "volume $CVOLUME holds neurond.db ($(stat -c %s "$mountpoint/neurond.db") bytes); dataset $c_ds, model $c_model, job $c_job running"

phase "restart: unless-stopped, the neurond process killed by its PID"
# Killed as a crash would: SIGKILL to the container's main process, by
# the host PID the engine reports. Not `docker kill`: the engine takes a
# container killed on request for one stopped by hand, and unless-stopped
# does not restart that.
pid=$("$DOCKER" inspect --format '{{.State.Pid}}' "$cid")
cmd=$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null)
[ "$cmd" = "/usr/local/bin/neurond " ] || fail "$cname's main process $pid is '$cmd', not neurond"
t0=$(now_ms)
kill -KILL "$pid"
deadline=$((SECONDS + 60))
until [ "$("$DOCKER" inspect --format '{{.RestartCount}} {{.State.Status}}' "$cid")" = "1 running" ]; do
    [ $SECONDS -lt $deadline ] || fail "$cname not restarted within 60 s: $("$DOCKER" inspect --format '{{json .State}}' "$cid")"
    sleep 0.1
done
wait_ready "$cid"
new_pid=$("$DOCKER" inspect --format '{{.State.Pid}}' "$cid")
[ "$new_pid" != "$pid" ] || fail "$cname's main process is still $pid"
echo "neurond (host PID $pid) killed: $cname restarted by the engine (restart count 1, new PID $new_pid), /readyz OK after $(secs $(($(now_ms) - t0))) s"
api GET "/v1/datasets/$c_ds" 200 >/dev/null
api GET "/v1/models/$c_model" 200 >/dev/null
resumed=$(api GET "/v1/jobs/$c_job" 200)
jq -e '.status == "queued" or .status == "running"' <<<"$resumed" >/dev/null ||
    fail "job $c_job is not queued again after the crash: $resumed"
# The engine copies a container's output to its log as it comes: a line
# written just before /readyz answered may take a moment to show.
deadline=$((SECONDS + 10))
until logs=$("$DOCKER" logs "$cid" 2>&1) && grep -q 'event=job.recovered .*jobs=1' <<<"$logs"; do
    if [ $SECONDS -ge $deadline ]; then
        "$DOCKER" logs "$cid" 2>&1 | grep -v 'event=http.request' | tail -n 15
        fail "docker logs has no job.recovered line 10 s after the crash"
    fi
    sleep 0.1
done
echo "after the restart: dataset and model there; job $c_job $(jq -c '{status, epoch}' <<<"$resumed"), logged job.recovered"
cancel_job "$c_job"

phase "docker-compose stop, down (volume kept), up again, down -v"
t0=$(now_ms)
compose_run stop
code=$("$DOCKER" inspect --format '{{.State.ExitCode}}' "$cid")
[ "$code" = 0 ] || fail "neurond exited $code on docker-compose stop"
echo "docker-compose stop: exit code 0 in $(secs $(($(now_ms) - t0))) s"
t0=$(now_ms)
compose_run down
! "$DOCKER" inspect "$cid" >/dev/null 2>&1 || fail "docker-compose down left container $cname"
! "$DOCKER" network inspect "$network" >/dev/null 2>&1 || fail "docker-compose down left network $network"
# The engine deletes the bridge as it removes the network, yet on a loaded
# machine the link has been seen a moment longer: up to 10 s.
deadline=$((SECONDS + 10))
while ip link show dev "br-${net_id:0:12}" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || fail "bridge br-${net_id:0:12} is still there 10 s after docker-compose down"
    sleep 0.2
done
"$DOCKER" volume inspect "$CVOLUME" >/dev/null || fail "docker-compose down removed volume $CVOLUME"
echo "docker-compose down in $(secs $(($(now_ms) - t0))) s: container, network and its bridge gone, volume $CVOLUME kept"
t0=$(now_ms)
compose_run up -d --no-build
cid=$(compose_container)
wait_ready "$cid"
api GET "/v1/datasets/$c_ds" 200 >/dev/null
[ "$(api GET "/v1/jobs/$c_job" 200 | jq -r .status)" = cancelled ] || fail "job $c_job changed across down and up"
echo "docker-compose up again: /readyz OK in $(secs $(($(now_ms) - t0))) s, dataset and job there"
t0=$(now_ms)
compose_run down -v
! "$DOCKER" volume inspect "$CVOLUME" >/dev/null 2>&1 || fail "docker-compose down -v left volume $CVOLUME"
echo "docker-compose down -v in $(secs $(($(now_ms) - t0))) s: volume $CVOLUME removed"

# PostgreSQL, three nodes and nginx: docker/compose.cluster.yaml.
# shellcheck source=tools/docker-test-cluster.sh
source tools/docker-test-cluster.sh
