# shellcheck shell=bash
# The cluster phases of `make docker-test`, sourced by tools/docker-test.sh
# once the single-container phases passed: its engine, its helpers (phase,
# fail, api, build_image, bounded, free_port, wait_ready, wait_job,
# readme_session) and its cleanup, which removes whatever is left here too.
#
# First the cluster's images from Debian's packages, `nginx -t` in nginx's,
# and `docker-compose config` of the file (its password required). Then
# docker/compose.cluster.yaml for real: PostgreSQL (docker/postgres.Dockerfile,
# Debian's postgresql), three neurond nodes on it and nginx in front
# (docker/nginx.Dockerfile, docker/nginx-cluster.conf), the nginx port
# published on loopback. Through nginx alone: the README session (its
# requests spread over the nodes), the job's events replayed whole; a job
# watched live (the events come as they happen, through nginx unbuffered)
# whose node is killed (`docker kill`) mid-job: the job finishes on another
# node (its `node` changes), its history holds every epoch once, and no
# request through nginx failed meanwhile (nginx took the ones that met the
# dead node to another); malformed and slow requests answered or dropped by
# nginx (400, 413, 505; 408 in its log) that no node ever sees. Then
# `docker-compose down -v`.

PG_IMAGE=neurond-postgres:docker-test
NGINX_IMAGE=neurond-nginx:docker-test
# nginx's client_body_timeout (docker/nginx-cluster.conf), which the
# slowest probe waits out; client_header_timeout is the same.
BODY_TIMEOUT_S=10

phase "cluster images: PostgreSQL and nginx from Debian's packages"
build_image docker/postgres.Dockerfile "$PG_IMAGE" "BASE_IMAGE=$BASE_SLIM"
build_image docker/nginx.Dockerfile "$NGINX_IMAGE" "BASE_IMAGE=$BASE_SLIM"
for image in "$PG_IMAGE" "$NGINX_IMAGE"; do
    size=$("$DOCKER" image inspect --format '{{.Size}}' "$image")
    echo "image $image: $((size / 1048576)) MiB"
done
echo "$("$DOCKER" run --rm --network none --entrypoint postgres "$PG_IMAGE" --version)," \
    "$("$DOCKER" run --rm --network none "$NGINX_IMAGE" nginx -v 2>&1)"
# nginx -t resolves the upstream's names: addresses of TEST-NET-1 for them,
# never reached (no network at all).
"$DOCKER" run --rm --network none --add-host node1:192.0.2.1 --add-host node2:192.0.2.2 \
    --add-host node3:192.0.2.3 "$NGINX_IMAGE" nginx -t 2>&1 || fail "nginx -t refuses docker/nginx-cluster.conf"
[ "$("$DOCKER" run --rm --network none --entrypoint id "$PG_IMAGE" -un)" = postgres ] ||
    fail "the PostgreSQL image does not run as postgres"

phase "docker-compose config (docker/compose.cluster.yaml)"
# The database password, required by the file: a new one for this run.
export NEUROND_PG_PASSWORD
NEUROND_PG_PASSWORD=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
if NEUROND_PG_PASSWORD='' timeout 60 docker-compose -f docker/compose.cluster.yaml config -q 2>/dev/null; then
    fail "docker/compose.cluster.yaml is valid without NEUROND_PG_PASSWORD"
fi
# As for docker/compose.yaml: a copy with nginx's 8080 published on
# 127.0.0.1 and a free port, checked to differ in that alone.
KPORT=$(free_port)
KPROJECT=ndcluster$$
python3 tools/docker-compose-copy.py copy docker/compose.cluster.yaml nginx "$KPORT" >"$WORK/compose.cluster.yaml"
KCOMPOSE=(docker-compose --ansi never -f "$WORK/compose.cluster.yaml" --project-directory "$ROOT/docker" -p "$KPROJECT")
timeout 60 docker-compose -f docker/compose.cluster.yaml config >"$WORK/cluster-repo.yaml"
timeout 60 "${KCOMPOSE[@]}" config >"$WORK/cluster-test.yaml"
# "SERVICE IMAGE" lines: the five services, nginx's the only port.
python3 tools/docker-compose-copy.py check "$WORK/cluster-repo.yaml" "$WORK/cluster-test.yaml" nginx "$KPORT" \
    >"$WORK/cluster-images" || fail "the test's copy of docker/compose.cluster.yaml differs from it in more than the port"
