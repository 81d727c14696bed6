package translog_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/market4/market4/internal/translog"
	"golang.org/x/mod/sumdb/note"
)

const testOrigin = "market4.example/journal"

func newKey(t testing.TB, origin string) (skey, vkey string) {
	t.Helper()
	skey, vkey, err := translog.GenerateKey(origin)
	if err != nil {
		t.Fatalf("GenerateKey(%q): %v", origin, err)
	}
	return skey, vkey
}

func TestCheckpointRoundTrip(t *testing.T) {
	skey, vkey := newKey(t, testOrigin)
	for _, size := range []uint64{0, 1, 20852163, 1<<63 - 1} {
		cp := translog.Checkpoint{Origin: testOrigin, Size: size, Root: refMTH(testLeaves(3))}
		msg, err := translog.SignCheckpoint(skey, cp)
		if err != nil {
			t.Fatalf("SignCheckpoint: %v", err)
		}
		body, _, _ := strings.Cut(string(msg), "\n\n")
		wantBody := testOrigin + "\n" + uitoa(size) + "\n" + base64.StdEncoding.EncodeToString(cp.Root)
		if body != wantBody {
			t.Fatalf("checkpoint body = %q, want %q", body, wantBody)
		}
		if !strings.HasPrefix(string(msg[len(body)+2:]), "— "+testOrigin+" ") {
			t.Fatalf("signature line does not name the origin:\n%s", msg)
		}
		got, err := translog.OpenCheckpoint(msg, vkey)
		if err != nil {
			t.Fatalf("OpenCheckpoint: %v", err)
		}
		if got.Origin != cp.Origin || got.Size != cp.Size || !bytes.Equal(got.Root, cp.Root) {
			t.Fatalf("OpenCheckpoint = %+v, want %+v", got, cp)
		}
	}
}

func uitoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestCheckpointWrongKey(t *testing.T) {
	skey, _ := newKey(t, testOrigin)
	_, otherSameName := newKey(t, testOrigin)
	_, otherLog := newKey(t, "market4.example/other")
	msg, err := translog.SignCheckpoint(skey, translog.Checkpoint{Origin: testOrigin, Size: 5, Root: refMTH(testLeaves(5))})
	if err != nil {
		t.Fatal(err)
	}
	for name, vkey := range map[string]string{"same name, other key": otherSameName, "other log": otherLog} {
		t.Run(name, func(t *testing.T) {
			if _, err := translog.OpenCheckpoint(msg, vkey); !errors.Is(err, translog.ErrBadSignature) {
				t.Fatalf("OpenCheckpoint: err = %v, want ErrBadSignature", err)
			}
		})
	}
}

// TestCheckpointModified changes the signed body in every meaningful way;
// the signature must no longer match.
func TestCheckpointModified(t *testing.T) {
	skey, vkey := newKey(t, testOrigin)
	root := refMTH(testLeaves(5))
	msg, err := translog.SignCheckpoint(skey, translog.Checkpoint{Origin: testOrigin, Size: 5, Root: root})
	if err != nil {
		t.Fatal(err)
	}
	otherRoot := base64.StdEncoding.EncodeToString(refMTH(testLeaves(6)))
	mods := map[string]func(string) string{
		"size": func(s string) string { return strings.Replace(s, "\n5\n", "\n6\n", 1) },
		"root": func(s string) string {
			return strings.Replace(s, base64.StdEncoding.EncodeToString(root), otherRoot, 1)
		},
		"origin":        func(s string) string { return strings.Replace(s, testOrigin+"\n", "market4.example/journaX\n", 1) },
		"extension":     func(s string) string { return strings.Replace(s, "\n\n", "\nextra\n\n", 1) },
		"signature bit": func(s string) string { return flipSigChar(s) },
	}
	for name, mod := range mods {
		t.Run(name, func(t *testing.T) {
			forged := mod(string(msg))
			if forged == string(msg) {
				t.Fatal("modification did nothing")
			}
			if _, err := translog.OpenCheckpoint([]byte(forged), vkey); !errors.Is(err, translog.ErrBadSignature) {
				t.Fatalf("OpenCheckpoint(%q): err = %v, want ErrBadSignature", forged, err)
			}
		})
	}
}

