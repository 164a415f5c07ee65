# Sesame in a container: the `sesame` binary and its component, nothing else.
#
#   docker build -t sesame .
#   docker run -p 8080:8080 -e SESAME_STORE=postgres://sesame:pw@db:5432/sesame sesame
#
# Stage 1 builds the component (wasm32-wasip2) and the host; stage 2 is a slim Debian with
# the two files. The binary links no TLS library and SQLite is bundled, so the runtime
# image needs only libc.

FROM rust:1.95-bookworm AS build
WORKDIR /src
RUN rustup target add wasm32-wasip2
COPY . .
RUN cargo build --locked --release --target wasm32-wasip2 -p sesame-guest \
 && cargo build --locked --release -p sesame-host \
 && cp target/release/sesame target/wasm32-wasip2/release/sesame_guest.wasm /

FROM debian:bookworm-slim
RUN useradd --system --home-dir /var/lib/sesame --create-home sesame
COPY --from=build /sesame /usr/local/bin/sesame
# `sesame` looks for `sesame.wasm` beside its executable.
COPY --from=build /sesame_guest.wasm /usr/local/bin/sesame.wasm
USER sesame
WORKDIR /var/lib/sesame
# Not loopback, so cookies are marked Secure: put a TLS-terminating proxy in front.
ENV SESAME_LISTEN=0.0.0.0:8080 \
    SESAME_STORE=/var/lib/sesame/sesame.db \
    SESAME_CACHE_DIR=/var/lib/sesame/cache
VOLUME /var/lib/sesame
EXPOSE 8080
ENTRYPOINT ["sesame"]
CMD ["serve"]
