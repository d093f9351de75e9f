#!/usr/bin/env bash
# Ensures `docker compose` works on a machine that has only the docker CLI
# client: builds the Compose v2 CLI plugin pinned in tools/compose/go.mod from
# the Go module proxy (once; the binary is cached by version) and links it
# into the docker CLI's plugin directory. Nothing here needs a container
# engine: the plugin is used to validate deploy/docker-compose.yml.
#
# Prints the plugin's path on stdout; everything else goes to stderr.
# Idempotent: a second run only checks the link.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
log() { echo "ensure-compose: $*" >&2; }

# The version comes from the tools module, so bumping it there is enough.
version="$(go -C "$root/tools/compose" list -m -f '{{.Version}}' github.com/docker/compose/v2)"
cache_dir="$HOME/.cache/ktrdr"
bin="$cache_dir/docker-compose-$version"

if [[ ! -x "$bin" ]]; then
  log "building docker compose $version into $bin (a few minutes on a cold build cache)"
  mkdir -p "$cache_dir"
  # Build next to the target and rename, so an interrupted build never
  # leaves a half-written binary that a later run would take as done.
  tmp="$(mktemp "$bin.XXXXXX")"
  trap 'rm -f "$tmp"' EXIT
  start=$SECONDS
  # Same flags as compose's own Makefile; internal.Version is what
  # `docker compose version` reports.
  CGO_ENABLED=0 go -C "$root/tools/compose" build -trimpath \
    -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$version" \
    -o "$tmp" github.com/docker/compose/v2/cmd
  chmod 0755 "$tmp"
  mv -f "$tmp" "$bin"
  trap - EXIT
  log "built in $((SECONDS - start))s"
else
  log "using cached $bin"
fi

# The docker CLI looks for plugins in $DOCKER_CONFIG/cli-plugins
# (default ~/.docker/cli-plugins).
plugin_dir="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
link="$plugin_dir/docker-compose"
mkdir -p "$plugin_dir"
if [[ -e "$link" && ! -L "$link" ]]; then
  # A plugin installed some other way (a package, Docker Desktop) is the
  # user's choice; any Compose v2 validates the file the same way.
  log "leaving $link alone: it is not a link made by this script"
elif [[ "$(readlink "$link" 2>/dev/null || true)" != "$bin" ]]; then
  ln -sfn "$bin" "$link"
  log "linked $link -> $bin"
fi

echo "$bin"
