// Package pgtest gives each test its own freshly migrated PostgreSQL database, fast.
//
// Market4's tests run against a real PostgreSQL (CONVENTIONS.md, "Tests"). Migrating a
// new database for every test would cost seconds; instead each test process migrates
// one template database per template key, and every test gets a copy of it made by
// CREATE DATABASE ... TEMPLATE, which takes tens of milliseconds.
//
// Where the server comes from, in order:
//
//  1. MARKET4_TEST_DATABASE_URL (a postgres:// URL): that server is used; its database
//     is only used for administrative commands (CREATE/DROP DATABASE).
//  2. Otherwise a throwaway cluster is started once per test process from the local
//     initdb and postgres binaries (PATH, then /usr/lib/postgresql/*/bin, highest
//     version first). It listens only on a unix socket in a temporary directory, runs
//     with fsync off, and is stopped and deleted by [Main].
//  3. Otherwise the test is skipped, or fails when MARKET4_REQUIRE_POSTGRES=1 (set it
//     in CI so that PostgreSQL tests can never be skipped silently).
//
// Every package that uses pgtest must call [Main] from its TestMain (without it,
// NewDatabase and ServerURL fail the test and say so):
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// Typical use, with the migrations as the template's setup:
//
//	url := pgtest.NewDatabase(t, "migrations", func(ctx context.Context, url string) error {
//		return migrate(ctx, url) // must close its connections before returning
//	})
//	db, err := gorm.Open(postgres.Open(url), &gorm.Config{})
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Environment variables that configure pgtest.
const (
	// EnvURL names a PostgreSQL server to use instead of a throwaway cluster.
	EnvURL = "MARKET4_TEST_DATABASE_URL"
	// EnvRequire, when true ("1"), makes a missing PostgreSQL a test failure instead of a skip.
	EnvRequire = "MARKET4_REQUIRE_POSTGRES"
)

// Timeouts for work that is shared by the whole process, so it is not tied to the
// context of whichever test happened to trigger it.
const (
	setupTimeout = 5 * time.Minute
	adminTimeout = time.Minute
)

// howToEnable is appended to every "no PostgreSQL" message.
const howToEnable = "to run PostgreSQL tests set " + EnvURL +
	"=postgres://USER@HOST:5432/DB?sslmode=disable (the user needs CREATEDB), " +
	"or install the PostgreSQL server binaries (initdb, postgres) in PATH or /usr/lib/postgresql/*/bin"

var (
	// mainCalled is set by Main; without it nothing would stop the cluster or drop templates.
	mainCalled atomic.Bool

	stateOnce sync.Once
	state     struct {
		srv *server
		err error
		// unavailable means there is no server at all (skip unless required), as
		// opposed to a server that was asked for and is broken (always fail).
		unavailable bool
	}
)

// Main runs the package's tests, then stops the throwaway cluster (if one was started),
// drops this process's templates, and exits with the tests' exit code. Call it from
// TestMain in every package that uses pgtest:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	mainCalled.Store(true)
	code := m.Run()
	if err := shutdown(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: cleanup after tests: %v\n", err)
	}
	os.Exit(code)
}

// ServerURL returns the administrative URL of the PostgreSQL server in use, for tests
// that need the server itself rather than a database (prefer [NewDatabase]). It skips
// or fails the test when there is no server, as described in the package comment.
func ServerURL(tb testing.TB) string {
	tb.Helper()
	return acquire(tb).adminURL()
}

