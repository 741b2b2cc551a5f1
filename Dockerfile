# syntax=docker/dockerfile:1
#
# Firebreak as a container: one static binary on an empty (scratch) image,
# running as a non-root user, with the bbolt database on a volume.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#                --build-arg COMMIT=$(git rev-parse HEAD) -t firebreak .
#   docker run -d --name firebreak -v firebreak-data:/data \
#     -e SLACK_APP_TOKEN=xapp-… -e SLACK_BOT_TOKEN=xoxb-… -p 9090:9090 firebreak
#
# The final image holds only the binary (time zones embedded), CA
# certificates for Slack and GitHub, a passwd entry for the non-root user,
# and one static busybox (the musl variant is statically linked) used only
# by HEALTHCHECK to GET /healthz: there is no shell, curl or wget otherwise.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Dependencies first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/firebreak ./cmd/firebreak \
 && /out/firebreak version \
 && mkdir -p /out/data/postmortems /out/etc \
 && echo 'nonroot:x:65532:65532:nonroot:/data:/sbin/nologin' > /out/etc/passwd \
 && echo 'nonroot:x:65532:' > /out/etc/group

FROM busybox:1.36-musl AS busybox

FROM scratch
ARG VERSION=dev
ARG COMMIT=unknown
LABEL org.opencontainers.image.title="firebreak" \
      org.opencontainers.image.description="Incident response bot for Slack" \
      org.opencontainers.image.source="https://github.com/firebreak-hq/firebreak" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}"
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/etc/passwd /out/etc/group /etc/
COPY --from=busybox /bin/busybox /usr/local/bin/busybox
COPY --from=build /out/firebreak /firebreak
# The volume's mount point must belong to the nonroot user (65532): a new
# named volume copies this ownership, and bbolt needs to create its file.
COPY --from=build --chown=65532:65532 /out/data /data
# The HTTP port is bound on every interface so the orchestrator can probe
# it: /freeze gives incident numbers and severities only (titles need
# FIREBREAK_FREEZE_DETAILS=true), and setting FIREBREAK_HTTP_TOKEN puts
# /metrics behind a bearer token.
ENV FIREBREAK_DB=/data/firebreak.db \
    FIREBREAK_POSTMORTEM_DIR=/data/postmortems \
    FIREBREAK_HTTP_ADDR=0.0.0.0:9090
VOLUME ["/data"]
WORKDIR /data
EXPOSE 9090
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/busybox", "wget", "-q", "-T", "4", "-O", "/dev/null", "http://127.0.0.1:9090/healthz"]
ENTRYPOINT ["/firebreak"]
CMD ["run"]
