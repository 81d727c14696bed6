package ocop

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestSignVerifyRoundTrip(t *testing.T) {
	kr := testRing(t)
	for _, l := range []Link{
		mustGS1(t, "L2026A", "7KX9M2QH4TZZ"),
		mustGS1(t, "A/B%C", "S!1"),
		{Host: "m4.vn", NonGS1: true, LotID: "01J5ZK", Serial: "7KX9M2QH4TZZ"},
	} {
		t.Run(l.String(), func(t *testing.T) {
			s, err := kr.Sign(l, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if s.KeyID != testKey(t, "k2025", time.Time{}, time.Time{}).ID || len(s.Sig) != 64 {
				t.Fatalf("signed = %+v", s)
			}
			if err := kr.Verify(s); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			raw, err := FormatLink(s)
			if err != nil {
				t.Fatal(err)
			}
			if len(raw) > 160 {
				t.Errorf("link is %d bytes; keep QR codes small", len(raw))
			}
			p, err := ParseLink(raw)
			if err != nil {
				t.Fatal(err)
			}
			if err := kr.Verify(p); err != nil {
				t.Fatalf("Verify(ParseLink(%q)): %v", raw, err)
			}
			// Another spelling of the same identifiers verifies too.
			alt := strings.Replace(strings.Replace(raw, "https://m4.vn", "HTTPS://M4.VN", 1), "%2F", "%2f", 1)
			if p2, err := ParseLink(alt); err != nil || kr.Verify(p2) != nil {
				t.Fatalf("alternate spelling %q: %v", alt, err)
			}
			// The host is not signed: a domain move keeps labels valid.
			moved := s
			moved.Host = "truyxuat.example.vn"
			if err := kr.Verify(moved); err != nil {
				t.Fatalf("host change must not break the signature: %v", err)
			}
		})
	}
}

func TestVerifyTamper(t *testing.T) {
	kr2, err := NewKeyRing(
		testKey(t, "k2025", Date(2025, 1, 1), time.Time{}),
		testKey(t, "other", Date(2024, 1, 1), Date(2025, 1, 1)),
	)
	if err != nil {
		t.Fatal(err)
	}
	good, err := kr2.Sign(mustGS1(t, "L2026A", "7KX9M2QH4TZZ"), testNow)
	if err != nil {
		t.Fatal(err)
	}
	nonGS1, err := kr2.Sign(Link{Host: "m4.vn", NonGS1: true, LotID: "L2026A", Serial: "7KX9M2QH4TZZ"}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	otherID := testKey(t, "other", time.Time{}, time.Time{}).ID
	tests := []struct {
		name     string
		l        Link
		field    string
		sentinel error
	}{
		{"serial", with(good, func(l *Link) { l.Serial = "7KX9M2QH4TZY" }), "signature", ErrBadSignature},
		{"lot", with(good, func(l *Link) { l.Lot = "L2026B" }), "signature", ErrBadSignature},
		{"gtin", with(good, func(l *Link) { l.GTIN = "0" + gtinWith(t, "893456789013") }), "signature", ErrBadSignature},
		{"serial moved into lot", with(good, func(l *Link) { l.Lot, l.Serial = "L2026A7", "KX9M2QH4TZZ" }), "signature", ErrBadSignature},
		{"key id of another ring key", with(good, func(l *Link) { l.KeyID = otherID }), "signature", ErrBadSignature},
		{"unknown key id", with(good, func(l *Link) { l.KeyID = "AAAAAAAA" }), "key_id", ErrUnknownKey},
		{"signature bit", with(good, func(l *Link) { l.Sig = flip(l.Sig, 10) }), "signature", ErrBadSignature},
		{"signature last bit", with(good, func(l *Link) { l.Sig = flip(l.Sig, 511) }), "signature", ErrBadSignature},
		{"unsigned", good.Unsigned(), "signature", ErrUnsigned},
		{"invalid link", with(good, func(l *Link) { l.Serial = "" }), "serial", ErrInvalid},
		{"gs1 signature on non-gs1 link", with(nonGS1, func(l *Link) { l.Sig = good.Sig }), "signature", ErrBadSignature},
		{"form switched", Link{Host: "m4.vn", NonGS1: true, LotID: good.Lot, Serial: good.Serial, KeyID: good.KeyID, Sig: good.Sig}, "signature", ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantField(t, kr2.Verify(tt.l), tt.field, tt.sentinel)
		})
	}
	if err := kr2.Verify(good); err != nil {
		t.Fatalf("original must still verify: %v", err)
	}
}

func flip(sig []byte, bit int) []byte {
	out := bytes.Clone(sig)
	out[bit/8] ^= 1 << (bit % 8)
	return out
}

func TestKeyRotation(t *testing.T) {
	old := testKey(t, "k2024", Date(2024, 1, 1), Date(2025, 1, 1))
	cur := testKey(t, "k2025", Date(2025, 1, 1), time.Time{})
	next := testKey(t, "k2027", Date(2027, 1, 1), time.Time{})
	kr, err := NewKeyRing(next, old, cur)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		at   time.Time
		want string
	}{
		{Date(2024, 6, 1), old.ID},
		{Date(2025, 1, 1).Add(-time.Nanosecond), old.ID},
		{Date(2025, 1, 1), cur.ID},
		{testNow, cur.ID},
		{Date(2027, 1, 1), next.ID},
	}
	l := mustGS1(t, "L1", "S1")
	signedBy := map[string]Link{}
	for _, tt := range tests {
		s, err := kr.Sign(l, tt.at)
		if err != nil || s.KeyID != tt.want {
			t.Fatalf("Sign at %v: key %q, %v; want %q", tt.at, s.KeyID, err, tt.want)
		}
		signedBy[s.KeyID] = s
	}
	if _, err := kr.Sign(l, Date(2023, 1, 1)); !errors.Is(err, ErrNoSigningKey) {
		t.Fatalf("before any key: %v", err)
	}
	// Stamps signed by a retired key keep verifying.
	for id, s := range signedBy {
		if err := kr.Verify(s); err != nil {
			t.Errorf("key %s: %v", id, err)
		}
	}
	// Re-signing replaces an old signature.
	if s, _ := kr.Sign(signedBy[old.ID], testNow); s.KeyID != cur.ID || kr.Verify(s) != nil {
		t.Fatal("re-signing failed")
	}
	// Revoking the old key rejects its stamps.
	old.Revoked = true
	kr2, err := NewKeyRing(old, cur)
	if err != nil {
		t.Fatal(err)
	}
	wantField(t, kr2.Verify(signedBy[old.ID]), "key_id", ErrKeyRevoked)
	if err := kr2.Verify(signedBy[cur.ID]); err != nil {
		t.Fatal(err)
	}
	// A revoked key never signs, even inside its window.
	if _, err := kr2.SigningKey(Date(2024, 6, 1)); !errors.Is(err, ErrNoSigningKey) {
		t.Fatalf("revoked key signed: %v", err)
	}
}

