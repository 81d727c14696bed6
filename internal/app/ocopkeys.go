package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/ocop"
)

// Stamp keys and the other OCOP settings.
//
// Design: the Ed25519 private halves live in configuration only
// (MARKET4_STAMP_KEYS or MARKET4_STAMP_KEYS_FILE, see ParseStampKeys), never
// in the database, so a database dump, a read replica or a reporting login
// cannot mint genuine-looking stamps. The database remembers the public half
// of every key ever configured (table stamp_keys), so removing a retired
// key from the configuration cannot invalidate labels already on shelves,
// and a revocation, once seen, sticks. The published key list
// (/.well-known/market4-stamp-keys.json) is the union of both.
//
// Rotation: add the next key with a future not_before; from that instant it
// signs new stamps (ocop.KeyRing.SigningKey picks the latest not_before),
// while the old one keeps verifying. Revocation after a compromise: set
// "revoked": true on the key (its stamps then verify as invalid; reissue).

// OCOPConfig holds the OCOP settings of a Service.
type OCOPConfig struct {
	// Keys are the stamp keys from configuration: signing keys (with a
	// private half) and retired or revoked public keys. Empty means "demo":
	// an ephemeral key is generated, whose labels stop being signable (but
	// stay verifiable, as its public half is stored) after a restart.
	Keys []ocop.Key
	// DeviceSecret keys the hash of scanning devices (ocop.HashDevice).
	// Empty: a random secret per process, so distinct-device counting
	// restarts with the process (and differs between instances).
	DeviceSecret []byte
	// StampHost is the host printed in stamp links; "" takes the host of
	// Config.PublicURL. It is not signed: labels survive a domain move.
	StampHost string
	// ProvinceHeader names a request header, set by a trusted edge proxy
	// (GeoIP), carrying the two-digit province code of the scanning client;
	// "" means provinces of scans are unknown. Clients cannot set it when
	// the proxy overwrites it; the HTTP layer reads it, the service never
	// sees an IP address.
	ProvinceHeader string
}

// ocopState is the configured OCOP machinery of one Service.
type ocopState struct {
	ring           *ocop.KeyRing
	secret         []byte
	host           string
	provinceHeader string
	ephemeral      bool
	rememberMu     sync.Mutex
	remembered     bool // the ephemeral key's public half is stored
	scans          *scanBatcher
}

// rememberKey stores the public half of an ephemeral signing key before
// its first signature, so stamps it signs keep verifying after a restart
// (when a new ephemeral key takes over) without filling the published list
// with keys that never signed anything (CLI runs, idle demos).
func (s *Service) rememberKey(ctx context.Context, st *ocopState, k ocop.Key) error {
	if !st.ephemeral {
		return nil
	}
	st.rememberMu.Lock()
	defer st.rememberMu.Unlock()
	if st.remembered {
		return nil
	}
	k.Private = nil
	if err := s.store.Read().SaveStampKey(ctx, StoredKey{Key: k, FirstSeenAt: s.now()}); err != nil {
		return err
	}
	st.remembered = true
	return nil
}

// ocop returns the Service's OCOP state, configuring the demo defaults
// (ephemeral key, random device secret) on first use when ConfigureOCOP
// was never called.
func (s *Service) ocop(ctx context.Context) (*ocopState, error) {
	if st := s.ocopSt.Load(); st != nil {
		return st, nil
	}
	s.ocopMu.Lock()
	defer s.ocopMu.Unlock()
	if st := s.ocopSt.Load(); st != nil {
		return st, nil
	}
	st, err := s.newOCOPState(ctx, OCOPConfig{})
	if err != nil {
		return nil, err
	}
	s.ocopSt.Store(st)
	return st, nil
}

// ConfigureOCOP installs the stamp keys and OCOP settings: it records the
// public halves of the configured keys in the database, merges in every key
// remembered there, and builds the key ring. Call it once at start-up,
// before serving. Errors: Invalid (a key), Unavailable (database).
func (s *Service) ConfigureOCOP(ctx context.Context, cfg OCOPConfig) error {
	st, err := s.newOCOPState(ctx, cfg)
	if err != nil {
		return err
	}
	s.ocopSt.Store(st)
	return nil
}

