# keyward in a container: one binary, a user of its own, its data in the /data volume.
#
#   docker build -t keyward .
#   docker run --rm -v keyward-data:/data keyward bootstrap --tenant acme --admin alice
#   docker run -d --name keyward -p 127.0.0.1:8080:8080 -v keyward-data:/data \
#     -e KEYWARD_PUBLIC_URL=https://keyward.example.com keyward
#
# Settings are KEYWARD_* variables (docs/configuration.md); give a cluster's server key
# as KEYWARD_SERVER_KEY from a secret, never in this file. keyward shuts down gracefully
# on SIGTERM within shutdown_grace_seconds (10 s): stop it with `docker stop -t 30`.

FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
# Templates, translations, static files and migrations are compiled into the binary.
RUN cargo build --release --locked -p keyward

FROM debian:bookworm-slim
# curl for the health check only.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --user-group --uid 10001 --home-dir /data --shell /usr/sbin/nologin keyward \
 && install -d -m 0700 -o keyward -g keyward /data
COPY --from=build /src/target/release/keyward /usr/local/bin/keyward
USER keyward
ENV KEYWARD_DATA_DIR=/data \
    KEYWARD_LISTEN=0.0.0.0:8080
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/local/bin/keyward"]
CMD ["serve"]
