// Package store persists the product in PostgreSQL (production) or SQLite
// (the embedded default) through gorm. It is the only package that imports
// gorm; it implements app.Store, translates database errors into *errs.Error
// values by constraint name, and keeps business rules out.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
)

// Dialect names the database engine behind a Store.
type Dialect string

// The two supported engines.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// DialectOf tells from a MARKET4_DATABASE_URL which engine it names:
// postgres:// and postgresql:// URLs (or key=value DSNs with host=) are
// PostgreSQL; anything else is a SQLite file path.
func DialectOf(dsn string) Dialect {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") || strings.Contains(dsn, "host=") {
		return Postgres
	}
	return SQLite
}

// Store implements app.Store.
type Store struct {
	db      *gorm.DB
	dialect Dialect
}

var _ app.Store = (*Store)(nil)
var _ app.Tx = (*repo)(nil)

// Options tune the connection pool.
type Options struct {
	MaxOpenConns int // PostgreSQL pool size; 0 means 16
}

// Open connects to dsn. SQLite files are opened in WAL mode with a busy
// timeout, foreign keys on and IMMEDIATE transactions, so concurrent
// writers queue instead of failing with "database is locked".
func Open(ctx context.Context, dsn string, opt Options) (*Store, error) {
	cfg := &gorm.Config{
		SkipDefaultTransaction: true,
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return time.Now().UTC() },
		PrepareStmt:            false,
	}
	d := DialectOf(dsn)
	var dial gorm.Dialector
	switch d {
	case Postgres:
		dial = postgres.New(postgres.Config{DSN: dsn})
	default:
		dial = sqlite.Open(sqliteDSN(dsn))
	}
	db, err := gorm.Open(dial, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", d, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	if d == Postgres {
		n := opt.MaxOpenConns
		if n <= 0 {
			n = 16
		}
		sqlDB.SetMaxOpenConns(n)
		sqlDB.SetMaxIdleConns(n)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	} else {
		sqlDB.SetMaxOpenConns(8)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("connect to %s database: %w", d, err)
	}
	return &Store{db: db, dialect: d}, nil
}

func sqliteDSN(path string) string {
	if strings.Contains(path, "?") {
		return path
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return path + "?" + q.Encode()
}

// Dialect reports the engine in use.
func (s *Store) Dialect() Dialect { return s.dialect }

// SQL returns the underlying *sql.DB (for migrations and tools).
func (s *Store) SQL() *sql.DB {
	db, _ := s.db.DB()
	return db
}

// Close closes the connection pool.
func (s *Store) Close() error { return s.SQL().Close() }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.SQL().PingContext(ctx) }

// Read returns a repository that runs each call on its own.
func (s *Store) Read() app.Tx { return &repo{db: s.db, dialect: s.dialect} }

// maxAttempts bounds InTx retries of serialization failures and deadlocks.
const maxAttempts = 5

// InTx runs fn in one transaction, re-running it on serialization failure,
// deadlock or a busy SQLite database, up to maxAttempts times with a short
// jittered backoff.
func (s *Store) InTx(ctx context.Context, fn func(app.Tx) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return fn(&repo{db: tx, dialect: s.dialect, inTx: true})
		})
		if err == nil || attempt >= maxAttempts || !retryable(err) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt*attempt) * 2 * time.Millisecond):
		}
	}
	return translate(err)
}

func retryable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "40001" || pg.Code == "40P01"
	}
	var sl interface{ Code() int }
	if errors.As(err, &sl) {
		c := sl.Code() & 0xff
		return c == 5 || c == 6 // SQLITE_BUSY, SQLITE_LOCKED
	}
	return false
}

// repo implements app.Tx over a *gorm.DB that is either a transaction or
// the pool.
type repo struct {
	db      *gorm.DB
	dialect Dialect
	inTx    bool
}

func (r *repo) q(ctx context.Context) *gorm.DB { return r.db.WithContext(ctx) }

