package pgtest

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", the path gorm's postgres driver takes
)

// Child processes: some tests re-run this test binary to observe what happens at
// process level (skip/fail, cleanup by Main, a killed process).
const (
	envChild           = "PGTEST_CHILD"             // which child behaviour to run
	envChildNoBinaries = "PGTEST_CHILD_NO_BINARIES" // pretend no PostgreSQL binaries exist
)

func TestMain(m *testing.M) {
	if os.Getenv(envChildNoBinaries) == "1" {
		binGlob = filepath.Join(os.TempDir(), "pgtest-no-such-dir-*")
	}
	Main(m)
}

// ---- pure logic ----

func TestUnavailable(t *testing.T) {
	reason := errors.New("the reason")
	tests := []struct {
		require string
		fatal   bool
	}{
		{"", false},
		{"0", false},
		{"false", false},
		{"1", true},
		{"true", true},
		{"yes", true}, // not a boolean: fail rather than skip quietly
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("require=%q", tt.require), func(t *testing.T) {
			fatal, msg := unavailable(tt.require, reason)
			if fatal != tt.fatal {
				t.Errorf("fatal = %v, want %v", fatal, tt.fatal)
			}
			for _, want := range []string{"the reason", EnvURL, EnvRequire, "initdb"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not mention %q", msg, want)
				}
			}
		})
	}
}

func TestChooseSource(t *testing.T) {
	tests := []struct {
		name, envURL, binDir string
		want                 source
	}{
		{"url wins over binaries", "postgres://h/db", "/usr/bin", sourceURL},
		{"url alone", "postgres://h/db", "", sourceURL},
		{"binaries", "", "/usr/lib/postgresql/16/bin", sourceCluster},
		{"nothing", "", "", sourceNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := chooseSource(tt.envURL, tt.binDir); got != tt.want {
				t.Errorf("chooseSource(%q, %q) = %v, want %v", tt.envURL, tt.binDir, got, tt.want)
			}
		})
	}
}