[ "$(cut -d' ' -f1 "$WORK/cluster-images" | tr '\n' ' ')" = "nginx node1 node2 node3 postgres " ] ||
    fail "docker/compose.cluster.yaml's services: $(cut -d' ' -f1 "$WORK/cluster-images" | tr '\n' ' ')"
images=$(awk '$1 == "node1" { n = $2 } $1 == "postgres" { p = $2 } $1 == "nginx" { x = $2 } END { print n, p, x }' "$WORK/cluster-images")
read -r node_image pg_image nginx_image <<<"$images"
# shellcheck disable=SC2153 # IMAGE: docker-test.sh's neurond image
"$DOCKER" tag "$IMAGE" "$node_image"
"$DOCKER" tag "$PG_IMAGE" "$pg_image"
"$DOCKER" tag "$NGINX_IMAGE" "$nginx_image"
echo "docker/compose.cluster.yaml as project $KPROJECT, nginx's 8080 on 127.0.0.1:$KPORT; images $images"

# kcompose ARGS...: docker-compose on the copy, bounded, its output in
# $WORK/cluster.log (shown on failure).
kcompose() {
    bounded 180 "${KCOMPOSE[@]}" "$@" >>"$WORK/cluster.log" 2>&1 ||
        { tail -n 30 "$WORK/cluster.log"; fail "docker-compose (cluster) $*"; }
}
# kcontainer SERVICE: its container's id.
kcontainer() {
    local cid
    cid=$(timeout 60 "${KCOMPOSE[@]}" ps -q "$1")
    [ -n "$cid" ] || fail "docker-compose ps: no $1 container"
    echo "$cid"
}
# nginx_log: nginx's access log so far (its stdout), in $WORK/nginx.log.
nginx_log() {
    "$DOCKER" logs "$(kcontainer nginx)" 2>/dev/null >"$WORK/nginx.log"
}
# upstreams_of PATTERN: how many requests logged by nginx whose line
# matches PATTERN went to each node address (up=ADDR).
upstreams_of() {
    nginx_log
    grep -E "$1" "$WORK/nginx.log" | sed -n 's/.* up=\([^ ]*\) .*/\1/p' | sort | uniq -c | awk '{ print $2 " " $1 }'
}

phase "cluster up: PostgreSQL, three nodes, nginx"
BASE="http://127.0.0.1:$KPORT"
t0=$(now_ms)
kcompose up -d --no-build
wait_ready "$(kcontainer nginx)"
echo "docker-compose up to /readyz through nginx in $(secs $(($(now_ms) - t0))) s"
declare -A NODE_CID NODE_IP
for svc in node1 node2 node3; do
    NODE_CID[$svc]=$(kcontainer "$svc")
    NODE_IP[$svc]=$("$DOCKER" inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "${NODE_CID[$svc]}")
done
for svc in postgres node1 node2 node3 nginx; do
    cid=$(kcontainer "$svc")
    health=$("$DOCKER" inspect --format '{{.State.Health.Status}}' "$cid")
    # nginx started after the nodes were healthy; its own check may lag.
    [ "$health" = healthy ] || [ "$svc" = nginx ] || fail "$svc is '$health' while nginx runs"
    echo "$svc: $health, $("$DOCKER" inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$cid")"
