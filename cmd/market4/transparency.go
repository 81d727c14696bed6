package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/translog"
	"github.com/market4/market4/internal/web/dashboard"
)

// Transparency commands and wiring: the tamper-evident log's key handling,
// an offline verifier, rollup maintenance. Configuration (read here, with
// the MARKET4_<NAME>_FILE convention of config.go):
//
//	MARKET4_LOG_SIGNER_KEY     Ed25519 signed-note key signing checkpoints (secret;
//	                           `market4 log keygen` makes one). Unset: the log is
//	                           off (serve) or uses a throwaway key (demo).
//	MARKET4_LOG_VERIFIER_KEY   optional; must match the signer key when set.
//	MARKET4_LOG_ORIGIN         optional; must equal the key's name when set.

// transparencyEnv lists the variables for --help.
var transparencyEnv = [][3]string{
	{"MARKET4_LOG_SIGNER_KEY", "(none: log off; demo: generated)", "Ed25519 key signing log checkpoints (market4 log keygen)"},
	{"MARKET4_LOG_VERIFIER_KEY", "(derived)", "published verifier key; checked against the signer"},
	{"MARKET4_LOG_ORIGIN", "(the key's name)", "log origin, first line of every checkpoint"},
}

// logOptionsFromEnv reads the log configuration; ok is false when no
// signer key is configured.
func logOptionsFromEnv() (opt app.LogOptions, ok bool, err error) {
	for name, dst := range map[string]*string{"LOG_SIGNER_KEY": &opt.SignerKey, "LOG_VERIFIER_KEY": &opt.VerifierKey, "LOG_ORIGIN": &opt.Origin} {
		v, _, err := lookup(name)
		if err != nil {
			return opt, false, err
		}
		*dst = strings.TrimSpace(v)
	}
	return opt, opt.SignerKey != "", nil
}

// wireTransparency turns the transparency log on when a signer key is
// configured (or, with ephemeral, under a throwaway key: the demo), starts
// the sequencer (which also compacts old rollup shards), and returns the
// dashboard handler to mount at dashboard.Prefixes and a stop function.
func wireTransparency(svc *app.Service, cfg config, log *slog.Logger, ephemeral bool) (http.Handler, func(), error) {
	opt, ok, err := logOptionsFromEnv()
	if err != nil {
		return nil, nil, err
	}
	if !ok && ephemeral {
		origin := "market4.demo/journal"
		if u, err := url.Parse(cfg.PublicURL); err == nil && u.Host != "" {
			origin = strings.ReplaceAll(u.Host, "+", "-") + "/journal"
		}
		if opt.SignerKey, _, err = translog.GenerateKey(origin); err != nil {
			return nil, nil, err
		}
		ok = true
	}
	if ok {
		if err := svc.UseTransparencyLog(opt); err != nil {
			return nil, nil, fmt.Errorf("transparency log: %w", describe(err))
		}
		vkey, _ := svc.LogVerifierKey()
		log.Info("transparency log on", "verifier_key", vkey)
	} else {
		log.Warn("transparency log off: set MARKET4_LOG_SIGNER_KEY (market4 log keygen) to sign checkpoints")
	}
	ctx, cancel := context.WithCancel(context.Background())
	go svc.RunSequencer(ctx, time.Second)
	h := dashboard.New(dashboard.Options{Service: svc, Logger: log, SecureCookies: strings.HasPrefix(cfg.PublicURL, "https://")})
	return h, cancel, nil
}

// cmdLog runs `market4 log keygen|sequence|audit`.
func cmdLog(ctx context.Context, cfg config, log *slog.Logger, args []string, stdout io.Writer) error {
	const usage = "usage: market4 log keygen --origin NAME | log sequence [--full] | log audit"
	if len(args) == 0 {
		return usageError{usage}
	}
	switch args[0] {
	case "keygen":
		fs := flag.NewFlagSet("log keygen", flag.ContinueOnError)
		origin := fs.String("origin", "", "log origin, e.g. market4.example.vn/journal")
		if err := fs.Parse(args[1:]); err != nil || *origin == "" {
			return usageError{"usage: market4 log keygen --origin NAME"}
		}
		skey, vkey, err := translog.GenerateKey(*origin)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "# keep secret; give the server MARKET4_LOG_SIGNER_KEY (or _FILE)\nMARKET4_LOG_SIGNER_KEY=%s\n# publish for auditors (also served at /v1/log/key)\nMARKET4_LOG_VERIFIER_KEY=%s\n", skey, vkey)
		return nil
	case "sequence", "audit":
	default:
		return usageError{usage}
	}
	opt, ok, err := logOptionsFromEnv()
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("MARKET4_LOG_SIGNER_KEY is not set")
	}
	st, err := openStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := newService(cfg, st, log)
	opt.Batch = 10000
	if len(args) > 1 && args[1] == "--full" {
		// Look below the cursor over the whole journal, once, for rows
		// that committed after the sequencer passed them.
		opt.SweepEvery, opt.SweepRows = 1<<30, -1 // the first run only
	}
	if err := svc.UseTransparencyLog(opt); err != nil {
		return describe(err)
	}
	if args[0] == "sequence" {
		total := 0
		start := time.Now()
		for {
			n, err := svc.SequenceOnce(ctx)
			if err != nil {
				return err
			}
			total += n
			if n == 0 {
				break
			}
		}
		cp, err := svc.LatestLogCheckpoint(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "appended %d leaves in %s; tree size %d\n%s", total, time.Since(start).Round(time.Millisecond), cp.Size, cp.Note)
		return nil
	}
	a, err := svc.AuditLog(ctx)
	if err != nil {
		return err
	}
	for _, p := range a.Problems {
		fmt.Fprintln(stdout, "FAIL", p)
	}
	if len(a.Problems) > 0 {
		return fmt.Errorf("log audit found %d problems", len(a.Problems))
	}
	fmt.Fprintf(stdout, "log audit passed: %d leaves rebuilt from the current rows match the log signed at size %d\n", a.Checked, a.TreeSize)
	return nil
}

