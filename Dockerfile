# syntax=docker/dockerfile:1
# Build: a static, pure-Go binary (the SQLite driver needs no cgo).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/market4 ./cmd/market4 \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/mockbank ./cmd/mockbank \
 && mkdir -p /out/data

# Run: no shell, no package manager, a non-root user (65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/market4 /out/mockbank /usr/local/bin/
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
USER 65532:65532
ENV MARKET4_ADDR=:8080 MARKET4_DATABASE_URL=/data/market4.db
EXPOSE 8080
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/market4"]
CMD ["serve", "--migrate"]
