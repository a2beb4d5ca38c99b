# One image per binary, each with only the runtime packages that binary needs
# (k8s/image/runtime-packages, checked by ctest k8s_runtime_packages):
#   docker build --build-arg BINARY=gateway -t messenger-gateway .
#   BINARY: gateway, auth-service, session-service, profile-service,
#           contact-service, messaging-service
# See k8s/README.md ("Images").

# Build stage: the scripts the README uses install the build dependencies
# and build Release with -j2 (scripts/lib.sh: install_deps, configure, compile).
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/lib.sh scripts/lib.sh
RUN bash -c 'source scripts/lib.sh && install_deps' && rm -rf /var/lib/apt/lists/*
COPY . .
RUN bash -c 'source scripts/lib.sh && configure /src/build -DMESSENGER_BUILD_TESTS=OFF \
      -DMESSENGER_BUILD_BENCH=OFF && for t in gateway auth-service session-service \
      profile-service contact-service messaging-service; do compile /src/build "$t"; done' \
 && strip build/gateway/gateway build/*-service/*-service

# Runtime: Debian bookworm (slim), the binary's packages, a non-root user.
FROM debian:bookworm-slim
ARG BINARY
COPY k8s/image/runtime-packages /tmp/runtime-packages
RUN set -eu; \
    test -n "${BINARY:-}" || { echo "--build-arg BINARY=<binary> is required" >&2; exit 1; }; \
    pkgs="$(sed -e 's/#.*//' /tmp/runtime-packages | sed -n -e 's/^all://p' -e "s/^${BINARY}://p")"; \
    grep -q "^${BINARY}:" /tmp/runtime-packages || { echo "no line for ${BINARY}" >&2; exit 1; }; \
    apt-get update -qq; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs; \
    rm -rf /var/lib/apt/lists/* /tmp/runtime-packages; \
    groupadd --system --gid 10001 messenger; \
    useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin messenger; \
    install -d -o 10001 -g 10001 /var/lib/messenger
COPY --from=build /src/build/${BINARY}/${BINARY} /usr/local/bin/${BINARY}
RUN ln -s "/usr/local/bin/${BINARY}" /usr/local/bin/messenger-entrypoint
ENV MESSENGER_DATA_DIR=/var/lib/messenger
USER 10001:10001
WORKDIR /var/lib/messenger
ENTRYPOINT ["/usr/local/bin/messenger-entrypoint"]