// flipSigChar changes one base64 character of the signature itself (not the
// key hash that precedes it).
func flipSigChar(s string) string {
	i := len(s) - 10
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

// TestCheckpointMalformed signs bad bodies with the right key, bypassing
// SignCheckpoint, so only the strict parser stands in the way.
func TestCheckpointMalformed(t *testing.T) {
	skey, vkey := newKey(t, testOrigin)
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	root := base64.StdEncoding.EncodeToString(refMTH(testLeaves(5)))
	root31 := base64.StdEncoding.EncodeToString(make([]byte, 31))
	// 32 zero bytes are "AAA…A=" (43 A's); a final 'B' decodes to the same
	// bytes leniently but sets a padding bit, so it is a second encoding.
	nonCanonical := strings.Repeat("A", 42) + "B="
	if b, err := base64.StdEncoding.DecodeString(nonCanonical); err != nil || !bytes.Equal(b, make([]byte, 32)) {
		t.Fatalf("test setup: %q does not leniently decode to 32 zero bytes", nonCanonical)
	}
	bodies := map[string]string{
		"two lines":             testOrigin + "\n5\n",
		"extension line":        testOrigin + "\n5\n" + root + "\nx\n",
		"size leading zero":     testOrigin + "\n05\n" + root + "\n",
		"size plus":             testOrigin + "\n+5\n" + root + "\n",
		"size negative":         testOrigin + "\n-5\n" + root + "\n",
		"size space":            testOrigin + "\n 5\n" + root + "\n",
		"size hex":              testOrigin + "\n0x5\n" + root + "\n",
		"size empty":            testOrigin + "\n\n" + root + "\n",
		"size overflow":         testOrigin + "\n18446744073709551616\n" + root + "\n",
		"root not base64":       testOrigin + "\n5\n" + "!!!!" + "\n",
		"root unpadded":         testOrigin + "\n5\n" + strings.TrimRight(root, "=") + "\n",
		"root url alphabet":     testOrigin + "\n5\n" + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)) + "\n",
		"root 31 bytes":         testOrigin + "\n5\n" + root31 + "\n",
		"root non-canonical":    testOrigin + "\n5\n" + nonCanonical + "\n",
		"root trailing space":   testOrigin + "\n5\n" + root + " \n",
		"origin other than key": "market4.example/other\n5\n" + root + "\n",
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			msg, err := note.Sign(&note.Note{Text: body}, signer)
			if err != nil {
				t.Fatalf("note.Sign: %v", err)
			}
			_, err = translog.OpenCheckpoint(msg, vkey)
			want := translog.ErrMalformed
			if name == "origin other than key" {
				want = translog.ErrBadSignature
			}
			if !errors.Is(err, want) {
				t.Fatalf("OpenCheckpoint(%q): err = %v, want %v", body, err, want)
			}
		})
	}
	for name, msg := range map[string]string{
		"empty":          "",
		"not a note":     "hello\n",
		"no signature":   testOrigin + "\n5\n" + root + "\n\n",
		"CRLF":           strings.ReplaceAll(string(mustSign(t, skey, 5)), "\n", "\r\n"),
		"bad sig base64": testOrigin + "\n5\n" + root + "\n\n— " + testOrigin + " !!!\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := translog.OpenCheckpoint([]byte(msg), vkey); !errors.Is(err, translog.ErrMalformed) {
				t.Fatalf("OpenCheckpoint(%q): err = %v, want ErrMalformed", msg, err)
			}
		})
	}
}