// NewDatabase returns the URL of a new database for this test, created from a template
// that setup prepared once per process (for example, by running the migrations). The
// database is dropped in tb.Cleanup, after any cleanups the test registers later (such
// as closing its connection pool); leftover connections are terminated.
//
// templateKey identifies setup: calls with the same key share one template and setup
// runs only for the first of them; concurrent callers wait for it. If setup fails, that
// call and every later call with the same key fail with the same error. setup receives
// the template's URL and must close every connection it opened before returning
// (connections still open are terminated). A nil setup gives an empty database.
//
// The URL is a postgres:// URL that both pgx and gorm.io/driver/postgres accept.
func NewDatabase(tb testing.TB, templateKey string, setup func(ctx context.Context, url string) error) string {
	tb.Helper()
	s := acquire(tb)
	tpl, err := s.template(templateKey, setup)
	if err != nil {
		tb.Fatalf("pgtest: template %q: %v", templateKey, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	name, err := s.clone(ctx, tpl)
	if err != nil {
		tb.Fatalf("pgtest: create test database from template %q: %v", templateKey, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
		defer cancel()
		if err := s.dropDatabase(ctx, name, false); err != nil {
			tb.Errorf("pgtest: drop test database %s: %v", name, err)
		}
	})
	return s.url(name)
}

// acquire returns the process's server, starting it on first use, or ends the test.
func acquire(tb testing.TB) *server {
	tb.Helper()
	if !mainCalled.Load() {
		tb.Fatal("pgtest: this package has no TestMain calling pgtest.Main; add\n" +
			"\tfunc TestMain(m *testing.M) { pgtest.Main(m) }\n" +
			"so that the PostgreSQL cluster and templates are cleaned up when the tests end")
	}
	stateOnce.Do(func() {
		state.srv, state.unavailable, state.err = openServer()
	})
	if state.err == nil {
		return state.srv
	}
	if state.unavailable {
		fatal, msg := unavailable(os.Getenv(EnvRequire), state.err)
		if fatal {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	tb.Fatalf("pgtest: %v", state.err)
	return nil
}

// unavailable decides how a test reacts when no PostgreSQL server can be used: skip it,
// unless require (the value of MARKET4_REQUIRE_POSTGRES) asks for a failure. Any value
// that does not parse as false counts as a request, so that a typo in CI fails loudly
// rather than skipping quietly.
func unavailable(require string, reason error) (fatal bool, msg string) {
	fatal = false
	if require != "" {
		b, err := strconv.ParseBool(require)
		fatal = err != nil || b
	}
	msg = fmt.Sprintf("pgtest: no PostgreSQL server: %v; %s; set %s=1 to make this a failure instead of a skip",
		reason, howToEnable, EnvRequire)
	if fatal {
		msg = fmt.Sprintf("pgtest: no PostgreSQL server, and %s=%s requires one: %v; %s",
			EnvRequire, require, reason, howToEnable)
	}
	return fatal, msg
}

// source is where the server comes from.
type source int

const (
	sourceNone    source = iota // nothing usable: skip or fail
	sourceURL                   // MARKET4_TEST_DATABASE_URL
	sourceCluster               // throwaway cluster from local binaries
)

// chooseSource applies the precedence rules: an explicit URL wins, then local binaries
// (binDir is where initdb and postgres were found, "" if nowhere).
func chooseSource(envURL, binDir string) source {
	switch {
	case envURL != "":
		return sourceURL
	case binDir != "":
		return sourceCluster
	default:
		return sourceNone
	}
}

// errNoServer is the reason given when neither a URL nor binaries are available.
var errNoServer = errors.New(EnvURL + " is not set and no initdb/postgres binaries were found")

// openServer finds or starts the server. unavailable reports that there is none (the
// test may be skipped); other errors mean a server was found but does not work.
func openServer() (s *server, unavailable bool, err error) {
	envURL := os.Getenv(EnvURL)
	binDir := ""
	if envURL == "" {
		binDir = findBinaries(os.Getenv("PATH"), binGlob)
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	switch chooseSource(envURL, binDir) {
	case sourceURL:
		s, err = connectURL(ctx, envURL)
		if err != nil {
			// Asked for explicitly, so a broken server is a failure, never a skip.
			return nil, false, fmt.Errorf("%s: %w", EnvURL, err)
		}
		return s, false, nil
	case sourceCluster:
		c, err := startCluster(ctx, binDir)
		if err != nil {
			// The binaries exist but cannot run here (e.g. root without a postgres user):
			// treat like having no server, so MARKET4_REQUIRE_POSTGRES decides.
			return nil, true, fmt.Errorf("throwaway cluster from %s: %w", binDir, err)
		}
		s, err = connectCluster(ctx, c)
		if err != nil {
			c.stop()
			return nil, true, fmt.Errorf("throwaway cluster from %s: %w", binDir, err)
		}
		return s, false, nil
	default:
		return nil, true, errNoServer
	}
}

// shutdown releases what the process started: templates, connections, the cluster.
func shutdown() error {
	var srv *server
	// Stop any later acquire from starting a server after we are done.
	stateOnce.Do(func() { state.unavailable, state.err = false, errors.New("pgtest: tests have ended") })
	srv = state.srv
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	return srv.close(ctx)
}
