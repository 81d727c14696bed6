package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/ocop"
	"github.com/market4/market4/internal/printable"
)

// OCOP stamp configuration, read from the environment like the rest of
// config (each also as MARKET4_<NAME>_FILE):
//
//	MARKET4_STAMP_KEYS            {"keys":[{"seed":"…","not_before":"…"}, {"x":"…"}]} (secret; see app.ParseStampKeys)
//	MARKET4_SCAN_SECRET           ≥ 32 characters keying the hash of scanning devices (secret)
//	MARKET4_STAMP_HOST            host printed in stamp links (default: the host of MARKET4_PUBLIC_URL)
//	MARKET4_SCAN_PROVINCE_HEADER  header a trusted GeoIP proxy sets to the client's province code
//
// Without MARKET4_STAMP_KEYS the server signs with an ephemeral key (fine
// for the demo; in production every restart would start a new key).
var stampEnv = [][3]string{
	{"MARKET4_STAMP_KEYS", "(none; ephemeral key)", "stamp signing keys, JSON (market4 stamps keygen)"},
	{"MARKET4_SCAN_SECRET", "(none; random per process)", "secret keying scanning-device hashes, ≥ 32 chars"},
	{"MARKET4_STAMP_HOST", "host of MARKET4_PUBLIC_URL", "host printed in stamp links"},
	{"MARKET4_SCAN_PROVINCE_HEADER", "(none)", "trusted proxy header with the scanner's province code"},
}

// ocopConfig reads the OCOP settings from the environment.
func ocopConfig() (app.OCOPConfig, error) {
	var c app.OCOPConfig
	var problems []string
	if v, ok, err := lookup("STAMP_KEYS"); err != nil {
		problems = append(problems, err.Error())
	} else if ok && strings.TrimSpace(v) != "" {
		keys, err := app.ParseStampKeys([]byte(v))
		if err != nil {
			problems = append(problems, "MARKET4_STAMP_KEYS: "+err.Error())
		}
		c.Keys = keys
	}
	if v, ok, err := lookup("SCAN_SECRET"); err != nil {
		problems = append(problems, err.Error())
	} else if ok && v != "" {
		if len(v) < 32 {
			problems = append(problems, "MARKET4_SCAN_SECRET must be at least 32 characters")
		}
		c.DeviceSecret = []byte(v)
	}
	if v, ok, err := lookup("STAMP_HOST"); err != nil {
		problems = append(problems, err.Error())
	} else if ok {
		c.StampHost = v
	}
	if v, ok, err := lookup("SCAN_PROVINCE_HEADER"); err != nil {
		problems = append(problems, err.Error())
	} else if ok {
		c.ProvinceHeader = v
	}
	if len(problems) > 0 {
		return c, fmt.Errorf("invalid OCOP configuration:\n  %s", strings.Join(problems, "\n  "))
	}
	return c, nil
}

// configureOCOP installs the stamp keys and OCOP settings into svc; wire
// calls it once at start-up. It logs key ids, never seeds or secrets.
func configureOCOP(ctx context.Context, svc *app.Service, log *slog.Logger) error {
	c, err := ocopConfig()
	if err != nil {
		return err
	}
	if err := svc.ConfigureOCOP(ctx, c); err != nil {
		return fmt.Errorf("configure OCOP stamps: %w", err)
	}
	set, err := svc.StampKeySet(ctx)
	if err != nil {
		return err
	}
	ids := make([]string, len(set.Keys))
	for i, k := range set.Keys {
		ids[i] = k.Kid
	}
	host, _ := svc.StampHost(ctx)
	log.Info("ocop stamps", "keys", ids, "stamp_host", host, "scan_secret", mask(string(c.DeviceSecret)),
		"province_header", c.ProvinceHeader)
	return nil
}

