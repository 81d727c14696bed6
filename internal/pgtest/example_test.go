package pgtest_test

import (
	"context"
	"database/sql"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/market4/market4/internal/pgtest"
)

// migrate stands in for the project's goose migrations.
func migrate(ctx context.Context, url string) error {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return err
	}
	defer db.Close() // the template cannot be cloned while connected
	_, err = db.ExecContext(ctx, `CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint NOT NULL)`)
	return err
}

func ExampleNewDatabase() {
	var t *testing.T // a test's t, in a package whose TestMain calls pgtest.Main
	url := pgtest.NewDatabase(t, "migrations", migrate)
	db, err := sql.Open("pgx", url) // or gorm.Open(postgres.Open(url), ...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // runs before pgtest drops the database
	// ... use db ...
}
