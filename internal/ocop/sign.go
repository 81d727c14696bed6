package ocop

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	voied "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// StampScheme names the signature scheme, published with the keys so that
// an offline verifier knows which message layout to rebuild.
const StampScheme = "market4-stamp-v1"

// The signed message is domain-separated and length-prefixed, so that no
// other signature made with these keys (and no other split of the same
// characters between fields) can pass for a stamp signature:
//
//	"market4-stamp-v1" 0x00                      17 bytes, scheme and version
//	form                                         1 byte: 'G' GS1, 'T' non-GS1
//	len(key_id) key_id                           1-byte length, then bytes
//	GS1:     len(gtin14) gtin14 len(lot) lot
//	non-GS1: len(lot_id) lot_id
//	len(serial) serial
//
// All values are the decoded identifiers (a lot "A/B" is signed as the three
// bytes A / B, never as "A%2FB") and the GTIN is in 14-digit form, so any
// valid spelling of the URL verifies. Every field is at most 36 bytes, so a
// one-byte length is enough; the whole message is at most 112 bytes. The
// key id is signed so that a signature cannot be re-labelled as another
// key's; the host is not signed (see Link).
const msgPrefix = StampScheme + "\x00"

// appendMessage appends the message to sign for l under keyID. l must be
// valid (Validate), which bounds every length.
func appendMessage(dst []byte, l Link, keyID string) []byte {
	dst = append(dst, msgPrefix...)
	if l.NonGS1 {
		dst = append(dst, 'T')
		dst = appendLP(dst, keyID)
		dst = appendLP(dst, l.LotID)
	} else {
		dst = append(dst, 'G')
		dst = appendLP(dst, keyID)
		dst = appendLP(dst, l.GTIN)
		dst = appendLP(dst, l.Lot)
	}
	return appendLP(dst, l.Serial)
}

func appendLP(dst []byte, s string) []byte {
	return append(append(dst, byte(len(s))), s...)
}

// KeyID derives the id of a public key: the first 6 bytes of its SHA-256
// in unpadded base64url, 8 characters. Deriving rather than choosing ids
// means a published id cannot be attached to the wrong key, and 48 bits
// keep the QR code small while making an accidental clash among a handful
// of keys practically impossible (NewKeyRing refuses one anyway).
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return base64.RawURLEncoding.EncodeToString(sum[:6])
}

// Key is one stamp-signing key. Private is nil in a verify-only key ring.
// NotBefore/NotAfter bound when the key may sign new stamps (zero NotAfter:
// no end); they do not limit verification, because labels signed while a
// key was current stay on shelves for years. Revoked withdraws trust
// completely (e.g. after a compromise): its signatures no longer verify.
type Key struct {
	ID        string
	Public    ed25519.PublicKey
	Private   ed25519.PrivateKey
	NotBefore time.Time
	NotAfter  time.Time
	Revoked   bool
}

// GenerateKey creates a signing key that may sign from notBefore on. Pass
// crypto/rand.Reader in production. Store Private.Seed() as a secret; the
// rest can be recomputed with NewKeyFromSeed.
func GenerateKey(r io.Reader, notBefore time.Time) (Key, error) {
	pub, priv, err := ed25519.GenerateKey(r)
	if err != nil {
		return Key{}, fmt.Errorf("ocop: generating stamp key: %w", err)
	}
	return Key{ID: KeyID(pub), Public: pub, Private: priv, NotBefore: notBefore}, nil
}

