package httpapi_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/market4/market4/internal/httpapi"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
)

// BenchmarkVerifyHTTP measures public stamp verifications over real HTTP
// (keep-alive connections, JSON answers, the access log formatted as in
// production and discarded), each one parsing the link, checking its
// Ed25519 signature, reading the stamp and its scans, judging and
// recording the scan durably (group commit) — server, database and load
// generator on this machine. 64 concurrent clients, each a device on its
// own connection, scan random stamps of a lot of 1,000 stamps (a hot lot:
// by the end each stamp has ~30 scans of history to judge) or 10,000
// stamps (a few scans each, closer to real use). The load generator writes
// preformatted requests and parses answers with http.ReadResponse, so it
// takes little of the two cores it shares with the server and PostgreSQL.
//
// Besides verifications/s (which depends on whatever else runs on the
// machine), it reports the CPU one verification costs: this process (the
// server and the load generator) and, on PostgreSQL, the backends serving
// it (Linux /proc), and the rate two fully available cores would sustain
// at that cost:
//
//	go test ./internal/httpapi -run '^$' -bench VerifyHTTP/sqlite -benchtime 30000x
//	MARKET4_TEST_DATABASE_URL=postgres://… go test ./internal/httpapi -run '^$' -bench VerifyHTTP/postgres -benchtime 30000x
//	BENCH_POOL=32 …  (database pool size; default 2 per core)
func BenchmarkVerifyHTTP(b *testing.B) {
	for _, d := range storetest.Dialects {
		for _, stamps := range []int{1000, 10000} {
			b.Run(fmt.Sprintf("%s/stamps=%d", d, stamps), func(b *testing.B) { benchVerify(b, d, stamps) })
		}
	}
}

func benchVerify(b *testing.B, d store.Dialect, stamps int) {
	{
		{
			st := storetest.Open(b, d)
			// The pool: 2 connections per core unless BENCH_POOL says
			// otherwise. On a 2-core host where PostgreSQL shares the CPU,
			// 32 backends cost ~70 % more PostgreSQL CPU per verification
			// than 4 (context switches), measured with BENCH_POOL.
			pool := 2 * runtime.GOMAXPROCS(0)
			if n, _ := strconv.Atoi(os.Getenv("BENCH_POOL")); n > 0 {
				pool = n
			}
			st.SQL().SetMaxOpenConns(pool)
			st.SQL().SetMaxIdleConns(pool)
			// Access log as in production (JSON lines), to io.Discard:
			// formatting is counted, the write to stdout is not.
			logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
			a := newAPI(b, st, httpapi.Options{PublicRate: 1 << 30, Logger: logger}, nil)
			w := newOCOPWorld(b, a, stamps)
			addr := strings.TrimPrefix(a.srv.URL, "http://")
			var devices atomic.Int64
			var bad atomic.Int64
			b.SetParallelism(32)
			b.ReportAllocs()
			pids := backendPIDs(b, st)
			cpu0, pg0 := processCPU(), backendsCPU(pids)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				// One keep-alive connection per simulated phone, requests
				// written from a preformatted buffer and answers read with
				// http.ReadResponse: a load generator that costs the
				// machine far less than http.Client's transport.
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					b.Error(err)
					return
				}
				defer conn.Close()
				br := bufio.NewReader(conn)
				cookie := fmt.Sprintf("m4_device=bench-device-%04d", devices.Add(1))
				i := rand.N(len(w.stamps))
				var buf []byte
				for pb.Next() {
					buf = append(buf[:0], "GET "...)
					buf = append(buf, w.stamps[i%len(w.stamps)].Path...)
					buf = append(buf, " HTTP/1.1\r\nHost: "...)
					buf = append(buf, addr...)
					buf = append(buf, "\r\nAccept: application/json\r\nCookie: "...)
					buf = append(buf, cookie...)
					buf = append(buf, "\r\n\r\n"...)
					if _, err := conn.Write(buf); err != nil {
						b.Error(err)
						return
					}
					resp, err := http.ReadResponse(br, nil)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						bad.Add(1)
					}
					i++
				}
			})
			b.StopTimer()
			cpu, pg := processCPU()-cpu0, backendsCPU(backendPIDs(b, st))-pg0
			if bad.Load() > 0 {
				b.Fatalf("%d verifications failed", bad.Load())
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
			per := float64(cpu.Microseconds()) / float64(b.N)
			b.ReportMetric(per, "go-cpu-µs/op")
			if d == store.Postgres {
				b.ReportMetric(float64(pg.Microseconds())/float64(b.N), "pg-cpu-µs/op")
				per += float64(pg.Microseconds()) / float64(b.N)
			}
			b.ReportMetric(2e6/per, "2-core-capacity/s")
			var scans int
			if err := st.SQL().QueryRow("SELECT count(*) FROM scans").Scan(&scans); err != nil {
				b.Fatal(err)
			}
			if scans < b.N {
				b.Fatalf("%d scans recorded for %d verifications", scans, b.N)
			}
		}
	}
}

// processCPU is the user+system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendPIDs lists the PostgreSQL backends connected to st's database
// (none on SQLite); they run on this machine in the benchmark setup.
func backendPIDs(tb testing.TB, st *store.Store) []int {
	if st.Dialect() != store.Postgres {
		return nil
	}
	rows, err := st.SQL().Query("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var pids []int
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			tb.Fatal(err)
		}
		pids = append(pids, pid)
	}
	return pids
}

// backendsCPU sums the user+system CPU of processes from /proc (0 when
// unreadable, e.g. PostgreSQL on another host).
func backendsCPU(pids []int) time.Duration {
	var ticks int64
	for _, pid := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + s
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ
}