func TestNewKeyRingErrors(t *testing.T) {
	k := testKey(t, "a", Date(2025, 1, 1), time.Time{})
	other := testKey(t, "b", time.Time{}, time.Time{})
	tests := []struct {
		name  string
		keys  []Key
		field string
	}{
		{"empty", nil, "keys"},
		{"wrong id", []Key{with2(k, func(k *Key) { k.ID = "AAAAAAAA" })}, "keys[0].id"},
		{"mismatched halves", []Key{with2(k, func(k *Key) { k.Public = other.Public })}, "keys[0].public"},
		{"short public", []Key{{Public: make([]byte, 31)}}, "keys[0].public"},
		{"short private", []Key{{Private: make([]byte, 10)}}, "keys[0].private"},
		{"duplicate", []Key{k, k}, "keys[1].id"},
		{"not_after before not_before", []Key{with2(k, func(k *Key) { k.NotAfter = Date(2024, 1, 1) })}, "keys[0].not_after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewKeyRing(tt.keys...)
			wantField(t, err, tt.field, nil)
		})
	}
	// ID and public half are derived when missing.
	kr, err := NewKeyRing(Key{Private: k.Private})
	if err != nil || kr.Keys()[0].ID != k.ID || !bytes.Equal(kr.Keys()[0].Public, k.Public) {
		t.Fatalf("derivation: %v", err)
	}
	if kr.Keys()[0].Private != nil {
		t.Fatal("Keys must not expose private halves")
	}
}

func with2(k Key, f func(*Key)) Key {
	f(&k)
	return k
}

func TestKeyDoesNotLeak(t *testing.T) {
	k := testKey(t, "secret", Date(2025, 1, 1), time.Time{})
	seedHex := fmt.Sprintf("%x", k.Private.Seed())
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%+v", k), fmt.Sprintf("%#v", k), fmt.Sprintf("%v", []Key{k})} {
		if strings.Contains(s, seedHex[:16]) || strings.Contains(s, fmt.Sprint([]byte(k.Private)[:4])) {
			t.Fatalf("private key printed: %s", s)
		}
	}
	js, err := json.Marshal(k)
	if err != nil || strings.Contains(string(js), "private") || !strings.Contains(string(js), k.ID) {
		t.Fatalf("json = %s, %v", js, err)
	}
}

func TestKeyID(t *testing.T) {
	k := testKey(t, "a", time.Time{}, time.Time{})
	if len(k.ID) != KeyIDLen || !isKeyIDChars(k.ID) || k.ID != KeyID(k.Public) {
		t.Fatalf("KeyID = %q", k.ID)
	}
	if KeyID(testKey(t, "b", time.Time{}, time.Time{}).Public) == k.ID {
		t.Fatal("distinct keys share an id")
	}
	if _, err := NewKeyFromSeed(make([]byte, 31), time.Time{}, time.Time{}); err == nil {
		t.Fatal("short seed accepted")
	}
	g, err := GenerateKey(bytes.NewReader(make([]byte, 32)), Date(2025, 1, 1))
	if err != nil || g.ID != KeyID(ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)) {
		t.Fatalf("GenerateKey = %v, %v", g, err)
	}
	if _, err := GenerateKey(bytes.NewReader(nil), time.Time{}); err == nil {
		t.Fatal("GenerateKey must report reader errors")
	}
}

