// Package migrations embeds the goose SQL migrations, one folder per
// dialect, so the binary migrates any database it is pointed at.
package migrations

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