func TestSortByVersionDesc(t *testing.T) {
	in := []string{
		"/usr/lib/postgresql/9.6/bin",
		"/usr/lib/postgresql/16/bin",
		"/usr/lib/postgresql/odd/bin",
		"/usr/lib/postgresql/13/bin",
		"/usr/lib/postgresql/17/bin",
	}
	want := []string{
		"/usr/lib/postgresql/17/bin",
		"/usr/lib/postgresql/16/bin",
		"/usr/lib/postgresql/13/bin",
		"/usr/lib/postgresql/9.6/bin",
		"/usr/lib/postgresql/odd/bin",
	}
	if got := sortByVersionDesc(in); !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestFindBinaries(t *testing.T) {
	root := t.TempDir()
	mk := func(dir string, names ...string) string {
		d := filepath.Join(root, dir)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if err := os.WriteFile(filepath.Join(d, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	onlyInitdb := mk("path1", "initdb")
	inPath := mk("path2", "initdb", "postgres")
	mk("lib/9.6/bin", "initdb", "postgres")
	v16 := mk("lib/16/bin", "initdb", "postgres")
	mk("lib/17/bin", "postgres") // incomplete: skipped
	glob := filepath.Join(root, "lib/*/bin")

	tests := []struct {
		name, path, glob, want string
	}{
		{"PATH first", onlyInitdb + ":" + inPath, glob, inPath},
		{"then the highest complete version", onlyInitdb, glob, v16},
		{"nothing", onlyInitdb, filepath.Join(root, "none/*/bin"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := findBinaries(tt.path, tt.glob); got != tt.want {
				t.Errorf("findBinaries = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWithDatabase(t *testing.T) {
	tests := []struct {
		base, want string
	}{
		{"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "postgres://postgres@127.0.0.1:5432/m4t_x?sslmode=disable"},
		{"postgresql://u:p%40ss@h/test?sslmode=require&application_name=a", "postgresql://u:p%40ss@h/m4t_x?sslmode=require&application_name=a"},
		{"postgres://h", "postgres://h/m4t_x"},
		{"postgres://h/test?dbname=other&sslmode=disable", "postgres://h/m4t_x?sslmode=disable"},
		{"postgres:///postgres?host=/tmp/m4pg-1-2&user=postgres&sslmode=disable", "postgres:///m4t_x?host=/tmp/m4pg-1-2&user=postgres&sslmode=disable"},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			u, err := url.Parse(tt.base)
			if err != nil {
				t.Fatal(err)
			}
			got := withDatabase(u, "m4t_x")
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			cfg, err := pgx.ParseConfig(got)
			if err != nil {
				t.Fatalf("pgx cannot parse %s: %v", got, err)
			}
			if cfg.Database != "m4t_x" {
				t.Errorf("pgx sees database %q", cfg.Database)
			}
		})
	}
	// The unix-socket form must reach the socket directory, not a TCP host.
	cfg, err := pgx.ParseConfig("postgres:///m4t_x?host=/tmp/m4pg-1-2&user=postgres&sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "/tmp/m4pg-1-2" || cfg.User != "postgres" || cfg.TLSConfig != nil {
		t.Errorf("host %q user %q tls %v", cfg.Host, cfg.User, cfg.TLSConfig != nil)
	}
}

func TestNames(t *testing.T) {
	s := &server{pid: 4194304, run: 0x7fffffff}
	ident := regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)
	seen := map[string]bool{}
	names := []string{s.newName(), s.newName()}
	for _, key := range []string{"migrations", "Migrations", "a-b", "a_b", "", strings.Repeat("Long Key ", 20), "ünïcode"} {
		names = append(names, s.templateName(key))
	}
	for _, n := range names {
		if !ident.MatchString(n) {
			t.Errorf("%q is not a lower-case identifier of at most 63 bytes", n)
		}
		if m := staleName.FindStringSubmatch(n); m == nil || m[1] != "7fffffff" {
			t.Errorf("%q: the sweep cannot recover the run id (%q)", n, m)
		}
		if seen[n] {
			t.Errorf("%q generated twice", n)
		}
		seen[n] = true
	}
}

func TestOwnerPID(t *testing.T) {
	tests := []struct {
		name string
		pid  int
		ok   bool
	}{
		{"m4pg-123-456", 123, true},
		{"m4pg-123", 0, false},
		{"m4pg-x-456", 0, false},
		{"other-123-456", 0, false},
	}
	for _, tt := range tests {
		pid, ok := ownerPID(tt.name)
		if pid != tt.pid || ok != tt.ok {
			t.Errorf("ownerPID(%q) = %d, %v; want %d, %v", tt.name, pid, ok, tt.pid, tt.ok)
		}
	}
}

// ---- against a server ----

// createTable is a setup that stands in for the migrations.
func createTable(calls *atomic.Int32) func(context.Context, string) error {
	return func(ctx context.Context, url string) error {
		calls.Add(1)
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, `CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint NOT NULL);
			INSERT INTO accounts VALUES (1, 100)`)
		return err
	}
}

// uniqueKey gives each test its own template, so "setup ran once" is about this test.
func uniqueKey(t *testing.T) string { return strings.ReplaceAll(t.Name(), "/", "_") }

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func count(t *testing.T, conn *pgx.Conn) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM accounts").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func databaseExists(t *testing.T, name string) bool {
	t.Helper()
	var ok bool
	err := connect(t, ServerURL(t)).QueryRow(t.Context(),
		"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&ok)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func dbName(t *testing.T, rawURL string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Database
}

func TestNewDatabaseGivesIsolatedCopies(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	url1 := NewDatabase(t, uniqueKey(t), createTable(&calls))
	url2 := NewDatabase(t, uniqueKey(t), createTable(&calls))
	if url1 == url2 {
		t.Fatalf("same URL twice: %s", url1)
	}
	c1, c2 := connect(t, url1), connect(t, url2)
	if n1, n2 := count(t, c1), count(t, c2); n1 != 1 || n2 != 1 {
		t.Fatalf("rows from the template: %d and %d, want 1 and 1", n1, n2)
	}
	if _, err := c1.Exec(t.Context(), "INSERT INTO accounts VALUES (2, 5)"); err != nil {
		t.Fatal(err)
	}
	if n1, n2 := count(t, c1), count(t, c2); n1 != 2 || n2 != 1 {
		t.Fatalf("after inserting into the first: %d and %d rows, want 2 and 1", n1, n2)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("setup ran %d times, want 1", n)
	}
}

func TestNewDatabaseConcurrentCallersShareOneSetup(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	slow := func(ctx context.Context, url string) error {
		time.Sleep(50 * time.Millisecond) // let the other callers pile up
		return createTable(&calls)(ctx, url)
	}
	key := uniqueKey(t)
	for i := range 6 {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			if n := count(t, connect(t, NewDatabase(t, key, slow))); n != 1 {
				t.Errorf("%d rows, want 1", n)
			}
		})
	}
	t.Cleanup(func() {
		if n := calls.Load(); n != 1 {
			t.Errorf("setup ran %d times, want 1", n)
		}
	})
}

func TestCleanupDropsDatabase(t *testing.T) {
	t.Parallel()
	var name string
	t.Run("user", func(t *testing.T) {
		url := NewDatabase(t, "empty", nil)
		name = dbName(t, url)
		if !databaseExists(t, name) {
			t.Fatalf("%s does not exist", name)
		}
		// A connection the test forgot to close must not stop the drop.
		conn, err := pgx.Connect(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		_ = conn
	})
	if databaseExists(t, name) {
		t.Errorf("%s still exists after its test ended", name)
	}
}

func TestURLWorksWithDatabaseSQL(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	// database/sql with pgx's driver: what gorm.io/driver/postgres does with a DSN
	// (pgx.ParseConfig, then stdlib.OpenDB).
	db, err := sql.Open("pgx", NewDatabase(t, uniqueKey(t), createTable(&calls)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var balance int64
	if err := db.QueryRowContext(t.Context(), "SELECT balance FROM accounts WHERE id = 1").Scan(&balance); err != nil {
		t.Fatal(err)
	}
	if balance != 100 {
		t.Errorf("balance %d, want 100", balance)
	}
}

func TestSetupLeavingConnectionsOpen(t *testing.T) {
	t.Parallel()
	leaky := func(ctx context.Context, url string) error {
		for range 3 {
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				return err
			}
			if _, err := conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS accounts (id bigint)"); err != nil {
				return err
			}
			// never closed
		}
		return nil
	}
	if n := count(t, connect(t, NewDatabase(t, uniqueKey(t), leaky))); n != 0 {
		t.Errorf("%d rows, want 0", n)
	}
}

func TestSetupErrorIsSticky(t *testing.T) {
	t.Parallel()
	s := acquire(t)
	boom := errors.New("boom")
	var calls atomic.Int32
	failing := func(ctx context.Context, url string) error {
		calls.Add(1)
		return boom
	}
	key := uniqueKey(t)
	for range 2 {
		if _, err := s.template(key, failing); !errors.Is(err, boom) {
			t.Errorf("err = %v, want %v", err, boom)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("setup ran %d times, want 1", n)
	}
	if n := templatesLeft(t, key); n != 0 {
		t.Errorf("%d databases left for the failed template", n)
	}
	// Through the public API, the test fails with the error.
	f := runFake(t, func(tb testing.TB) { NewDatabase(tb, key, failing) })
	if !f.fatal || !strings.Contains(f.msg, "boom") {
		t.Errorf("NewDatabase: fatal=%v msg=%q, want a failure mentioning boom", f.fatal, f.msg)
	}
}

func TestSetupPanicDoesNotHangOthers(t *testing.T) {
	t.Parallel()
	s := acquire(t)
	key := uniqueKey(t)
	func() {
		defer func() { _ = recover() }()
		s.template(key, func(context.Context, string) error { panic("setup bug") })
	}()
	done := make(chan error)
	go func() {
		_, err := s.template(key, nil)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Error("template after a panicking setup: no error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("template after a panicking setup: hangs")
	}
	if n := templatesLeft(t, key); n != 0 {
		t.Errorf("%d databases left for the template whose setup panicked", n)
	}
}

// templatesLeft counts this process's template databases for key.
func templatesLeft(t *testing.T, key string) int {
	t.Helper()
	var n int
	err := connect(t, ServerURL(t)).QueryRow(t.Context(),
		"SELECT count(*) FROM pg_database WHERE datname LIKE $1 || '%\\_' || $2",
		fmt.Sprintf("%s%d\\_%08x\\_", namePrefix, state.srv.pid, state.srv.run), sanitize(key)).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSweepDropsOnlyDatabasesOfDeadRuns(t *testing.T) {
	t.Parallel()
	s := acquire(t)
	ctx := t.Context()
	holder := connect(t, ServerURL(t))
	// Two runs that are not this process: one alive (holds its lock), one dead.
	const liveRun, deadRun = 0x7ffffff0, 0x7ffffff1
	if _, err := holder.Exec(ctx, "SELECT pg_advisory_lock($1, $2)", int32(lockClass), int32(liveRun)); err != nil {
		t.Fatal(err)
	}
	live := fmt.Sprintf("m4t_1_%08x_%d", liveRun, time.Now().UnixNano())
	dead := fmt.Sprintf("m4t_1_%08x_%d", deadRun, time.Now().UnixNano())
	for _, name := range []string{live, dead} {
		if _, err := s.pool.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.dropDatabase(context.Background(), name, false) })
	}
	if _, err := s.pool.Exec(ctx, "ALTER DATABASE "+dead+" WITH IS_TEMPLATE true"); err != nil {
		t.Fatal(err) // a dead run's template needs IS_TEMPLATE cleared before DROP
	}
	s.sweep(ctx)
	if !databaseExists(t, live) {
		t.Errorf("%s of a live run was swept", live)
	}
	if databaseExists(t, dead) {
		t.Errorf("%s of a dead run was not swept", dead)
	}
	// Nor are this process's own databases swept.
	own := dbName(t, NewDatabase(t, "empty", nil))
	s.sweep(ctx)
	if !databaseExists(t, own) {
		t.Errorf("own %s was swept", own)
	}
}

func TestMainIsRequired(t *testing.T) {
	// Not parallel: it flips the process-wide flag while no other test runs.
	mainCalled.Store(false)
	defer mainCalled.Store(true)
	f := runFake(t, func(tb testing.TB) { ServerURL(tb) })
	if !f.fatal || !strings.Contains(f.msg, "pgtest.Main(m)") {
		t.Errorf("fatal=%v msg=%q, want a failure telling how to add TestMain", f.fatal, f.msg)
	}
}

// ---- process level ----

// TestChildProcess is what the child processes run; it does nothing in a normal run.
func TestChildProcess(t *testing.T) {
	switch os.Getenv(envChild) {
	case "":
		return
	case "server":
		fmt.Printf("PGTEST url=%s\n", ServerURL(t))
	case "lifecycle", "hang":
		url := NewDatabase(t, "lifecycle", nil)
		s := state.srv
		fmt.Printf("PGTEST db=%s\n", dbName(t, url))
		fmt.Printf("PGTEST template=%s\n", s.templates["lifecycle"].name)
		if s.cluster != nil {
			fmt.Printf("PGTEST dir=%s\n", s.cluster.dir)
			fmt.Printf("PGTEST postmaster=%d\n", s.cluster.cmd.Process.Pid)
		}
		fmt.Println("PGTEST ready=1")
		if os.Getenv(envChild) == "hang" {
			time.Sleep(time.Minute) // until the parent kills us
		}
	}
}

// child runs this test binary's TestChildProcess with the given behaviour and
// environment, returning its output and its PGTEST key=value lines.
func child(t *testing.T, behaviour string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcess$", "-test.v", "-test.count=1", "-test.timeout=2m")
	// Later duplicates win in exec.Cmd.Env.
	cmd.Env = append(append(os.Environ(), envChild+"="+behaviour), env...)
	return cmd
}

func parseChild(out string) map[string]string {
	kv := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "PGTEST "); ok {
			k, v, _ := strings.Cut(line, "=")
			kv[k] = v
		}
	}
	return kv
}

func TestNoServerSkipsOrFails(t *testing.T) {
	t.Parallel()
	noServer := []string{EnvURL + "=", "PATH=", envChildNoBinaries + "=1"}
	tests := []struct {
		name     string
		env      []string
		wantFail bool
		wantText string
	}{
		{"skip by default", append(slices.Clone(noServer), EnvRequire+"="), false, "--- SKIP"},
		{"fail when required", append(slices.Clone(noServer), EnvRequire+"=1"), true, "requires one"},
		{"explicit URL that does not work fails even unrequired",
			[]string{EnvURL + "=postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=5", EnvRequire + "="},
			true, EnvURL},
		{"explicit non-URL fails", []string{EnvURL + "=host=localhost dbname=test", EnvRequire + "="}, true, "postgres:// URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := child(t, "server", tt.env...).CombinedOutput()
			if failed := err != nil; failed != tt.wantFail {
				t.Errorf("failed = %v (%v), want %v", failed, err, tt.wantFail)
			}
			if !strings.Contains(string(out), tt.wantText) || !strings.Contains(string(out), "pgtest:") {
				t.Errorf("output does not contain %q:\n%s", tt.wantText, out)
			}
			if tt.wantFail && !strings.Contains(string(out), "--- FAIL") {
				t.Errorf("no --- FAIL in output:\n%s", out)
			}
		})
	}
}

func TestMainCleansUp(t *testing.T) {
	t.Parallel()
	ServerURL(t) // skip here, rather than fail below, when there is no server
	out, err := child(t, "lifecycle").CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	kv := parseChild(string(out))
	if kv["ready"] != "1" {
		t.Fatalf("child did not get a database:\n%s", out)
	}
	if dir := kv["dir"]; dir != "" {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("cluster directory %s not removed: %v", dir, err)
		}
		pm, _ := strconv.Atoi(kv["postmaster"])
		if alive(pm) {
			t.Errorf("postmaster %d still running", pm)
		}
		return
	}
	// Shared server: both the test database and the template are gone.
	for _, name := range []string{kv["db"], kv["template"]} {
		if databaseExists(t, name) {
			t.Errorf("%s left on the server", name)
		}
	}
}

func TestKilledProcessLeavesNoCluster(t *testing.T) {
	t.Parallel()
	if os.Getenv(EnvURL) != "" {
		t.Skip("only the throwaway cluster has a process and a directory to leave behind")
	}
	ServerURL(t)
	cmd := child(t, "hang")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kv := map[string]string{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "PGTEST "); ok {
			k, v, _ := strings.Cut(line, "=")
			kv[k] = v
			if k == "ready" {
				break
			}
		}
	}
	cmd.Process.Kill() // no Main, no deferred cleanup
	go io.Copy(io.Discard, stdout)
	cmd.Wait()
	pm, _ := strconv.Atoi(kv["postmaster"])
	if pm == 0 || kv["dir"] == "" {
		t.Fatalf("child did not report its cluster: %v", kv)
	}
	deadline := time.Now().Add(10 * time.Second)
	for alive(pm) {
		if time.Now().After(deadline) {
			t.Fatalf("postmaster %d of a killed test process still running", pm)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The next process to start a cluster removes the directory.
	removeStaleClusterDirs()
	if _, err := os.Stat(kv["dir"]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale cluster directory %s not removed: %v", kv["dir"], err)
	}
}

// ---- timing ----

// TestTiming logs what a test pays for its database once the template exists.
func TestTiming(t *testing.T) {
	var calls atomic.Int32
	key := uniqueKey(t)
	start := time.Now()
	ServerURL(t)
	server := time.Since(start)
	start = time.Now()
	NewDatabase(t, key, createTable(&calls))
	first := time.Since(start)
	const n = 20
	var create, drop time.Duration
	for i := range n {
		var t0, t1 time.Time
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t0 = time.Now()
			NewDatabase(t, key, createTable(&calls))
			t1 = time.Now()
		})
		create += t1.Sub(t0)
		drop += time.Since(t1) // the subtest's cleanup: DROP DATABASE
	}
	mode := "shared server"
	if state.srv.cluster != nil {
		mode = "throwaway cluster"
	}
	t.Logf("%s, PostgreSQL %d, strategy %q: first ServerURL (connect or start, if this test came first) %v; "+
		"first NewDatabase (builds template) %v; then NewDatabase %v, drop %v (mean of %d)",
		mode, state.srv.version, state.srv.strategy, server.Round(time.Millisecond), first.Round(time.Millisecond), (create / n).Round(100*time.Microsecond),
		(drop / n).Round(100*time.Microsecond), n)
}

// BenchmarkClone compares CREATE DATABASE strategies for a cached template (create + drop).
func BenchmarkClone(b *testing.B) {
	s := acquire(b)
	var calls atomic.Int32
	tpl, err := s.template("bench", createTable(&calls))
	if err != nil {
		b.Fatal(err)
	}
	for _, strategy := range []string{"FILE_COPY", "WAL_LOG"} {
		b.Run(strategy, func(b *testing.B) {
			if s.version < 150000 {
				b.Skip("STRATEGY needs PostgreSQL 15")
			}
			defer func(old string) { s.strategy = old }(s.strategy)
			s.strategy = strategy
			var create time.Duration
			for b.Loop() {
				t0 := time.Now()
				name, err := s.clone(b.Context(), tpl)
				if err != nil {
					b.Fatal(err)
				}
				create += time.Since(t0)
				if err := s.dropDatabase(b.Context(), name, false); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(create.Microseconds())/float64(b.N)/1000, "ms-create/op")
		})
	}
}

// ---- a fake testing.TB, to observe Fatal and Skip ----

type fakeTB struct {
	testing.TB
	mu           sync.Mutex
	fatal, skip  bool
	msg          string
	cleanupFuncs []func()
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) stop(fatal bool, msg string) {
	f.mu.Lock()
	f.fatal, f.skip, f.msg = fatal, !fatal, msg
	f.mu.Unlock()
	runtime.Goexit()
}
func (f *fakeTB) Fatal(args ...any)                 { f.stop(true, fmt.Sprint(args...)) }
func (f *fakeTB) Fatalf(format string, args ...any) { f.stop(true, fmt.Sprintf(format, args...)) }
func (f *fakeTB) Skip(args ...any)                  { f.stop(false, fmt.Sprint(args...)) }
func (f *fakeTB) Cleanup(fn func())                 { f.cleanupFuncs = append(f.cleanupFuncs, fn) }

// runFake runs fn with a fake TB in its own goroutine (Fatal ends it), then its cleanups.
func runFake(t *testing.T, fn func(testing.TB)) *fakeTB {
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	for _, fn := range slices.Backward(f.cleanupFuncs) {
		fn()
	}
	return f
}
