# syntax=docker/dockerfile:1
# Basalt's container image: basalt-server (also basalt-sentinel), the
# Kubernetes entrypoint, the backup script, redis-cli and basalt-check.
#
#   docker build -t basalt:0.1.0 .          (or: podman build / buildah bud)
#
# Two stages: the build on debian:12 with the packages scripts/install-deps
# installs for the build (no test, fuzz or benchmark tools), the runtime on
# debian:12-slim with only the shared libraries the binary links. Without a
# container daemon or registry, scripts/build-image-offline (make image)
# assembles an equivalent image from an existing build/basalt-server.
# docs/operations.md, "The image".

ARG DEBIAN_IMAGE=debian:12
ARG DEBIAN_SLIM_IMAGE=debian:12-slim

FROM ${DEBIAN_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ cmake ninja-build make pkg-config \
      libjemalloc-dev libxxhash-dev liblzf-dev \
      liblua5.1-0-dev lua-cjson-dev lua-bitop-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY src ./src
COPY scripts ./scripts
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBASALT_TESTS=OFF \
 && cmake --build build --target basalt-server -j "$(nproc)" \
 && strip build/basalt-server \
 && build/basalt-server --version

FROM ${DEBIAN_SLIM_IMAGE} AS runtime
# The libraries basalt-server links (ldd build/basalt-server): jemalloc, LZF,
# OpenSSL 3, xxHash, libstdc++ (Lua is linked statically). tini is PID 1: it
# forwards SIGTERM to the server, which saves its dataset and exits, and reaps
# children. redis-tools brings redis-cli (exec probes, the backup job, manual
# work) and redis-check-rdb (the backup's check); python3-redis runs
# basalt-check.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libjemalloc2 liblzf1 libssl3 libxxhash0 libstdc++6 \
      tini redis-tools python3 python3-redis ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 basalt \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin basalt \
 && install -d -o 10001 -g 10001 -m 0750 /data

COPY --from=build /src/build/basalt-server /usr/local/bin/basalt-server
COPY deploy/docker/entrypoint.sh /usr/local/bin/basalt-entrypoint
COPY deploy/docker/backup.sh /usr/local/bin/basalt-backup
COPY scripts/basalt-check /usr/local/bin/basalt-check
RUN ln -s basalt-server /usr/local/bin/basalt-sentinel \
 && chmod 0755 /usr/local/bin/basalt-entrypoint /usr/local/bin/basalt-backup \
      /usr/local/bin/basalt-check

LABEL org.opencontainers.image.title="basalt" \
      org.opencontainers.image.description="Redis-compatible server and sentinel (basalt-server, basalt-sentinel)" \
      org.opencontainers.image.licenses="" \
      org.opencontainers.image.source="https://example.invalid/basalt"

USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 6379 26379 9121
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/basalt-entrypoint"]
CMD ["server"]
