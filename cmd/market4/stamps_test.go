package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/market4/market4/internal/market"
)

// stamps runs `market4 stamps ...` (called directly: the lead wires the
// "stamps" case into main.go's switch).
func (c *cli) stamps(args ...string) (string, string, error) {
	c.t.Helper()
	cfg, err := loadConfig()
	if err != nil {
		c.t.Fatal(err)
	}
	var out, errb bytes.Buffer
	err = cmdStamps(context.Background(), cfg, slog.New(slog.DiscardHandler), args, &out, &errb)
	return out.String(), errb.String(), err
}

func TestStampsCommands(t *testing.T) {
	c := newCLI(t)
	c.mustRun("", "migrate", "up")
	t.Setenv("MARKET4_STAMP_HOST", "m4.test")

	// keygen → MARKET4_STAMP_KEYS → keys: the published list.
	entry, note, err := c.stamps("keygen", "--not-before", "2025-01-01T00:00:00Z")
	if err != nil || !strings.Contains(entry, `"seed":"`) || !strings.Contains(note, "secret") {
		t.Fatalf("keygen: %q %q %v", entry, note, err)
	}
	t.Setenv("MARKET4_STAMP_KEYS", `{"keys":[`+strings.TrimSpace(entry)+`]}`)
	t.Setenv("MARKET4_SCAN_SECRET", strings.Repeat("s", 32))
	published, _, err := c.stamps("keys")
	if err != nil || !strings.Contains(published, `"scheme": "market4-stamp-v1"`) || strings.Contains(published, "seed") {
		t.Fatalf("keys: %s %v", published, err)
	}
	keysFile := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(keysFile, []byte(published), 0o600); err != nil {
		t.Fatal(err)
	}

	// Demo data signed with the configured key, as the server would.
	svc, _ := c.service()
	if err := configureOCOP(context.Background(), svc, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	admin := market.Actor{Role: market.RoleAdmin}
	d, err := svc.CreateDistrict(context.Background(), admin, market.District{Name: "Vị Thủy", Province: "Hậu Giang"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := svc.CreateMarket(context.Background(), admin, market.Market{DistrictID: d.ID, Name: "Chợ Vị Thủy"})
	if err != nil {
		t.Fatal(err)
	}
	demo, err := svc.SeedOCOP(context.Background(), d.ID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	url := demo.Stamps[0].URL
	if !strings.HasPrefix(url, "https://m4.test/01/09506000134352/10/") {
		t.Fatalf("demo stamp %s", url)
	}

	out, _, err := c.stamps("verify", url, "--keys", keysFile)
	if err != nil || !strings.Contains(out, "VALID") || !strings.Contains(out, "GTIN 09506000134352") {
		t.Fatalf("verify: %s %v", out, err)
	}
	serial := demo.Stamps[0].Serial
	forged := strings.Replace(url, serial, serial[:11]+map[bool]string{true: "1", false: "0"}[serial[11] == '0'], 1)
	out, _, err = c.stamps("verify", forged, "--keys", keysFile)
	if err == nil || !strings.Contains(out, "INVALID") {
		t.Fatalf("forged: %s %v", out, err)
	}
	if _, _, err := c.stamps("verify", "https://m4.test/t/x", "--keys", keysFile); err == nil {
		t.Fatal("malformed link verified")
	}
	var u usageError
	for _, args := range [][]string{{}, {"verify"}, {"verify", url}, {"sheet", "--lot", "x"}, {"nope"}} {
		if _, _, err := c.stamps(args...); !errors.As(err, &u) {
			t.Errorf("stamps %v: %v, want usage error", args, err)
		}
	}

	// sheet: the lot's 20 stamps as a PDF.
	pdf := filepath.Join(t.TempDir(), "lot.pdf")
	out, progress, err := c.stamps("sheet", "--lot", demo.LotID, "--out", pdf)
	if err != nil {
		t.Fatalf("sheet: %v", err)
	}
	b, err := os.ReadFile(pdf)
	if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) || !strings.Contains(progress, "20/20 labels") || !strings.Contains(out, "wrote") {
		t.Fatalf("sheet: %q %q %v", out, progress, err)
	}
	if _, _, err := c.stamps("sheet", "--lot", "no-such-lot", "--out", pdf); err == nil {
		t.Fatal("sheet of a missing lot succeeded")
	}

	var banner bytes.Buffer
	printOCOPDemo(&banner, "http://localhost:8080", demo)
	if !strings.Contains(banner.String(), "http://localhost:8080/01/09506000134352/10/") {
		t.Fatalf("banner:\n%s", banner.String())
	}
}