const stampsUsage = `usage:
  market4 stamps verify URL --keys FILE
        check a stamp link's signature offline against a published key list
        (a saved copy of /.well-known/market4-stamp-keys.json)
  market4 stamps keygen [--not-before RFC3339]
        print a new signing key entry for MARKET4_STAMP_KEYS (a secret)
  market4 stamps keys
        print the published key list of the keys in MARKET4_STAMP_KEYS
  market4 stamps sheet --lot ID --out FILE [--status S] [--columns N] [--rows N] [--label-mm X]
        write a lot's stamps as printable A4 sheets (PDF), with progress`

// cmdStamps is `market4 stamps ...`.
func cmdStamps(ctx context.Context, cfg config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{stampsUsage}
	}
	switch args[0] {
	case "verify":
		return stampsVerify(args[1:], stdout)
	case "keygen":
		return stampsKeygen(args[1:], stdout, stderr)
	case "keys":
		return stampsKeys(args[1:], stdout)
	case "sheet":
		return stampsSheet(ctx, cfg, log, args[1:], stdout, stderr)
	}
	return usageError{stampsUsage}
}

// splitPositional lets a positional argument come before the flags
// ("verify URL --keys FILE"), which package flag alone does not allow.
func splitPositional(args []string) (pos []string, flags []string) {
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		pos, args = append(pos, args[0]), args[1:]
	}
	return pos, args
}

