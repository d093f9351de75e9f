// Package sample embeds the repository's sample market data so the binary
// can serve it from any working directory.
package sample

import "embed"

// FS holds SPX_1d.csv (see README.md in this directory).
//
//go:embed SPX_1d.csv
var FS embed.FS