func mustSign(t testing.TB, skey string, size int) []byte {
	t.Helper()
	msg, err := translog.SignCheckpoint(skey, translog.Checkpoint{Origin: testOrigin, Size: uint64(size), Root: refMTH(testLeaves(size))})
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// TestCheckpointCosigned accepts a checkpoint that a witness has cosigned:
// unknown signatures are ignored, as the signed-note format requires.
func TestCheckpointCosigned(t *testing.T) {
	skey, vkey := newKey(t, testOrigin)
	msg := mustSign(t, skey, 7)
	wkey, _, err := note.GenerateKey(rand.Reader, "witness.example")
	if err != nil {
		t.Fatal(err)
	}
	witness, err := note.NewSigner(wkey)
	if err != nil {
		t.Fatal(err)
	}
	_, wvkey := newKey(t, "witness.example")
	n, err := note.Open(msg, note.VerifierList(mustVerifier(t, vkey)))
	if err != nil {
		t.Fatal(err)
	}
	cosigned, err := note.Sign(n, witness)
	if err != nil {
		t.Fatal(err)
	}
	if cp, err := translog.OpenCheckpoint(cosigned, vkey); err != nil || cp.Size != 7 {
		t.Fatalf("OpenCheckpoint(cosigned) = %+v, %v", cp, err)
	}
	// The witness key alone does not make it a checkpoint of this log.
	if _, err := translog.OpenCheckpoint(cosigned, wvkey); !errors.Is(err, translog.ErrBadSignature) {
		t.Fatalf("OpenCheckpoint with an unrelated key: err = %v, want ErrBadSignature", err)
	}
}

func mustVerifier(t testing.TB, vkey string) note.Verifier {
	t.Helper()
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCheckpointArgumentErrors(t *testing.T) {
	skey, vkey := newKey(t, testOrigin)
	root := refMTH(testLeaves(2))
	for _, origin := range []string{"", "has space", "plus+sign", "tab\there", "new\nline", "\xff"} {
		if _, _, err := translog.GenerateKey(origin); !errors.Is(err, translog.ErrInvalid) {
			t.Errorf("GenerateKey(%q): err = %v, want ErrInvalid", origin, err)
		}
	}
	tests := map[string]struct {
		skey string
		cp   translog.Checkpoint
	}{
		"bad key":        {"PRIVATE+KEY+nonsense", translog.Checkpoint{Origin: testOrigin, Size: 2, Root: root}},
		"verifier key":   {vkey, translog.Checkpoint{Origin: testOrigin, Size: 2, Root: root}},
		"other origin":   {skey, translog.Checkpoint{Origin: "market4.example/other", Size: 2, Root: root}},
		"short root":     {skey, translog.Checkpoint{Origin: testOrigin, Size: 2, Root: root[:31]}},
		"nil root":       {skey, translog.Checkpoint{Origin: testOrigin, Size: 2}},
		"invalid origin": {skey, translog.Checkpoint{Origin: "a b", Size: 2, Root: root}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := translog.SignCheckpoint(tt.skey, tt.cp); !errors.Is(err, translog.ErrInvalid) {
				t.Fatalf("SignCheckpoint: err = %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := translog.OpenCheckpoint(mustSign(t, skey, 2), skey); !errors.Is(err, translog.ErrInvalid) {
		t.Fatalf("OpenCheckpoint with a signer key as verifier key: err = %v, want ErrInvalid", err)
	}
}

// The test vector published in doc.go: the log holding only the golden
// leaf, signed with a key derived from a public seed (so a test key, never
// a real one). It was checked independently with OpenSSL's Ed25519.
const (
	vectorVerifierKey = "market4.example/journal+2165bdc8+AfpaZRo+pMg6w03fHqI4cmM625RARBAxZ1aCDaLDIqCt"
	vectorCheckpoint  = "market4.example/journal\n1\n1Tib/4+Z25MrG6sp48dfdCUNdxsx1LZj0dETggxhJIs=\n\n" +
		"— market4.example/journal IWW9yJBSnxyS4OM7Z8Ajn4Fzb4VBllPJXgMyyRUTfKjAV9P1SdRq7ScJafZVRqTiE/ngXqeXdTMOLrCyPnQNek5wXgc=\n"
)

func TestCheckpointVector(t *testing.T) {
	seed := sha256.Sum256([]byte("market4 translog test vector key"))
	skey := "PRIVATE+KEY+market4.example/journal+2165bdc8+" + base64.StdEncoding.EncodeToString(append([]byte{1}, seed[:]...))
	root := translog.LeafHash(goldenLeaf(t).Bytes())
	msg, err := translog.SignCheckpoint(skey, translog.Checkpoint{Origin: testOrigin, Size: 1, Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if string(msg) != vectorCheckpoint {
		t.Fatalf("SignCheckpoint = %q, want the published vector %q", msg, vectorCheckpoint)
	}
	cp, err := translog.OpenCheckpoint([]byte(vectorCheckpoint), vectorVerifierKey)
	if err != nil {
		t.Fatalf("OpenCheckpoint(vector): %v", err)
	}
	if cp.Origin != testOrigin || cp.Size != 1 || !bytes.Equal(cp.Root, root) {
		t.Fatalf("OpenCheckpoint(vector) = %+v", cp)
	}
	// An inclusion proof of the only leaf is empty.
	if err := translog.VerifyInclusion(root, 0, 1, cp.Root, nil); err != nil {
		t.Fatalf("VerifyInclusion(golden leaf in vector): %v", err)
	}
}
