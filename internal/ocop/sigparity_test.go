package ocop

import (
	"crypto/ed25519"
	"encoding/hex"
	"math/big"
	"strconv"
	"testing"

	voied "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// TestVerifySigMatchesStdlib: the fast path (curve25519-voi with
// precomputed keys) accepts exactly what crypto/ed25519 accepts, on a
// genuine signature, every single-bit change of it, of its message and of
// its key, a non-canonical S (S + ℓ), small-order R and keys of small
// order — so no signature verifies on the server that the offline checker
// rejects, or the other way round.
func TestVerifySigMatchesStdlib(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("market4-stamp-v1\x00G parity test message")
	sig := ed25519.Sign(priv, msg)
	check := func(name string, pub ed25519.PublicKey, msg, sig []byte) {
		t.Helper()
		want := ed25519.Verify(pub, msg, sig)
		var x *voied.ExpandedPublicKey
		if len(pub) == ed25519.PublicKeySize {
			x, _ = voied.NewExpandedPublicKey(voied.PublicKey(pub))
		}
		if got := verifySig(pub, x, msg, sig); got != want {
			t.Errorf("%s: verifySig = %v, crypto/ed25519 = %v", name, got, want)
		}
	}
	check("genuine", pub, msg, sig)
	accepted := 0
	for i := range len(sig) * 8 {
		s := append([]byte(nil), sig...)
		s[i/8] ^= 1 << (i % 8)
		check("signature bit "+strconv.Itoa(i), pub, msg, s)
		if ed25519.Verify(pub, msg, s) {
			accepted++
		}
	}
	if accepted != 0 {
		t.Errorf("%d altered signatures accepted", accepted)
	}
	for i := range len(msg) * 8 {
		m := append([]byte(nil), msg...)
		m[i/8] ^= 1 << (i % 8)
		check("message bit "+strconv.Itoa(i), pub, m, sig)
	}
	for i := range len(pub) * 8 {
		p := append(ed25519.PublicKey(nil), pub...)
		p[i/8] ^= 1 << (i % 8)
		check("key bit "+strconv.Itoa(i), p, msg, sig)
	}
	// S + ℓ: the same scalar, not canonically encoded; both must refuse.
	ell, _ := new(big.Int).SetString("7237005577332262213973186563042994961683908484802929187012604848853437751045", 10)
	check("S+l", pub, msg, withS(sig, addLE(sig[32:], ell)))
	// A small-order key (the identity) with R the identity and S = 0
	// satisfies the cofactorless equation: crypto/ed25519 accepts it, and
	// so must the fast path (it is not one of our keys, which the ring
	// only takes from its own key list).
	identity, _ := hex.DecodeString("0100000000000000000000000000000000000000000000000000000000000000")
	zeroSig := append(append([]byte(nil), identity...), make([]byte, 32)...)
	check("small-order key and R", identity, msg, zeroSig)
	check("small-order R", pub, msg, append(append([]byte(nil), identity...), sig[32:]...))
}

// addLE returns the 32-byte little-endian encoding of le + n.
func addLE(le []byte, n *big.Int) []byte {
	be := make([]byte, len(le))
	for i, b := range le {
		be[len(le)-1-i] = b
	}
	v := new(big.Int).Add(new(big.Int).SetBytes(be), n)
	out := make([]byte, 32)
	vb := v.Bytes()
	for i, b := range vb {
		out[len(vb)-1-i] = b
	}
	return out
}

func withS(sig, s []byte) []byte { return append(append([]byte(nil), sig[:32]...), s...) }
