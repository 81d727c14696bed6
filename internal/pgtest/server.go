package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// namePrefix starts every database pgtest creates, so stale ones can be recognised.
const namePrefix = "m4t_"

// lockClass is the first key of the advisory lock each process holds on a shared
// server while it lives; the second key is the process's run id. A database whose run
// id has no lock holder belongs to a process that is gone, and may be swept.
const lockClass = 0x4d345447 // "M4TG"

// minVersion is the oldest server supported: DROP DATABASE ... WITH (FORCE) needs 13.
const minVersion = 130000

// staleName matches names made by server.newName and server.template, capturing the run id.
var staleName = regexp.MustCompile(`^m4t_[0-9]+_([0-9a-f]{8})_`)

// server is the PostgreSQL server used by this process.
type server struct {
	base    *url.URL      // admin URL; other databases differ only in the database name
	pool    *pgxpool.Pool // admin connections (CREATE/DROP DATABASE)
	lock    *pgx.Conn     // holds this run's advisory lock (see lockClass)
	cluster *cluster      // nil on a shared server
	version int           // server_version_num
	// strategy is CREATE DATABASE's STRATEGY (PostgreSQL 15+), "" for the server's default.
	strategy string
	pid      int
	run      uint32 // random, 31 bits, distinguishes processes with the same pid
	seq      atomic.Uint64

	mu        sync.Mutex
	templates map[string]*template
}

// template is one template database, built once by the first caller for its key.
type template struct {
	ready chan struct{} // closed when name/err are set
	name  string
	err   error
}

// connectURL opens the server named by MARKET4_TEST_DATABASE_URL and sweeps databases
// left behind there by crashed runs. (A throwaway cluster needs no sweep.)
func connectURL(ctx context.Context, raw string) (*server, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, errors.New("must be a postgres:// URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	}
	s, err := newServer(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u.Redacted(), err)
	}
	s.sweep(ctx)
	return s, nil
}

// connectCluster opens the throwaway cluster c as user postgres over its unix socket.
func connectCluster(ctx context.Context, c *cluster) (*server, error) {
	u := &url.URL{
		Scheme: "postgres",
		Path:   "/postgres",
		// Not url.Values.Encode: it would escape the slashes of the socket directory,
		// which is legal but makes the URL hard to read in test logs.
		RawQuery: "host=" + c.dir + "&user=postgres&sslmode=disable",
	}
	s, err := newServer(ctx, u)
	if err != nil {
		return nil, err
	}
	s.cluster = c
	if s.version >= 150000 {
		// Measured (BenchmarkClone, PostgreSQL 15): on this fsync=off, wal_level=minimal
		// cluster FILE_COPY takes ~12 ms and WAL_LOG ~20 ms. Not on a shared server,
		// where FILE_COPY's two checkpoints cost ~95 ms against WAL_LOG's ~45 ms and
		// slow down everyone else on it.
		s.strategy = "FILE_COPY"
	}
	return s, nil
}

func newServer(ctx context.Context, base *url.URL) (*server, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	s := &server{
		base:      base,
		pid:       os.Getpid(),
		run:       binary.BigEndian.Uint32(b[:]) &^ (1 << 31),
		templates: make(map[string]*template),
	}
	cfg, err := pgxpool.ParseConfig(s.adminURL())
	if err != nil {
		return nil, err
	}
	// CREATE DATABASE is disk-bound; more than a few at once only adds contention.
	cfg.MaxConns = 4
	s.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	var v string
	if err := s.pool.QueryRow(ctx, "SELECT current_setting('server_version_num')").Scan(&v); err != nil {
		s.pool.Close()
		return nil, err
	}
	s.version, _ = strconv.Atoi(v)
	if s.version < minVersion {
		s.pool.Close()
		return nil, fmt.Errorf("PostgreSQL %d is too old: pgtest needs 13 or later (DROP DATABASE ... WITH (FORCE))", s.version)
	}
	// Taken before any database is created, and held until close (or death).
	s.lock, err = pgx.Connect(ctx, s.adminURL())
	if err == nil {
		_, err = s.lock.Exec(ctx, "SELECT pg_advisory_lock($1, $2)", int32(lockClass), int32(s.run))
	}
	if err != nil {
		s.close(ctx)
		return nil, fmt.Errorf("advisory lock: %w", err)
	}
	return s, nil
}