// cmdRollups runs `market4 rollups rebuild|seal|compact|audit`.
func cmdRollups(ctx context.Context, cfg config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return usageError{"usage: market4 rollups rebuild|seal|compact|audit"}
	}
	st, err := openStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := newService(cfg, st, log)
	start := time.Now()
	switch args[0] {
	case "rebuild":
		n, err := svc.RebuildRollups(ctx, market.Actor{Role: market.RoleAdmin})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "rebuilt %d rollup rows from the journal in %s\n", n, time.Since(start).Round(time.Millisecond))
	case "seal":
		prev, through, err := svc.SealRollups(ctx)
		if err != nil {
			return err
		}
		if through <= prev {
			fmt.Fprintf(stdout, "nothing to seal: days through %s are sealed\n", prev)
		} else {
			fmt.Fprintf(stdout, "sealed the days after %q through %s into the summaries in %s\n", prev, through, time.Since(start).Round(time.Millisecond))
		}
		return nil
	case "compact":
		n, err := svc.CompactRollups(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "folded %d (stall, day, provider) groups into shard 0 in %s\n", n, time.Since(start).Round(time.Millisecond))
		return nil
	case "audit":
	default:
		return usageError{"usage: market4 rollups rebuild|seal|compact|audit"}
	}
	bad, err := svc.AuditRollups(ctx)
	if err != nil {
		return err
	}
	for _, b := range bad {
		fmt.Fprintln(stdout, "FAIL", b)
	}
	if len(bad) > 0 {
		return fmt.Errorf("rollups differ from the journal in %d places", len(bad))
	}
	fmt.Fprintln(stdout, "rollups agree with the journal")
	return nil
}

// Verification, offline or against a server.

type inclusionDoc struct {
	TreeSize   uint64  `json:"tree_size"`
	Checkpoint *string `json:"checkpoint"`
	Leaves     []struct {
		Index    uint64   `json:"index"`
		Kind     string   `json:"kind"`
		Leaf     *string  `json:"leaf"`
		LeafHash string   `json:"leaf_hash"`
		Proof    []string `json:"proof"`
	} `json:"leaves"`
}

type consistencyDoc struct {
	From  uint64   `json:"from"`
	To    uint64   `json:"to"`
	Proof []string `json:"proof"`
}

