//go:build tools

// Package compose pins the Docker Compose v2 CLI plugin that validates
// deploy/docker-compose.yml (scripts/ensure-compose.sh builds it). It is its
// own module so compose's many dependencies stay out of ktrdr's go.mod.
package compose

import _ "github.com/docker/compose/v2/cmd"