// adminURL is the URL of the database used for administrative commands.
func (s *server) adminURL() string { return s.base.String() }

// url returns the URL of database name on this server: the admin URL with the
// database replaced and every other parameter (sslmode, host=/socket/dir, ...) kept.
func (s *server) url(name string) string { return withDatabase(s.base, name) }

// withDatabase replaces the database of a postgres:// URL.
func withDatabase(base *url.URL, name string) string {
	u := *base
	u.Path, u.RawPath = "/"+name, ""
	// pgx lets a dbname query parameter override the path; drop it.
	if q := u.Query(); q.Has("dbname") {
		q.Del("dbname")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// newName returns a fresh database name: unique on the server across processes (pid
// and random run id), lower-case, and a valid identifier well under 63 bytes.
func (s *server) newName() string {
	return fmt.Sprintf("%s%d_%08x_%d", namePrefix, s.pid, s.run, s.seq.Add(1))
}

// templateName is like newName, with a readable form of the key for people
// looking at the server while tests run.
func (s *server) templateName(key string) string {
	name := fmt.Sprintf("%s%d_%08x_t%d_%s", namePrefix, s.pid, s.run, s.seq.Add(1), sanitize(key))
	if len(name) > 63 {
		name = name[:63]
	}
	return strings.TrimRight(name, "_")
}

// sanitize keeps the lower-case letters, digits and underscores of key.
func sanitize(key string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			return r
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		default:
			return '_'
		}
	}, key)
}

// template returns the name of the template for key, building it on first use.
func (s *server) template(key string, setup func(context.Context, string) error) (string, error) {
	s.mu.Lock()
	t, ok := s.templates[key]
	if !ok {
		t = &template{ready: make(chan struct{})}
		s.templates[key] = t
	}
	s.mu.Unlock()
	if ok {
		<-t.ready
		return t.name, t.err
	}

	finished := false
	defer func() {
		// setup panicked or called runtime.Goexit (t.FailNow): record that, so that
		// the tests waiting for this template fail instead of hanging.
		if !finished {
			t.err = errors.New("setup did not return (it panicked or stopped its test)")
			close(t.ready)
		}
	}()
	name := s.templateName(key)
	t.err = s.buildTemplate(name, setup)
	if t.err == nil {
		t.name = name
	}
	finished = true
	close(t.ready)
	return t.name, t.err
}

// buildTemplate creates database name, runs setup on it and turns it into a template
// nobody can connect to, so that cloning it never finds it in use.
func (s *server) buildTemplate(name string, setup func(context.Context, string) error) (err error) {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	ident := pgx.Identifier{name}.Sanitize()
	// template0 rather than template1: it is pristine, and nobody can be connected to it.
	if _, err := s.pool.Exec(ctx, "CREATE DATABASE "+ident+" TEMPLATE template0"); err != nil {
		return err
	}
	built := false
	defer func() {
		// Also when setup panics or calls runtime.Goexit (t.FailNow).
		if !built {
			derr := s.dropDatabase(context.WithoutCancel(ctx), name, true)
			if err != nil && derr != nil {
				err = fmt.Errorf("%w (and dropping the template: %v)", err, derr)
			}
		}
	}()
	if setup != nil {
		if err := setup(ctx, s.url(name)); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
	}
	if _, err := s.pool.Exec(ctx, "ALTER DATABASE "+ident+" WITH ALLOW_CONNECTIONS false IS_TEMPLATE true"); err != nil {
		return err
	}
	if err := s.terminate(ctx, name); err != nil {
		return err
	}
	built = true
	return nil
}

