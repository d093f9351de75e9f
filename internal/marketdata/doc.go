// Package marketdata holds ktrdr's market-data business logic: OHLCV bars and
// series, timeframes, the CSV layouts ktrdr reads and writes (ktrdr and
// Yahoo), symbol and file-name rules, data-quality checks that turn raw rows
// into trusted bars with a report, and a deterministic synthetic bar
// generator.
//
// It has no HTTP and no I/O beyond io.Reader/io.Writer: the market-data host
// service, its cache and the data-load operation are built on top of it.
//
// The flow for a file is ReadCSV (syntax only: a malformed value is an
// error naming the line and column) followed by Check (semantics: bad rows
// are refused and reported, never silently used).
package marketdata