done
nginx_name=$("$DOCKER" inspect --format '{{.Name}}' "$(kcontainer nginx)")
wait_healthy "${nginx_name#/}"
pg_cid=$(kcontainer postgres)
mount=$("$DOCKER" inspect --format '{{range .Mounts}}{{if eq .Destination "/var/lib/postgresql/data"}}{{.Type}} {{.Name}}{{end}}{{end}}' "$pg_cid")
[ "$mount" = "volume ${KPROJECT}_pg-data" ] || fail "PostgreSQL's data is on '$mount', not the volume ${KPROJECT}_pg-data"
# Who is connected to the database, by the local socket (peer: the
# superuser needs no password there).
pg_sql() { "$DOCKER" exec "$pg_cid" psql -X -At -U postgres -d neurond -c "$1"; }
clients=$(pg_sql "SELECT count(DISTINCT client_addr) FROM pg_stat_activity WHERE datname = 'neurond' AND usename = 'neurond'")
echo "PostgreSQL: $(pg_sql 'SHOW server_version'), data on volume ${KPROJECT}_pg-data; neurond connected from $clients addresses"
[ "$clients" = 3 ] || fail "$clients nodes connected to PostgreSQL, not 3"
# Balancing: requests in a row go to each node in turn.
for _ in $(seq 12); do api GET /v1/version 200 >/dev/null; done
spread=$(upstreams_of '"GET /v1/version HTTP')
echo "12 GET /v1/version through nginx, per node (address count): ${spread//$'\n'/, }"
[ "$(wc -l <<<"$spread")" = 3 ] || fail "nginx did not balance over the three nodes: $spread"

phase "README session through nginx"
readme_session
# shellcheck disable=SC2154 # job_id: set by readme_session
job=$(api GET "/v1/jobs/$job_id" 200)
node=$(jq -r .node <<<"$job")
[[ "$node" =~ ^node[123]$ ]] || fail "job $job_id reports node '$node', not one of node1..3"
echo "job $job_id ran on $node"
spread=$(upstreams_of '"(GET|POST) /v1/(datasets|models|jobs)')
echo "the session's requests per node: ${spread//$'\n'/, }"
[ "$(wc -l <<<"$spread")" -ge 2 ] || fail "the session's requests all went to one node"
# The job's events, replayed whole through nginx: the status, its 2000
# epochs in order, the end.
bounded 30 python3 tools/docker-probe.py sse "$BASE/v1/jobs/$job_id/events" 20 >"$WORK/events.json"
jq -e '[.events[] | select(.event == "epoch") | .id | tonumber] == [range(1; 2001)]
       and .events[-1].event == "end" and .end.status == "succeeded" and (.reconnects | length) == 0' \
    "$WORK/events.json" >/dev/null || fail "the events of job $job_id through nginx: $(jq -c '{n: (.events | length), last: .events[-1], reconnects}' "$WORK/events.json")"
echo "events of job $job_id through nginx: $(jq '[.events[] | select(.event == "epoch")] | length' "$WORK/events.json") epochs in order, then end (succeeded)"

