// Package buildinfo tells which version of ktrdr is running.
package buildinfo

import (
	"os"
	"runtime/debug"
)

// version is set at link time: -ldflags "-X github.com/ktrdr/ktrdr/internal/buildinfo.version=v1.2.3".
var version = ""

// Version is APP_VERSION when set (deployments pin it), else the link-time
// version, else the module version Go recorded, else "dev".
func Version() string {
	if v := os.Getenv("APP_VERSION"); v != "" {
		return v
	}
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