// cmdVerifyLog runs `market4 verify-log`: it needs nothing from Market4
// but the verifier key. It checks a checkpoint's signature; with --old,
// that the log only appended since an older checkpoint; with --payment or
// --index, that the movements are in the log. Proofs come from files
// (--inclusion, --consistency: the JSON of /v1/log/inclusion and
// /v1/log/consistency) or are fetched from --server.
func cmdVerifyLog(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("verify-log", flag.ContinueOnError)
	key := fs.String("key", "", "verifier key, or @FILE holding it")
	cpFile := fs.String("checkpoint", "", "checkpoint file (default: fetch the latest from --server)")
	oldFile := fs.String("old", "", "an older checkpoint file: verify the log only appended since")
	paymentID := fs.String("payment", "", "payment id: verify its credits and refunds are in the log")
	index := fs.Int64("index", -1, "leaf index: verify that leaf is in the log")
	server := fs.String("server", "", "Market4 base URL to fetch proofs (and the checkpoint) from")
	incFile := fs.String("inclusion", "", "inclusion proof JSON file (offline)")
	consFile := fs.String("consistency", "", "consistency proof JSON file (offline)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *key == "" || (*cpFile == "" && *server == "") {
		return usageError{"usage: market4 verify-log --key VKEY|@FILE --checkpoint FILE [--old FILE] [--payment ID | --index N] [--server URL | --inclusion FILE --consistency FILE]"}
	}
	vkey := *key
	if strings.HasPrefix(vkey, "@") {
		b, err := os.ReadFile(vkey[1:])
		if err != nil {
			return err
		}
		vkey = strings.TrimSpace(string(b))
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	fetch := func(path string) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(*server, "/")+path, nil)
		if err != nil {
			return nil, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(b)))
		}
		return b, nil
	}
	var note []byte
	var err error
	if *cpFile != "" {
		note, err = os.ReadFile(*cpFile)
	} else {
		note, err = fetch("/v1/log/checkpoint")
	}
	if err != nil {
		return err
	}
	cp, err := translog.OpenCheckpoint(note, vkey)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	fmt.Fprintf(stdout, "OK   checkpoint signed by %s: size %d, root %x\n", cp.Origin, cp.Size, cp.Root)
	failures := 0
	if *oldFile != "" {
		oldNote, err := os.ReadFile(*oldFile)
		if err != nil {
			return err
		}
		old, err := translog.OpenCheckpoint(oldNote, vkey)
		if err != nil {
			return fmt.Errorf("old checkpoint: %w", err)
		}
		var raw []byte
		if *consFile != "" {
			raw, err = os.ReadFile(*consFile)
		} else if *server != "" {
			raw, err = fetch(fmt.Sprintf("/v1/log/consistency?from=%d&to=%d", old.Size, cp.Size))
		} else {
			return errors.New("--old needs --consistency FILE or --server")
		}
		if err != nil {
			return err
		}
		var doc consistencyDoc
		if err := json.Unmarshal(raw, &doc); err != nil {
			return fmt.Errorf("consistency proof: %w", err)
		}
		proof, err := unb64All(doc.Proof)
		if err == nil && (doc.From != old.Size || doc.To != cp.Size) {
			err = fmt.Errorf("proof is from %d to %d, the checkpoints are %d and %d", doc.From, doc.To, old.Size, cp.Size)
		}
		if err == nil {
			err = translog.VerifyConsistency(old.Size, cp.Size, old.Root, cp.Root, proof)
		}
		if err != nil {
			failures++
			fmt.Fprintf(stdout, "FAIL history rewritten or bad proof between sizes %d and %d: %v\n", old.Size, cp.Size, err)
		} else {
			fmt.Fprintf(stdout, "OK   the log of size %d only appended to the log of size %d\n", cp.Size, old.Size)
		}
	}
	if *paymentID != "" || *index >= 0 {
		var raw []byte
		switch {
		case *incFile != "":
			raw, err = os.ReadFile(*incFile)
		case *server != "" && *paymentID != "":
			raw, err = fetch("/v1/log/inclusion?payment_id=" + url.QueryEscape(*paymentID) + "&tree_size=" + strconv.FormatUint(cp.Size, 10))
		case *server != "":
			raw, err = fetch(fmt.Sprintf("/v1/log/inclusion?index=%d&tree_size=%d", *index, cp.Size))
		default:
			return errors.New("--payment/--index need --inclusion FILE or --server")
		}
		if err != nil {
			return err
		}
		var doc inclusionDoc
		if err := json.Unmarshal(raw, &doc); err != nil {
			return fmt.Errorf("inclusion proof: %w", err)
		}
		if doc.TreeSize != cp.Size {
			return fmt.Errorf("the proofs are for tree size %d, the checkpoint has %d", doc.TreeSize, cp.Size)
		}
		if len(doc.Leaves) == 0 {
			return errors.New("no leaves in the inclusion proof")
		}
		for _, l := range doc.Leaves {
			if err := verifyLeaf(stdout, cp, l.Index, l.Leaf, l.LeafHash, l.Proof, *paymentID); err != nil {
				failures++
				fmt.Fprintf(stdout, "FAIL leaf %d: %v\n", l.Index, err)
			}
		}
	}
	if failures > 0 {
		return fmt.Errorf("%d verifications failed", failures)
	}
	return nil
}

func verifyLeaf(w io.Writer, cp translog.Checkpoint, index uint64, leaf *string, leafHash string, proofB64 []string, paymentID string) error {
	proof, err := unb64All(proofB64)
	if err != nil {
		return err
	}
	var hash []byte
	desc := "(leaf bytes withheld; hash only)"
	if leaf != nil {
		b, err := base64.StdEncoding.DecodeString(*leaf)
		if err != nil {
			return err
		}
		l, err := translog.ParseLeaf(b)
		if err != nil {
			return err
		}
		if paymentID != "" && l.Kind == translog.KindPayment && l.ID != paymentID {
			return fmt.Errorf("the leaf is for payment %s, not %s", l.ID, paymentID)
		}
		hash = translog.LeafHash(b)
		desc = fmt.Sprintf("%s %s: %d đồng, stall %s, %s at %s via %s (ref %s)", l.Kind, l.ID, l.Amount, l.StallID, l.Status,
			l.OccurredAt.Format(translog.TimeLayout), l.Provider, l.ProviderRef)
	} else if hash, err = base64.StdEncoding.DecodeString(leafHash); err != nil {
		return err
	}
	if err := translog.VerifyInclusion(hash, index, cp.Size, cp.Root, proof); err != nil {
		return err
	}
	fmt.Fprintf(w, "OK   leaf %d is in the log of size %d: %s\n", index, cp.Size, desc)
	return nil
}

func unb64All(ss []string) ([][]byte, error) {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("proof hash %d: %w", i, err)
		}
		out[i] = b
	}
	return out, nil
}