phase "a node killed mid-job (docker kill), the job finishing on another"
# A job of about 12 s: its epochs timed on a short job of the same model.
fo_ds=$(api POST /v1/datasets 201 '{"name":"spiral","generator":"spiral","n":4000,"seed":11}' | jq -er .id)
fo_model=$(api POST /v1/models 201 '{"name":"spiral-wide","inputs":2,"layers":[{"units":128,"activation":"tanh"},{"units":128,"activation":"tanh"},{"units":2,"activation":"softmax"}],"loss":"cross_entropy","seed":11}' | jq -er .id)
fo_job() { # EPOCHS: a new job of that many epochs; its id
    api POST /v1/jobs 202 "{\"model_id\":\"$fo_model\",\"dataset_id\":\"$fo_ds\",\"epochs\":$1,\"batch_size\":16}" | jq -er .id
}
calib=$(fo_job 20)
wait_job "$calib" '.status == "succeeded"' succeeded
# Its training time, from started_at to finished_at (microseconds, UTC).
calib_ms=$(api GET "/v1/jobs/$calib" 200 | python3 -c '
import datetime, json, sys
j = json.load(sys.stdin)
t = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
print(max(1, round((t(j["finished_at"]) - t(j["started_at"])).total_seconds() * 1000)))')
epochs=$((12000 * 20 / calib_ms))
epochs=$((epochs < 100 ? 100 : epochs > 20000 ? 20000 : epochs))
echo "20 epochs trained in $(secs "$calib_ms") s: the failover job gets $epochs (about 12 s)"
fo=$(fo_job "$epochs")
python3 tools/docker-probe.py sse "$BASE/v1/jobs/$fo/events" 120 >"$WORK/fo-events.json" &
watcher=$!
# Half way, past its first checkpoint (--checkpoint-ms, 5 s).
wait_job "$fo" ".status == \"running\" and .epoch >= $((epochs / 2))" "running past epoch $((epochs / 2))"
before=$(api GET "/v1/jobs/$fo" 200)
victim=$(jq -r .node <<<"$before")
[[ "$victim" =~ ^node[123]$ ]] || fail "job $fo reports node '$victim'"
t_kill=$(now_ms)
"$DOCKER" kill "${NODE_CID[$victim]}" >/dev/null
echo "job $fo: $(jq -c '{status, epoch, node}' <<<"$before"); docker kill $victim (${NODE_IP[$victim]})"
# Through nginx, as a client would: every request must succeed, those
# that meet the dead node included.
deadline=$((SECONDS + 60)) moved=""
while :; do
    now=$(api GET "/v1/jobs/$fo" 200)
    if [ -z "$moved" ] && jq -e --arg v "$victim" '.status == "running" and .node != $v' <<<"$now" >/dev/null; then
        moved=$(($(now_ms) - t_kill))
        echo "job $fo running again on $(jq -r .node <<<"$now") at epoch $(jq .epoch <<<"$now"), $(secs "$moved") s after the kill"
    fi
    [ "$(jq -r .status <<<"$now")" = running ] || [ "$(jq -r .status <<<"$now")" = queued ] || break
    [ $SECONDS -lt $deadline ] || fail "job $fo not finished 60 s after the kill: $now"
    sleep 0.2
done
jq -e --arg v "$victim" '.status == "succeeded" and .node != $v and (.node | test("^node[123]$"))' <<<"$now" >/dev/null ||
    fail "job $fo after the kill of $victim: $now"
[ -n "$moved" ] || echo "(job $fo finished between two looks, never seen running on its new node)"
echo "job $fo: $(jq -c '{status, epoch, node}' <<<"$now"), $(secs $(($(now_ms) - t_kill))) s after the kill"
# Every epoch once in its history, in pages of 1000.
after=0
: >"$WORK/fo-epochs"
while :; do
    page=$(api GET "/v1/jobs/$fo/history?limit=1000&after_epoch=$after" 200)
    jq -r '.items[].epoch' <<<"$page" >>"$WORK/fo-epochs"
    after=$(jq -r .next_after_epoch <<<"$page")
    [ "$after" != null ] || break
done
seq "$epochs" | cmp -s - "$WORK/fo-epochs" ||
    fail "job $fo's history is not epochs 1..$epochs once each: $(wc -l <"$WORK/fo-epochs") rows, $(sort -n "$WORK/fo-epochs" | uniq -d | wc -l) repeated"
echo "history of job $fo: epochs 1..$epochs, each once"
api POST "/v1/models/$fo_model/predict" 200 '{"inputs":[[0.1,0.2],[-0.5,0.3]]}' >/dev/null
wait "$watcher" || fail "the event watcher failed"
# The watch, through nginx: the first epoch came while the job ran (not
# held until it ended), it went on past the kill (a stream broken with
# its node taken up again with Last-Event-ID), and ended with the end.
jq -e '(.events | map(select(.event == "epoch")) | length) > 0 and .end.status == "succeeded"' \
    "$WORK/fo-events.json" >/dev/null || fail "the live events of job $fo: $(jq -c '{n: (.events | length), reconnects, end: .end.status}' "$WORK/fo-events.json")"
# Unbuffered: the epochs came as they were trained, over many seconds of
# the job's life, not in a few bursts (nginx buffers 4 KiB, about 20
# epochs, before it sends a buffered reply on).
live_s=$(jq '[.events[] | select(.event == "epoch") | .t | floor] | unique | length' "$WORK/fo-events.json")
jq -r --argjson s "$live_s" '"live events through nginx: \(.events | length) events, epochs arriving in \($s) different seconds, end at \(.events[-1].t) s, reconnections: \(.reconnects | tostring)"' "$WORK/fo-events.json"
[ "$live_s" -ge 5 ] || fail "the live epochs came in $live_s different seconds only: buffered?"
# nginx logs a request it retried on another node with both addresses.
nginx_log
retried=$(grep -c " up=${NODE_IP[$victim]}:8080, " "$WORK/nginx.log" || true)
failed=$(grep -cE '" 50[234] ' "$WORK/nginx.log" || true)
echo "nginx: $retried requests met the dead $victim and went to another node; $failed answered 502/503/504"
[ "$retried" -ge 1 ] || fail "no request through nginx met the dead node $victim: proxy_next_upstream untested"
[ "$failed" = 0 ] || fail "nginx answered $failed requests with 502/503/504"

phase "malformed and slow HTTP, answered by nginx"
mark=probe$$
python3 tools/docker-probe.py probes 127.0.0.1 "$KPORT" "$mark" >"$WORK/probes.json"
nginx_log
while read -r probe want logged; do
    got=$(jq -r --arg p "$probe" 'select(.probe == $p) | "\(.status)|\(.closed_after_s)"' "$WORK/probes.json")
    line=$(grep -F "$mark" "$WORK/nginx.log" | grep -F -- "-$logged" || true)
    echo "$probe: answered '${got%|*}', closed after ${got#*|} s; nginx log: ${line:-none}"
    case "$want" in
        408) [[ "${got%|*}" == "" || "${got%|*}" == "HTTP/1.1 408"* ]] || fail "$probe answered '${got%|*}'"
             awk -v t="${got#*|}" -v max=$((BODY_TIMEOUT_S + 3)) 'BEGIN { exit !(t >= 5 && t <= max) }' ||
                 fail "$probe closed after ${got#*|} s" ;;
        *) [[ "${got%|*}" == "HTTP/1.1 $want "* ]] || fail "$probe answered '${got%|*}', not $want" ;;
    esac
    grep -qE "\" $want [0-9]+ .* up=- " <<<"$line" || fail "nginx did not log $probe as $want, answered itself: ${line:-no line}"
