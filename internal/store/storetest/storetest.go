// Package storetest gives tests a migrated store on every database the
// product supports: SQLite always, PostgreSQL whenever one is reachable
// (see internal/pgtest; MARKET4_REQUIRE_POSTGRES=1 makes its absence fail).
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/market4/market4/internal/pgtest"
	"github.com/market4/market4/internal/store"
)

// Main must be called from TestMain of any package using PostgreSQL stores,
// so a throwaway cluster is stopped when the tests end.
func Main(m *testing.M) { pgtest.Main(m) }

// Open returns a freshly migrated, empty store of dialect d, closed when the
// test ends.
func Open(tb testing.TB, d store.Dialect) *store.Store {
	tb.Helper()
	ctx := context.Background()
	var dsn string
	switch d {
	case store.SQLite:
		dsn = filepath.Join(tb.TempDir(), "test.db")
	case store.Postgres:
		dsn = PostgresURL(tb)
	default:
		tb.Fatalf("unknown dialect %q", d)
	}
	st, err := store.Open(ctx, dsn, store.Options{MaxOpenConns: 32})
	if err != nil {
		tb.Fatalf("open %s store: %v", d, err)
	}
	tb.Cleanup(func() { st.Close() })
	if d == store.SQLite {
		if _, err := st.MigrateUp(ctx); err != nil {
			tb.Fatalf("migrate sqlite: %v", err)
		}
	}
	return st
}

// PostgresURL returns the URL of a fresh, migrated PostgreSQL database
// (cloned from a template migrated once per test binary), for tests that
// run the product as separate processes.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	return pgtest.NewDatabase(tb, "market4", func(ctx context.Context, url string) error {
		st, err := store.Open(ctx, url, store.Options{MaxOpenConns: 2})
		if err != nil {
			return err
		}
		defer st.Close()
		_, err = st.MigrateUp(ctx)
		return err
	})
}

// Dialects are the databases every contract test runs on.
var Dialects = []store.Dialect{store.SQLite, store.Postgres}

// Each runs fn as a subtest on a fresh store of every dialect.
func Each(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) { fn(t, Open(t, d)) })
	}
}
