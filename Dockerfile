# syntax=docker/dockerfile:1
# One image for every ktrdr role; the role is the command:
#   docker run -p 8000:8000 ktrdr:dev serve api --host 0.0.0.0
# deploy/docker-compose.yml runs the whole system from it.

# The exact toolchain of go.mod's go line: the golang image sets
# GOTOOLCHAIN=local, so an older (or stale cached) 1.26 would refuse to build.
FROM golang:1.26.8 AS build
WORKDIR /src
# Dependencies first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
# Static binary (no libc needed at run time), no local paths, no symbols.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/ktrdr/ktrdr/internal/buildinfo.version=${VERSION}" \
      -o /out/ktrdr ./cmd/ktrdr

# busybox rather than distroless: the binary needs nothing from the image,
# but a static image has no HTTP client, and ktrdr has no health-probe
# subcommand. busybox's wget lets Docker health checks hit the real GET
# /health (see deploy/docker-compose.yml) for about 1 MB more.
FROM busybox:1.37.0-musl
RUN echo 'nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin' >> /etc/passwd \
 && echo 'nonroot:x:65532:' >> /etc/group \
 && mkdir -p /data && chown 65532:65532 /data
# Where the API keeps its database, bars and models and the host service its
# cache; a volume mounted here starts with this ownership.
ENV KTRDR_DATA_DIR=/data
COPY --from=build /out/ktrdr /ktrdr
USER 65532:65532
# api, ib-host, training worker, backtest worker; collector OTLP gRPC/HTTP and query.
EXPOSE 8000 5001 5002 5003 4317 4318 16686
ENTRYPOINT ["/ktrdr"]
CMD ["--help"]
