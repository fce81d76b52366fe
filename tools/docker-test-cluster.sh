# shellcheck shell=bash
# The cluster phases of `make docker-test`, sourced by tools/docker-test.sh
# once the single-container phases passed: its engine, its helpers (phase,
# fail, api, build_image, bounded, free_port, wait_ready, wait_job,
# readme_session) and its cleanup, which removes whatever is left here too.
#
# The cluster's images built from Debian's packages: PostgreSQL
# (docker/postgres.Dockerfile) and nginx (docker/nginx.Dockerfile, with
# docker/nginx-cluster.conf, which `nginx -t` checks in it);
# docker/compose.cluster.yaml checked with `docker-compose config` (its
# database password required) and a copy of it made with nginx's port on
# loopback, the images tagged with its names. Running it waits for the
# PostgreSQL store and the cluster's flags (--node-name, --lease-ms).

PG_IMAGE=neurond-postgres:docker-test
NGINX_IMAGE=neurond-nginx:docker-test

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
python3 - docker/compose.cluster.yaml "$KPORT" >"$WORK/compose.cluster.yaml" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
svc = doc["services"]["nginx"]
assert svc["ports"] == ["8080:8080"], "compose.cluster.yaml publishes %r, not 8080:8080" % svc["ports"]
svc["ports"] = ["127.0.0.1:%s:8080" % sys.argv[2]]
yaml.safe_dump(doc, sys.stdout, sort_keys=False)
PY
KCOMPOSE=(docker-compose --ansi never -f "$WORK/compose.cluster.yaml" --project-directory "$ROOT/docker" -p "$KPROJECT")
timeout 60 docker-compose -f docker/compose.cluster.yaml config >"$WORK/cluster-repo.yaml"
timeout 60 "${KCOMPOSE[@]}" config >"$WORK/cluster-test.yaml"
images=$(python3 - "$WORK/cluster-repo.yaml" "$WORK/cluster-test.yaml" "$KPORT" <<'PY'
import sys, yaml
repo, test = (yaml.safe_load(open(f)) for f in sys.argv[1:3])
assert repo["services"]["nginx"].pop("ports") == [{"published": 8080, "target": 8080}]
assert test["services"]["nginx"].pop("ports") == ["127.0.0.1:%s:8080/tcp" % sys.argv[3]]
assert repo == test, "the copy differs from docker/compose.cluster.yaml in more than its port"
assert sorted(test["services"]) == ["nginx", "node1", "node2", "node3", "postgres"]
for name in ("node1", "node2", "node3"):
    assert "ports" not in test["services"][name], name + " is published"
s = test["services"]
print(s["node1"]["image"], s["postgres"]["image"], s["nginx"]["image"])
PY
) || fail "the test's copy of docker/compose.cluster.yaml differs from it in more than the port"
read -r node_image pg_image nginx_image <<<"$images"
# shellcheck disable=SC2153 # IMAGE: docker-test.sh's neurond image
"$DOCKER" tag "$IMAGE" "$node_image"
"$DOCKER" tag "$PG_IMAGE" "$pg_image"
"$DOCKER" tag "$NGINX_IMAGE" "$nginx_image"
echo "docker/compose.cluster.yaml as project $KPROJECT, nginx's 8080 on 127.0.0.1:$KPORT; images $images"