done <<'EOF'
header_without_colon 400 nocolon
http11_without_host 400 nohost
negative_length 400 badlength
two_lengths 400 twolengths
garbage_request_line 400 garbage
unknown_version 505 version
body_too_large 413 toolarge
slow_headers 408 slowheaders
slow_body 408 slowbody
EOF
for svc in node1 node2 node3; do
    [ "$svc" = "$victim" ] && continue
    if "$DOCKER" logs "${NODE_CID[$svc]}" 2>&1 | grep -qF "$mark"; then
        fail "a probe reached $svc: $("$DOCKER" logs "${NODE_CID[$svc]}" 2>&1 | grep -F "$mark" | head -n 3)"
    fi
done
echo "no probe reached a node (no $mark in their logs)"

phase "docker-compose down -v (cluster)"
t0=$(now_ms)
kcompose down -v
! "$DOCKER" volume inspect "${KPROJECT}_pg-data" >/dev/null 2>&1 || fail "docker-compose down -v left volume ${KPROJECT}_pg-data"
[ -z "$("$DOCKER" ps -aq --filter "label=com.docker.compose.project=$KPROJECT")" ] || fail "containers of $KPROJECT left"
echo "docker-compose down -v in $(secs $(($(now_ms) - t0))) s: containers, network and volume ${KPROJECT}_pg-data gone"