// forUpdate adds FOR UPDATE on PostgreSQL; SQLite has no row locks and
// serialises writers with IMMEDIATE transactions instead.
func (r *repo) forUpdate(db *gorm.DB, lock bool) *gorm.DB {
	if lock && r.dialect == Postgres {
		return db.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return db
}

// conflict describes a unique constraint as the field a client got wrong.
type conflict struct{ field, msg string }

// uniqueConstraints maps constraint names (as in the migrations) to the
// request field they protect.
var uniqueConstraints = map[string]conflict{
	"users_phone_key":    {"phone", "is already registered"},
	"districts_name_key": {"name", "a district with this name already exists in the province"},
	"markets_name_key":   {"name", "a market with this name already exists in the district"},
	"stalls_number_key":  {"stall_number", "is already taken in this market"},

	// OCOP (migration 00003)
	"producers_tax_code_key":    {"tax_code", "is already registered to another producer"},
	"products_gtin_key":         {"gtin", "is already used by another product"},
	"certificates_decision_key": {"decision_number", "this product already has a certificate with this decision number"},
	"lots_code_key":             {"code", "this product already has a lot with this code"},
	"lots_ref_key":              {"ref", "clashes with another lot's public reference"},

	// Product photos (migration 00005)
	"product_images_sha_key": {"image", "this product already has this photo"},
}

// sqliteUnique maps SQLite's "UNIQUE constraint failed: <columns>" text to
// constraint names: SQLite reports columns, not constraint names, so this
// is the one place the store reads an error message.
var sqliteUnique = map[string]string{
	"users.phone":                           "users_phone_key",
	"districts.province, districts.name":    "districts_name_key",
	"markets.district_id, markets.name":     "markets_name_key",
	"stalls.market_id, stalls.stall_number": "stalls_number_key",

	// OCOP (migration 00003)
	"producers.tax_code": "producers_tax_code_key",
	"products.gtin":      "products_gtin_key",
	"certificates.product_id, certificates.decision_number": "certificates_decision_key",
	"lots.product_id, lots.code":                            "lots_code_key",
	"lots.ref":                                              "lots_ref_key",

	// Product photos (migration 00005)
	"product_images.product_id, product_images.sha256": "product_images_sha_key",
}

// translate turns driver errors into *errs.Error; *errs.Error values and
// nil pass through.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return errs.Wrap(errs.Unavailable, err, "request canceled or timed out")
	}
	if name, ok := uniqueViolation(err); ok {
		if c, ok := uniqueConstraints[name]; ok {
			return &errs.Error{Code: errs.Conflict, Message: c.field + " " + c.msg, Fields: []errs.FieldError{{Field: c.field, Message: c.msg}}, Err: err}
		}
		return errs.Wrap(errs.Conflict, err, "conflicts with an existing record")
	}
	return errs.Wrap(errs.Internal, err, "database error")
}

func uniqueViolation(err error) (string, bool) {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.ConstraintName, pg.Code == "23505"
	}
	var sl interface{ Code() int }
	if errors.As(err, &sl) && sl.Code() == 2067 { // SQLITE_CONSTRAINT_UNIQUE
		msg := err.Error()
		if i := strings.Index(msg, "UNIQUE constraint failed: "); i >= 0 {
			cols := msg[i+len("UNIQUE constraint failed: "):]
			if j := strings.Index(cols, " ("); j >= 0 {
				cols = cols[:j]
			}
			return sqliteUnique[cols], true
		}
		return "", true
	}
	return "", false
}

// notFound maps gorm's missing-row error to NotFound naming the resource.
func notFound(err error, what string) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return errs.E(errs.NotFound, "no such %s", what)
	}
	return translate(err)
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// page applies keyset pagination ordered by id.
func page(db *gorm.DB, p app.Page) *gorm.DB {
	if p.After != "" {
		db = db.Where("id > ?", p.After)
	}
	return db.Order("id").Limit(p.Limit)
}
