package store

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"

	"github.com/market4/market4/migrations"
)

func (s *Store) provider() (*goose.Provider, error) {
	dir, dialect := "postgres", database.DialectPostgres
	if s.dialect == SQLite {
		dir, dialect = "sqlite", database.DialectSQLite3
	}
	sub, err := fs.Sub(migrations.FS, dir)
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(dialect, s.SQL(), sub)
}

// MigrateUp applies every pending migration and returns how many it applied.
func (s *Store) MigrateUp(ctx context.Context) (int, error) {
	p, err := s.provider()
	if err != nil {
		return 0, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("migrate up: %w", err)
	}
	return len(res), nil
}

// MigrateDown rolls back the most recent migration.
func (s *Store) MigrateDown(ctx context.Context) error {
	p, err := s.provider()
	if err != nil {
		return err
	}
	_, err = p.Down(ctx)
	return err
}

// MigrateReset rolls back every migration.
func (s *Store) MigrateReset(ctx context.Context) error {
	p, err := s.provider()
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, 0)
	return err
}

// MigrationStatus describes one migration: its version, file and whether
// it has been applied.
type MigrationStatus struct {
	Version int64
	Source  string
	Applied bool
}

// Migrations lists every known migration with its state.
func (s *Store) Migrations(ctx context.Context) ([]MigrationStatus, error) {
	p, err := s.provider()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]MigrationStatus, len(st))
	for i, m := range st {
		out[i] = MigrationStatus{Version: m.Source.Version, Source: m.Source.Path, Applied: m.State == goose.StateApplied}
	}
	return out, nil
}

// Pending reports how many migrations are not applied yet; serve refuses to
// start on a database with pending migrations unless told to migrate.
func (s *Store) Pending(ctx context.Context) (int, error) {
	st, err := s.Migrations(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range st {
		if !m.Applied {
			n++
		}
	}
	return n, nil
}
