# nginx in front of the neurond cluster (docker/compose.cluster.yaml):
# Debian bookworm's `nginx` on bookworm-slim with docker/nginx-cluster.conf
# as its whole configuration. The master process starts as root and its
# workers, which serve the traffic, run as www-data.
#
#   docker build -f docker/nginx.Dockerfile -t neurond-nginx .
#
# The base image is a build argument only so that `make docker-test` can
# build on a machine with no registry (see docker/Dockerfile).
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
ARG DEBIAN_FRONTEND=noninteractive
# policy-rc.d refuses to start the service while the package installs
# (`make docker-test` builds on the host's network, where it would listen).
RUN printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d \
    && chmod 755 /usr/sbin/policy-rc.d \
    && apt-get update \
    && apt-get install -y --no-install-recommends nginx \
    && apt-get clean && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d \
    && rm -f /etc/nginx/sites-enabled/default
COPY docker/nginx-cluster.conf /etc/nginx/nginx.conf
# The same few lines of bash as neurond's image, asking nginx itself.
COPY docker/healthcheck.sh /usr/local/bin/proxy-healthcheck
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/proxy-healthcheck", "/proxy-healthz"]
# SIGQUIT: nginx's graceful stop (requests in progress finish).
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
