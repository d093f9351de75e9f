// Package strategies embeds the example strategy files shipped with ktrdr
// (the *.yaml files in this directory). internal/strategy serves them as
// its built-in catalog; a strategies directory on disk is layered over them.
package strategies

import "embed"

// FS holds every *.yaml file of this directory at its root.
//
//go:embed *.yaml
var FS embed.FS
