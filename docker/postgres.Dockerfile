# PostgreSQL for the neurond cluster (docker/compose.cluster.yaml): Debian
# bookworm's `postgresql` package (PostgreSQL 15) on bookworm-slim, its data
# in the /var/lib/postgresql/data volume, created by initdb at the first
# start (docker/postgres-start.sh).
#
#   docker build -f docker/postgres.Dockerfile -t neurond-postgres .
#   docker run -e POSTGRES_PASSWORD=… -v pg-data:/var/lib/postgresql/data neurond-postgres
#
# The base image is a build argument only so that `make docker-test` can
# build on a machine with no registry (see docker/Dockerfile).
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
ARG DEBIAN_FRONTEND=noninteractive
# No service starts while the packages install (policy-rc.d refuses them
# all): `make docker-test` builds on the host's network, where a server
# started by a postinst would listen on the host. postgresql-common first,
# told to make no cluster of its own: the data folder is the volume's,
# made at the first start.
RUN printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d \
    && chmod 755 /usr/sbin/policy-rc.d \
    && apt-get update \
    && apt-get install -y --no-install-recommends postgresql-common \
    && sed -ri 's/^#?\s*create_main_cluster\s*=.*/create_main_cluster = false/' \
        /etc/postgresql-common/createcluster.conf \
    && apt-get install -y --no-install-recommends postgresql \
    && apt-get clean && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d
# The server's own programs on PATH, whatever the major version; the data
# folder and the socket folder belong to the postgres user.
RUN for f in initdb pg_ctl postgres pg_isready psql; do \
        ln -s /usr/lib/postgresql/*/bin/$f /usr/local/bin/$f; \
    done \
    && install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data \
    && install -d -o postgres -g postgres -m 2775 /run/postgresql
COPY docker/postgres-start.sh /usr/local/bin/postgres-start
ENV PGDATA=/var/lib/postgresql/data \
    POSTGRES_USER=neurond \
    POSTGRES_DB=neurond
VOLUME /var/lib/postgresql/data
USER postgres
EXPOSE 5432
# Ready means accepting connections over TCP, as the nodes connect; while
# initdb's first start runs the server listens on its socket alone.
HEALTHCHECK --interval=2s --timeout=3s --start-period=30s --retries=5 \
    CMD ["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]
# SIGINT is PostgreSQL's fast shutdown (clients disconnected, a clean
# checkpoint); SIGTERM would wait for every client to leave.
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/postgres-start"]