func stampsVerify(args []string, stdout io.Writer) error {
	pos, rest := splitPositional(args)
	fs := flag.NewFlagSet("stamps verify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	keysFile := fs.String("keys", "", "published key list (JSON)")
	if err := fs.Parse(rest); err != nil {
		return usageError{err.Error() + "\n" + stampsUsage}
	}
	pos = append(pos, fs.Args()...)
	if len(pos) != 1 || *keysFile == "" {
		return usageError{stampsUsage}
	}
	doc, err := os.ReadFile(*keysFile)
	if err != nil {
		return err
	}
	var set ocop.PublishedKeySet
	if err := json.Unmarshal(doc, &set); err != nil {
		return fmt.Errorf("%s is not a published key list: %w", *keysFile, err)
	}
	ring, err := ocop.KeyRingFromPublished(set)
	if err != nil {
		return fmt.Errorf("%s: %w", *keysFile, err)
	}
	link, err := ocop.ParseLink(pos[0])
	if err != nil {
		fmt.Fprintf(stdout, "INVALID  the link is malformed: %v\n", err)
		return errors.New("stamp link is not valid")
	}
	fmt.Fprintf(stdout, "link     %s\n", link.String())
	if link.NonGS1 {
		fmt.Fprintf(stdout, "form     Market4 stamp (no GTIN): lot %s, serial %s\n", link.LotID, link.Serial)
	} else {
		fmt.Fprintf(stdout, "form     GS1 Digital Link: GTIN %s, lot %s, serial %s\n", link.GTIN, link.Lot, link.Serial)
	}
	if err := ring.Verify(link); err != nil {
		fmt.Fprintf(stdout, "INVALID  %v\n", err)
		return errors.New("stamp signature does not verify")
	}
	for _, k := range ring.Keys() {
		if k.ID == link.KeyID {
			until := "no end"
			if !k.NotAfter.IsZero() {
				until = k.NotAfter.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(stdout, "key      %s (%s, signs from %s until %s)\n", k.ID, set.Scheme, k.NotBefore.UTC().Format(time.RFC3339), until)
		}
	}
	fmt.Fprintln(stdout, "VALID    the stamp was issued by Market4 (signature verified offline).")
	fmt.Fprintln(stdout, "         Its status, lot recalls and scan history need the online check: open the link.")
	return nil
}

func stampsKeygen(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("stamps keygen", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	nb := fs.String("not-before", "", "when the key starts signing (RFC 3339; default now)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return usageError{stampsUsage}
	}
	notBefore := time.Now().UTC().Truncate(time.Second)
	if *nb != "" {
		t, err := time.Parse(time.RFC3339, *nb)
		if err != nil {
			return usageError{"--not-before must be RFC 3339, e.g. 2027-01-01T00:00:00Z"}
		}
		notBefore = t.UTC()
	}
	entry, id, err := app.NewStampKeyConfig(notBefore)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(entry)
	fmt.Fprintf(stdout, "%s\n", b)
	fmt.Fprintf(stderr, "key %s: add this entry to MARKET4_STAMP_KEYS {\"keys\":[…]}. The seed is a secret: whoever holds it can issue genuine-looking stamps.\n", id)
	return nil
}

func stampsKeys(args []string, stdout io.Writer) error {
	if len(args) != 0 {
		return usageError{stampsUsage}
	}
	c, err := ocopConfig()
	if err != nil {
		return err
	}
	if len(c.Keys) == 0 {
		return errors.New("MARKET4_STAMP_KEYS is not set")
	}
	ring, err := ocop.NewKeyRing(c.Keys...)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(ring.Published())
}

func stampsSheet(ctx context.Context, cfg config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("stamps sheet", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	lotID := fs.String("lot", "", "lot id")
	out := fs.String("out", "", "PDF file to write")
	status := fs.String("status", "", "only stamps in this status (e.g. generated)")
	cols := fs.Int("columns", 0, "labels across (default 5)")
	rows := fs.Int("rows", 0, "labels down (default 8)")
	labelMM := fs.Float64("label-mm", 0, "QR code edge in mm (default: largest that fits)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 || *lotID == "" || *out == "" {
		return usageError{stampsUsage}
	}
	st, err := openStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := newService(cfg, st, log)
	if err := configureOCOP(ctx, svc, log); err != nil {
		return err
	}
	// The operator at the console acts as an administrator.
	job, err := svc.PrintStamps(ctx, market.Actor{Role: market.RoleAdmin}, *lotID, ocop.StampStatus(*status))
	if err != nil {
		return describe(err)
	}
	total := job.Lot.StampsIssued
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".stamps-*.pdf")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	start := time.Now()
	opt := printable.SheetOptions{Columns: *cols, Rows: *rows, LabelMM: *labelMM, Title: job.Product.NameVI + " - lot " + job.Lot.Code,
		Progress: func(done int) {
			fmt.Fprintf(stderr, "\r%d/%d labels", done, total)
		}}
	err = printable.StampSheet(tmp, opt, func(yield func(printable.Label) bool) {
		for v := range job.Stamps(ctx) {
			if !yield(printable.Label{URL: v.URL, Serial: v.Serial, Line1: job.Product.NameVI, Line2: "Lot " + job.Lot.Code}) {
				return
			}
		}
	})
	fmt.Fprintln(stderr)
	if err == nil {
		err = job.Err()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return describe(err)
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s in %v; after printing, mark them: POST /v1/lots/%s/stamps/status {\"from\":\"generated\",\"to\":\"printed\"}\n",
		*out, time.Since(start).Round(time.Millisecond), job.Lot.ID)
	return nil
}

// printOCOPDemo prints the demo's OCOP entry points: the catalogue and a
// few stamp links to open (on this server's own address, as the demo
// serves plain HTTP while printed links are https).
func printOCOPDemo(w io.Writer, publicURL string, demo *app.OCOPDemo) {
	fmt.Fprintf(w, "\nOCOP (producer, 2 products with 4★ certificates, a lot with %d activated stamps):\n", len(demo.Stamps))
	fmt.Fprintf(w, "  Catalogue      %s/ocop\n", publicURL)
	fmt.Fprintf(w, "  Stamp keys     %s/.well-known/market4-stamp-keys.json\n", publicURL)
	for i, s := range demo.Stamps {
		if i == 3 {
			break
		}
		path := s.URL
		if j := strings.Index(strings.TrimPrefix(path, "https://"), "/"); j >= 0 {
			path = strings.TrimPrefix(path, "https://")[j:]
		}
		fmt.Fprintf(w, "  Scan a stamp   %s%s\n", publicURL, path)
	}
}