// terminate ends the sessions still connected to database name (other than ours).
func (s *server) terminate(ctx context.Context, name string) error {
	_, err := s.pool.Exec(ctx,
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name)
	return err
}

// clone creates a new database from template tpl and returns its name.
func (s *server) clone(ctx context.Context, tpl string) (string, error) {
	name := s.newName()
	stmt := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize() + " TEMPLATE " + pgx.Identifier{tpl}.Sanitize()
	if s.strategy != "" {
		stmt += " STRATEGY " + s.strategy
	}
	// A session terminated at the end of buildTemplate may take a moment to exit.
	delay := 10 * time.Millisecond
	for {
		_, err := s.pool.Exec(ctx, stmt)
		if err == nil {
			return name, nil
		}
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "55006" { // object_in_use: "being accessed by other users"
			return "", err
		}
		if terr := s.terminate(ctx, tpl); terr != nil {
			return "", errors.Join(err, terr)
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("%w (gave up: %w)", err, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, 500*time.Millisecond)
	}
}

// dropDatabase drops database name, terminating its sessions. A missing database is
// not an error, so drops may race with each other (cleanup vs. sweep).
func (s *server) dropDatabase(ctx context.Context, name string, isTemplate bool) error {
	ident := pgx.Identifier{name}.Sanitize()
	if isTemplate {
		// "cannot drop a template database" otherwise.
		if _, err := s.pool.Exec(ctx, "ALTER DATABASE "+ident+" WITH IS_TEMPLATE false"); err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "3D000" { // invalid_catalog_name: already gone
				return nil
			}
			return err
		}
	}
	_, err := s.pool.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)")
	return err
}

// sweep drops, best effort, databases left on a shared server by test processes that
// died before cleaning up: those whose run id nobody holds the advisory lock for.
func (s *server) sweep(ctx context.Context) {
	// List the databases before reading the locks: a process takes its lock before it
	// creates any database, so every database listed has its lock visible afterwards
	// unless its process is gone.
	rows, err := s.pool.Query(ctx, `SELECT datname, datistemplate FROM pg_database WHERE datname LIKE 'm4t\_%'`)
	if err != nil {
		return
	}
	type db struct {
		name       string
		isTemplate bool
	}
	dbs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (db, error) {
		var d db
		err := r.Scan(&d.name, &d.isTemplate)
		return d, err
	})
	if err != nil || len(dbs) == 0 {
		return
	}
	rows, err = s.pool.Query(ctx,
		`SELECT objid::int8 FROM pg_locks WHERE locktype = 'advisory' AND classid::int8 = $1 AND objsubid = 2`,
		int64(lockClass))
	if err != nil {
		return
	}
	held, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return
	}
	live := make(map[string]bool, len(held))
	for _, run := range held {
		live[fmt.Sprintf("%08x", run)] = true
	}
	for _, d := range dbs {
		m := staleName.FindStringSubmatch(d.name)
		if m == nil || live[m[1]] {
			continue
		}
		// Best effort: it may belong to another role, or be dropped concurrently.
		_ = s.dropDatabase(ctx, d.name, d.isTemplate)
	}
}

// close drops this process's templates (a cluster is simply deleted instead), releases
// the connections and stops the cluster.
func (s *server) close(ctx context.Context) error {
	var errs []error
	if s.cluster == nil {
		s.mu.Lock()
		for _, t := range s.templates {
			select {
			case <-t.ready:
			default:
				continue // still being built: a test is running past the end of m.Run
			}
			if t.err == nil {
				if err := s.dropDatabase(ctx, t.name, true); err != nil {
					errs = append(errs, fmt.Errorf("drop template %s: %w", t.name, err))
				}
			}
		}
		s.mu.Unlock()
	}
	if s.lock != nil {
		s.lock.Close(ctx)
	}
	if s.pool != nil {
		s.pool.Close()
	}
	if s.cluster != nil {
		if err := s.cluster.stop(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