// NewKeyFromSeed rebuilds a signing key from its 32-byte secret seed, the
// form in which the server keeps it in configuration.
func NewKeyFromSeed(seed []byte, notBefore, notAfter time.Time) (Key, error) {
	if len(seed) != ed25519.SeedSize {
		return Key{}, fieldErr("seed", "must be %d bytes", ed25519.SeedSize)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	return Key{ID: KeyID(pub), Public: pub, Private: priv, NotBefore: notBefore, NotAfter: notAfter}, nil
}

// canSignAt reports whether k may sign at t.
func (k *Key) canSignAt(t time.Time) bool {
	return k.Private != nil && !k.Revoked && !t.Before(k.NotBefore) &&
		(k.NotAfter.IsZero() || t.Before(k.NotAfter))
}

// String describes the key without its secret, so that printing a Key or
// a struct holding one (%v, %+v, slog) never leaks the private key.
func (k Key) String() string {
	kind := "verify-only"
	if k.Private != nil {
		kind = "signing"
	}
	if k.Revoked {
		kind += ", revoked"
	}
	return "ocop.Key{" + k.ID + " " + kind + "}"
}

// GoString is String for %#v, for the same reason.
func (k Key) GoString() string { return k.String() }

// MarshalJSON emits only the public, published form of the key, so that
// serialising a Key by mistake cannot leak its private half. There is no
// UnmarshalJSON: keys are loaded with NewKeyFromSeed (signing) or
// KeyRingFromPublished (verifying).
func (k Key) MarshalJSON() ([]byte, error) { return json.Marshal(publish(&k)) }

// KeyRing holds the stamp keys: the current signing key and older or
// revoked ones that verification must still know. It is immutable after
// NewKeyRing and safe for concurrent use.
type KeyRing struct {
	keys []Key // sorted by NotBefore, then ID
	byID map[string]*Key
	// expanded holds each key's public half with its precomputed tables
	// (nil where the encoding cannot be expanded: crypto/ed25519 then
	// decides alone).
	expanded map[string]*voied.ExpandedPublicKey
}

// NewKeyRing validates and copies keys into a ring. A key without ID gets
// KeyID(Public); a key with a private half gets its public half derived
// and checked. Errors are *FieldError naming "keys[i].<field>".
func NewKeyRing(keys ...Key) (*KeyRing, error) {
	if len(keys) == 0 {
		return nil, fieldErr("keys", "at least one key is required")
	}
	kr := &KeyRing{keys: make([]Key, 0, len(keys)), byID: make(map[string]*Key, len(keys))}
	for i, k := range keys {
		f := "keys[" + strconv.Itoa(i) + "]."
		if k.Private != nil {
			if len(k.Private) != ed25519.PrivateKeySize {
				return nil, fieldErr(f+"private", "must be %d bytes", ed25519.PrivateKeySize)
			}
			k.Private = slices.Clone(k.Private)
			derived := k.Private.Public().(ed25519.PublicKey)
			if k.Public != nil && !bytes.Equal(k.Public, derived) {
				return nil, fieldErr(f+"public", "does not match the private key")
			}
			k.Public = derived
		}
		if len(k.Public) != ed25519.PublicKeySize {
			return nil, fieldErr(f+"public", "must be %d bytes", ed25519.PublicKeySize)
		}
		k.Public = slices.Clone(k.Public)
		id := KeyID(k.Public)
		if k.ID == "" {
			k.ID = id
		} else if k.ID != id {
			return nil, fieldErr(f+"id", "must be %s, derived from the public key", id)
		}
		if !k.NotAfter.IsZero() && !k.NotAfter.After(k.NotBefore) {
			return nil, fieldErr(f+"not_after", "must be after not_before")
		}
		if _, dup := kr.byID[k.ID]; dup {
			return nil, fieldErr(f+"id", "key %s appears twice", k.ID)
		}
		kr.keys = append(kr.keys, k)
		kr.byID[k.ID] = nil
	}
	slices.SortFunc(kr.keys, func(a, b Key) int {
		if c := a.NotBefore.Compare(b.NotBefore); c != 0 {
			return c
		}
		return cmpString(a.ID, b.ID)
	})
	kr.expanded = make(map[string]*voied.ExpandedPublicKey, len(kr.keys))
	for i := range kr.keys {
		k := &kr.keys[i]
		kr.byID[k.ID] = k
		if x, err := voied.NewExpandedPublicKey(voied.PublicKey(k.Public)); err == nil {
			kr.expanded[k.ID] = x
		}
	}
	return kr, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Keys returns copies of the ring's keys without private halves, for
// display and audits.
func (kr *KeyRing) Keys() []Key {
	out := make([]Key, len(kr.keys))
	for i, k := range kr.keys {
		k.Private = nil
		out[i] = k
	}
	return out
}

// SigningKey returns the key that signs at now: among keys with a private
// half, not revoked and with NotBefore ≤ now < NotAfter, the one with the
// latest NotBefore (so a rotation is scheduled by adding the next key with
// a future NotBefore). The result has its private half; do not log it.
// It returns ErrNoSigningKey when none qualifies.
func (kr *KeyRing) SigningKey(now time.Time) (Key, error) {
	for i := len(kr.keys) - 1; i >= 0; i-- {
		if k := &kr.keys[i]; k.canSignAt(now) {
			return *k, nil
		}
	}
	return Key{}, ErrNoSigningKey
}

// Sign returns l signed with the signing key current at now (any previous
// signature is replaced). now is passed in because the package has no
// clock. Errors: l's Validate error, or ErrNoSigningKey.
func (kr *KeyRing) Sign(l Link, now time.Time) (Link, error) {
	l = l.Unsigned()
	if err := l.Validate(); err != nil {
		return Link{}, err
	}
	k, err := kr.SigningKey(now)
	if err != nil {
		return Link{}, err
	}
	var buf [128]byte
	msg := appendMessage(buf[:0], l, k.ID)
	l.KeyID, l.Sig = k.ID, ed25519.Sign(k.Private, msg)
	return l, nil
}

// Verify checks l's signature offline. Errors, each a *FieldError:
// the Validate error of a malformed link; ErrUnsigned (field signature);
// ErrUnknownKey and ErrKeyRevoked (field key_id); ErrBadSignature (field
// signature) when any identifier, the key id or the signature was altered.
// All match ErrInvalid.
func (kr *KeyRing) Verify(l Link) error {
	if err := l.Validate(); err != nil {
		return err
	}
	if !l.Signed() {
		return &FieldError{Field: "signature", Msg: "is missing", Err: ErrUnsigned}
	}
	k := kr.byID[l.KeyID]
	switch {
	case k == nil:
		return &FieldError{Field: "key_id", Msg: "unknown key " + l.KeyID, Err: ErrUnknownKey}
	case k.Revoked:
		return &FieldError{Field: "key_id", Msg: "key " + l.KeyID + " is revoked", Err: ErrKeyRevoked}
	}
	var buf [128]byte
	if !verifySig(k.Public, kr.expanded[k.ID], appendMessage(buf[:0], l, l.KeyID), l.Sig) {
		return &FieldError{Field: "signature", Msg: "does not match the stamp", Err: ErrBadSignature}
	}
	return nil
}

// stdlibSemantics makes curve25519-voi accept exactly the signatures
// crypto/ed25519 accepts (cofactorless, RFC 8032 §5.1.7 as Go implements
// it), so a stamp verifies here if and only if it verifies with any
// Go-based checker of the published keys, `market4 stamps verify` included.
var stdlibSemantics = &voied.Options{Verify: voied.VerifyOptionsStdLib}

// verifySig checks an Ed25519 signature. With the key's precomputed
// tables (curve25519-voi) a check costs about half of crypto/ed25519's on
// amd64 (BenchmarkVerifySignature), which matters on the public
// verification path; the answer is the same.
func verifySig(pub ed25519.PublicKey, x *voied.ExpandedPublicKey, msg, sig []byte) bool {
	if x == nil {
		return ed25519.Verify(pub, msg, sig)
	}
	return voied.VerifyExpandedWithOptions(x, msg, sig, stdlibSemantics)
}

// PublishedKeySet is the public key list served at
// /.well-known/market4-stamp-keys.json, from which apps and inspectors
// build a verify-only key ring (KeyRingFromPublished) and check stamps
// without reaching the platform. Its shape is a JWK Set (RFC 7517, with
// Ed25519 keys as in RFC 8037) plus the scheme name and validity members,
// so standard JOSE libraries can read the keys.
type PublishedKeySet struct {
	Scheme string         `json:"scheme"` // StampScheme
	Keys   []PublishedKey `json:"keys"`
}

// PublishedKey is one public key in JWK form. NotBefore/NotAfter (RFC 3339,
// UTC) say when the key signed new stamps; Revoked marks a key whose
// signatures must be rejected.
type PublishedKey struct {
	Kty       string    `json:"kty"`           // "OKP"
	Crv       string    `json:"crv"`           // "Ed25519"
	Alg       string    `json:"alg,omitempty"` // "EdDSA"
	Use       string    `json:"use,omitempty"` // "sig"
	Kid       string    `json:"kid"`
	X         string    `json:"x"` // public key, unpadded base64url
	NotBefore time.Time `json:"not_before,omitzero"`
	NotAfter  time.Time `json:"not_after,omitzero"`
	Revoked   bool      `json:"revoked,omitempty"`
}

func publish(k *Key) PublishedKey {
	p := PublishedKey{Kty: "OKP", Crv: "Ed25519", Alg: "EdDSA", Use: "sig", Kid: k.ID,
		X: base64.RawURLEncoding.EncodeToString(k.Public), Revoked: k.Revoked}
	if !k.NotBefore.IsZero() {
		p.NotBefore = k.NotBefore.UTC()
	}
	if !k.NotAfter.IsZero() {
		p.NotAfter = k.NotAfter.UTC()
	}
	return p
}

// Published returns the public key list for the well-known document,
// including retired and revoked keys (verifiers need to know both).
func (kr *KeyRing) Published() PublishedKeySet {
	set := PublishedKeySet{Scheme: StampScheme, Keys: make([]PublishedKey, len(kr.keys))}
	for i := range kr.keys {
		set.Keys[i] = publish(&kr.keys[i])
	}
	return set
}

// KeyRingFromPublished builds a verify-only key ring from a published key
// list, checking the scheme, the JWK members and that every kid is the
// one derived from its key. Errors are *FieldError naming "scheme" or
// "keys[i].<member>".
func KeyRingFromPublished(set PublishedKeySet) (*KeyRing, error) {
	if set.Scheme != StampScheme {
		return nil, fieldErr("scheme", "must be %q", StampScheme)
	}
	keys := make([]Key, len(set.Keys))
	for i, p := range set.Keys {
		f := "keys[" + strconv.Itoa(i) + "]."
		if p.Kty != "OKP" || p.Crv != "Ed25519" {
			return nil, fieldErr(f+"kty", "must be an OKP key on curve Ed25519")
		}
		if p.Alg != "" && p.Alg != "EdDSA" {
			return nil, fieldErr(f+"alg", "must be EdDSA")
		}
		if p.Use != "" && p.Use != "sig" {
			return nil, fieldErr(f+"use", "must be sig")
		}
		pub, err := base64.RawURLEncoding.Strict().DecodeString(p.X)
		if err != nil || len(pub) != ed25519.PublicKeySize {
			return nil, fieldErr(f+"x", "must be a %d-byte key in unpadded base64url", ed25519.PublicKeySize)
		}
		if p.Kid != KeyID(pub) {
			return nil, fieldErr(f+"kid", "must be %s, derived from x", KeyID(pub))
		}
		keys[i] = Key{ID: p.Kid, Public: pub, NotBefore: p.NotBefore, NotAfter: p.NotAfter, Revoked: p.Revoked}
	}
	return NewKeyRing(keys...)
}