func (s *Service) newOCOPState(ctx context.Context, cfg OCOPConfig) (*ocopState, error) {
	now := s.now()
	st := &ocopState{secret: cfg.DeviceSecret, host: strings.ToLower(cfg.StampHost), provinceHeader: cfg.ProvinceHeader}
	keys := cfg.Keys
	if len(keys) == 0 {
		k, err := ocop.GenerateKey(rand.Reader, now.Add(-time.Minute))
		if err != nil {
			return nil, err
		}
		keys, st.ephemeral = []ocop.Key{k}, true
		s.log.Warn("no stamp keys configured (MARKET4_STAMP_KEYS): signing with an ephemeral key; stamps issued now cannot be re-signed after a restart", "key_id", k.ID)
	}
	// Validate the configured keys (derives ids and public halves).
	cfgRing, err := ocop.NewKeyRing(keys...)
	if err != nil {
		return nil, ocopErr(err)
	}
	byID := map[string]ocop.Key{}
	var order []string
	for _, k := range keys {
		if k.Private != nil {
			k.Public = k.Private.Public().(ed25519.PublicKey)
		}
		k.ID = ocop.KeyID(k.Public)
		if !st.ephemeral { // an ephemeral key is remembered when it first signs (rememberKey)
			pub := k
			pub.Private = nil
			if err := s.store.Read().SaveStampKey(ctx, StoredKey{Key: pub, FirstSeenAt: now}); err != nil {
				return nil, err
			}
		}
		byID[k.ID] = k
		order = append(order, k.ID)
	}
	_ = cfgRing
	stored, err := s.store.Read().StampKeys(ctx)
	if err != nil {
		return nil, err
	}
	for _, sk := range stored {
		k, ok := byID[sk.ID]
		if !ok {
			byID[sk.ID] = sk.Key
			order = append(order, sk.ID)
			continue
		}
		if !bytes.Equal(k.Public, sk.Public) {
			return nil, errs.E(errs.Internal, "stamp key %s: stored public key differs from the configured one", sk.ID)
		}
		if sk.Revoked && !k.Revoked {
			k.Revoked = true // a revocation once recorded cannot be undone by configuration
			byID[sk.ID] = k
		}
	}
	all := make([]ocop.Key, 0, len(order))
	for _, id := range order {
		all = append(all, byID[id])
	}
	if st.ring, err = ocop.NewKeyRing(all...); err != nil {
		return nil, ocopErr(err)
	}
	if _, err := st.ring.SigningKey(now); err != nil {
		s.log.Warn("no stamp key can sign now: issuing stamps will fail until one is configured")
	}
	if len(st.secret) == 0 {
		st.secret = make([]byte, 32)
		if _, err := rand.Read(st.secret); err != nil {
			return nil, err
		}
		if !st.ephemeral {
			s.log.Warn("no scan device secret configured (MARKET4_SCAN_SECRET): device counting restarts with the process")
		}
	}
	if st.host == "" {
		u, err := url.Parse(s.cfg.PublicURL)
		if err != nil || u.Host == "" {
			return nil, errs.E(errs.Invalid, "cannot take the stamp host from public URL %q", s.cfg.PublicURL)
		}
		st.host = strings.ToLower(u.Host)
		if u.Port() == "0" {
			// Listening on an ephemeral port (tests): the port is not known
			// here and is no part of a printed label anyway.
			st.host = strings.ToLower(u.Hostname())
		}
	}
	if _, err := ocop.NewNonGS1Link(st.host, "LOT", "SERIAL0000"); err != nil {
		return nil, errs.Field("stamp_host", fmt.Sprintf("%q cannot be the host of a stamp link: %v", st.host, err))
	}
	st.scans = newScanBatcher(s)
	return st, nil
}

// StampKeySet returns the published key list served at
// /.well-known/market4-stamp-keys.json: every key that ever signed stamps,
// public halves only, with validity and revocation.
func (s *Service) StampKeySet(ctx context.Context) (ocop.PublishedKeySet, error) {
	st, err := s.ocop(ctx)
	if err != nil {
		return ocop.PublishedKeySet{}, err
	}
	return st.ring.Published(), nil
}

