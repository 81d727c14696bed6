package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
	"github.com/market4/market4/pkg/vietqr"
)

// TestKillDuringWebhookStorm is DESIGN §5's crash bar, with real processes:
// market4 serve and cmd/mockbank run as separate binaries on PostgreSQL;
// shoppers pay stalls' QR codes in a storm; the server is killed with
// SIGKILL mid-storm and restarted; the bank keeps retrying what was not
// acknowledged. Afterwards every bank transfer is recorded exactly once and
// `market4 audit` passes.
func TestKillDuringWebhookStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries; skipped with -short")
	}
	dsn := storetest.PostgresURL(t)
	dir := t.TempDir()
	build := func(out, pkg string) string {
		bin := filepath.Join(dir, out)
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("build %s: %v", pkg, err)
		}
		return bin
	}
	market4Bin, bankBin := build("market4", "."), build("mockbank", "../mockbank")

	ctx := context.Background()
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := defaultConfig()
	svc := newService(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := seedDemo(ctx, svc); err != nil {
		t.Fatal(err)
	}
	var qrs []string
	stalls, err := svc.ListStalls(ctx, market.Actor{Role: market.RoleAdmin}, app.StallFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stalls {
		p, err := vietqr.Encode(s.StaticQR())
		if err != nil {
			t.Fatal(err)
		}
		qrs = append(qrs, p)
	}

	serverAddr, bankAddr := freeAddr(t), freeAddr(t)
	secret := "crash-test-secret-0123456789"
	env := append(os.Environ(), "MARKET4_MOCKBANK_SECRET="+secret)
	startServer := func() *exec.Cmd {
		cmd := exec.Command(market4Bin, "serve")
		cmd.Env = append(env, "MARKET4_DATABASE_URL="+dsn, "MARKET4_ADDR="+serverAddr, "MARKET4_MOCKBANK_URL=http://"+bankAddr,
			"MARKET4_LOG_LEVEL=error")
		cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitReady(t, "http://"+serverAddr+"/readyz")
		return cmd
	}
	bank := exec.Command(bankBin, "--addr", bankAddr, "--platform-url", "http://"+serverAddr, "--log-level", "error")
	bank.Env = env
	bank.Stdout, bank.Stderr = io.Discard, os.Stderr
	if err := bank.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { bank.Process.Kill(); bank.Wait() }()
	waitReady(t, "http://"+bankAddr+"/healthz")
	server := startServer()
	defer func() { server.Process.Kill(); server.Wait() }()

	// The storm: 8 shoppers' apps paying random stalls; the server is
	// killed after the first 80 transfers and restarted 300 ms later.
	const workers, each = 8, 30
	shoppers := []string{"0101000001", "0101000002", "0101000003", "0101000004"}
	var sent, failed atomic.Int64
	var total atomic.Int64
	var wg sync.WaitGroup
	killed := make(chan struct{})
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				amount := int64(1000 * (1 + (w*each+i)%50))
				body, _ := json.Marshal(map[string]any{"from_account": shoppers[w%len(shoppers)], "qr_payload": qrs[(w+i)%len(qrs)], "amount": amount})
				resp, err := http.Post("http://"+bankAddr+"/mockbank/v1/transfers", "application/json", bytes.NewReader(body))
				if err != nil || resp.StatusCode != 201 {
					failed.Add(1)
					if resp != nil {
						resp.Body.Close()
					}
					continue
				}
				resp.Body.Close()
				total.Add(amount)
				if sent.Add(1) == 80 {
					close(killed)
				}
			}
		}(w)
	}
	<-killed
	if err := server.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	server.Wait()
	time.Sleep(300 * time.Millisecond)
	server = startServer()
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d transfers failed at the bank", failed.Load())
	}
	n := sent.Load()

	// The bank retries with backoff until acknowledged; wait for it.
	var got int64
	deadline := time.Now().Add(90 * time.Second)
	for ; time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if err := st.SQL().QueryRow(`SELECT COUNT(*) FROM transfers WHERE incoming`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got >= n {
			break
		}
	}
	var distinct, credited int64
	st.SQL().QueryRow(`SELECT COUNT(DISTINCT event_id) FROM transfers WHERE incoming`).Scan(&distinct)
	st.SQL().QueryRow(`SELECT COALESCE(-SUM(amount), 0) FROM journal WHERE account LIKE 'stall:%'`).Scan(&credited)
	if got != n || distinct != n {
		t.Fatalf("bank made %d transfers; inbox has %d rows, %d distinct", n, got, distinct)
	}
	if credited != total.Load() {
		t.Fatalf("stalls credited %d đồng, bank moved %d", credited, total.Load())
	}
	// Prove the kill mattered: some deliveries failed and were retried.
	resp, err := http.Get("http://" + bankAddr + "/mockbank/v1/transactions?limit=1000")
	if err != nil {
		t.Fatal(err)
	}
	var txs []struct {
		Attempts []struct{ Status int } `json:"attempts"`
	}
	var wrapper struct {
		Transactions json.RawMessage `json:"transactions"`
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if json.Unmarshal(body, &wrapper) == nil && len(wrapper.Transactions) > 0 {
		body = wrapper.Transactions
	}
	if err := json.Unmarshal(body, &txs); err != nil {
		t.Fatalf("bank transactions: %v: %.200s", err, body)
	}
	retried := 0
	for _, tx := range txs {
		if len(tx.Attempts) > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Fatal("no delivery was retried: the kill did not hit the storm")
	}
	audit := exec.Command(market4Bin, "audit")
	audit.Env = append(env, "MARKET4_DATABASE_URL="+dsn)
	if out, err := audit.CombinedOutput(); err != nil {
		t.Fatalf("market4 audit: %v\n%s", err, out)
	}
	t.Logf("%d transfers (%d needed retries), %d đồng, recorded exactly once across a SIGKILL", n, retried, total.Load())
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
	}
	t.Fatalf("%s not ready", url)
}