// TestMessageLayout pins the signed bytes: changing them would invalidate
// every printed label, so it must be a deliberate, versioned change.
func TestMessageLayout(t *testing.T) {
	gs1 := Link{Host: "m4.vn", GTIN: "08934567890120", Lot: "A/B", Serial: "S1"}
	want := "market4-stamp-v1\x00G\x08KEYID_01\x0e08934567890120\x03A/B\x02S1"
	if got := string(appendMessage(nil, gs1, "KEYID_01")); got != want {
		t.Fatalf("GS1 message = %q, want %q", got, want)
	}
	non := Link{Host: "m4.vn", NonGS1: true, LotID: "L1", Serial: "S1"}
	want = "market4-stamp-v1\x00T\x08KEYID_01\x02L1\x02S1"
	if got := string(appendMessage(nil, non, "KEYID_01")); got != want {
		t.Fatalf("non-GS1 message = %q, want %q", got, want)
	}
	// Worst case fits the stack buffer used by Sign and Verify.
	big := Link{GTIN: testGTIN, Lot: strings.Repeat("L", 20), Serial: strings.Repeat("S", 20)}
	if n := len(appendMessage(nil, big, strings.Repeat("K", KeyIDLen))); n > 128 {
		t.Fatalf("message of %d bytes", n)
	}
}

func TestPublishedKeys(t *testing.T) {
	old := testKey(t, "k2024", Date(2024, 1, 1), Date(2025, 1, 1))
	old.Revoked = true
	cur := testKey(t, "k2025", Date(2025, 1, 1), time.Time{})
	kr, err := NewKeyRing(cur, old)
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(kr.Published())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"scheme":"market4-stamp-v1"`, `"kty":"OKP"`, `"crv":"Ed25519"`, `"kid":"` + cur.ID + `"`,
		`"not_before":"2024-12-31T17:00:00Z"`, `"revoked":true`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("published JSON lacks %s:\n%s", want, js)
		}
	}
	if strings.Contains(string(js), `"d"`) || strings.Contains(string(js), "private") {
		t.Fatalf("published JSON leaks a private key: %s", js)
	}
	var set PublishedKeySet
	if err := json.Unmarshal(js, &set); err != nil {
		t.Fatal(err)
	}
	vr, err := KeyRingFromPublished(set)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := kr.Sign(mustGS1(t, "L1", "S1"), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if err := vr.Verify(signed); err != nil {
		t.Fatalf("verify-only ring: %v", err)
	}
	if _, err := vr.Sign(signed, testNow); !errors.Is(err, ErrNoSigningKey) {
		t.Fatalf("verify-only ring signed: %v", err)
	}
	oldSigned := signed
	oldSigned.KeyID = old.ID
	oldSigned.Sig = ed25519.Sign(old.Private, appendMessage(nil, oldSigned, old.ID))
	wantField(t, vr.Verify(oldSigned), "key_id", ErrKeyRevoked)

	bad := func(f func(*PublishedKeySet)) PublishedKeySet {
		var s PublishedKeySet
		_ = json.Unmarshal(js, &s)
		f(&s)
		return s
	}
	tests := []struct {
		name  string
		set   PublishedKeySet
		field string
	}{
		{"scheme", bad(func(s *PublishedKeySet) { s.Scheme = "v0" }), "scheme"},
		{"kty", bad(func(s *PublishedKeySet) { s.Keys[0].Kty = "EC" }), "keys[0].kty"},
		{"crv", bad(func(s *PublishedKeySet) { s.Keys[1].Crv = "X25519" }), "keys[1].kty"},
		{"alg", bad(func(s *PublishedKeySet) { s.Keys[0].Alg = "ES256" }), "keys[0].alg"},
		{"use", bad(func(s *PublishedKeySet) { s.Keys[0].Use = "enc" }), "keys[0].use"},
		{"x padded", bad(func(s *PublishedKeySet) { s.Keys[0].X += "=" }), "keys[0].x"},
		{"x short", bad(func(s *PublishedKeySet) { s.Keys[0].X = s.Keys[0].X[:40] }), "keys[0].x"},
		{"kid swapped", bad(func(s *PublishedKeySet) { s.Keys[0].Kid, s.Keys[1].Kid = s.Keys[1].Kid, s.Keys[0].Kid }), "keys[0].kid"},
		{"empty", bad(func(s *PublishedKeySet) { s.Keys = nil }), "keys"},
		{"duplicate", bad(func(s *PublishedKeySet) { s.Keys[1] = s.Keys[0] }), "keys[1].id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := KeyRingFromPublished(tt.set)
			wantField(t, err, tt.field, nil)
		})
	}
}