// StampHost returns the host printed in stamp links.
func (s *Service) StampHost(ctx context.Context) (string, error) {
	st, err := s.ocop(ctx)
	if err != nil {
		return "", err
	}
	return st.host, nil
}

// ScanProvinceHeader returns the trusted request header carrying the
// scanning client's province code, "" when none is configured.
func (s *Service) ScanProvinceHeader(ctx context.Context) string {
	st, err := s.ocop(ctx)
	if err != nil {
		return ""
	}
	return st.provinceHeader
}

// StampKeyConfig is one entry of MARKET4_STAMP_KEYS: either a signing key
// (Seed, the 32-byte Ed25519 seed) or a verify-only public key (X), both
// unpadded base64url, with the validity of ocop.Key.
type StampKeyConfig struct {
	Seed      string    `json:"seed,omitempty"`
	X         string    `json:"x,omitempty"`
	NotBefore time.Time `json:"not_before,omitzero"`
	NotAfter  time.Time `json:"not_after,omitzero"`
	Revoked   bool      `json:"revoked,omitempty"`
}

// StampKeysConfig is the MARKET4_STAMP_KEYS document:
//
//	{"keys": [
//	  {"seed": "<32 bytes, base64url>", "not_before": "2026-01-01T00:00:00Z"},
//	  {"seed": "<next key>", "not_before": "2027-01-01T00:00:00Z"},
//	  {"x": "<public key of a retired key whose seed was destroyed>", "revoked": false}
//	]}
type StampKeysConfig struct {
	Keys []StampKeyConfig `json:"keys"`
}

// ParseStampKeys reads a MARKET4_STAMP_KEYS document into keys. Errors are
// Invalid naming keys[i].seed, keys[i].x, ...; they never contain a seed.
func ParseStampKeys(doc []byte) ([]ocop.Key, error) {
	var cfg StampKeysConfig
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, errs.Field("keys", "must be a JSON object {\"keys\": [...]}: "+jsonMsg(err))
	}
	if len(cfg.Keys) == 0 {
		return nil, errs.Field("keys", "at least one key is required")
	}
	out := make([]ocop.Key, 0, len(cfg.Keys))
	for i, kc := range cfg.Keys {
		f := fmt.Sprintf("keys[%d].", i)
		switch {
		case kc.Seed != "" && kc.X != "":
			return nil, errs.Field(f+"seed", "give either seed or x, not both")
		case kc.Seed != "":
			seed, err := base64.RawURLEncoding.Strict().DecodeString(kc.Seed)
			if err != nil || len(seed) != ed25519.SeedSize {
				return nil, errs.Field(f+"seed", "must be 32 bytes in unpadded base64url")
			}
			k, err := ocop.NewKeyFromSeed(seed, kc.NotBefore, kc.NotAfter)
			if err != nil {
				return nil, errs.Field(f+"seed", "is not a usable key")
			}
			k.Revoked = kc.Revoked
			out = append(out, k)
		case kc.X != "":
			pub, err := base64.RawURLEncoding.Strict().DecodeString(kc.X)
			if err != nil || len(pub) != ed25519.PublicKeySize {
				return nil, errs.Field(f+"x", "must be 32 bytes in unpadded base64url")
			}
			out = append(out, ocop.Key{Public: pub, NotBefore: kc.NotBefore, NotAfter: kc.NotAfter, Revoked: kc.Revoked})
		default:
			return nil, errs.Field(f+"seed", "a key needs a seed (signing) or x (verify only)")
		}
	}
	if _, err := ocop.NewKeyRing(out...); err != nil {
		return nil, ocopErr(err)
	}
	return out, nil
}

// NewStampKeyConfig generates a fresh signing key entry for
// MARKET4_STAMP_KEYS, valid from notBefore, and returns it with its id.
func NewStampKeyConfig(notBefore time.Time) (StampKeyConfig, string, error) {
	k, err := ocop.GenerateKey(rand.Reader, notBefore)
	if err != nil {
		return StampKeyConfig{}, "", err
	}
	return StampKeyConfig{Seed: base64.RawURLEncoding.EncodeToString(k.Private.Seed()), NotBefore: notBefore.UTC()}, k.ID, nil
}

func jsonMsg(err error) string {
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return msg
}
