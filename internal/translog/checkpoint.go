package translog

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is a signed statement by the log that, at Size leaves, its
// root hash was Root. Anyone holding one can later demand inclusion and
// consistency proofs against it; two validly signed checkpoints that no
// consistency proof links are proof the log operator rewrote history.
type Checkpoint struct {
	Origin string // identifies the log, e.g. "market4.example/journal"; also the key name
	Size   uint64
	Root   []byte // HashSize bytes
}

// GenerateKey creates an Ed25519 key pair for the log named origin, in the
// signed-note encodings: skey ("PRIVATE+KEY+<origin>+<hash>+<key>") stays
// with the sequencer, vkey ("<origin>+<hash>+<key>") is published to
// auditors. The key name is the origin so a key can vouch for one log only.
// It wraps ErrInvalid if origin is not a valid origin.
func GenerateKey(origin string) (skey, vkey string, err error) {
	if !validOrigin(origin) {
		return "", "", fmt.Errorf("%w: origin %q %s", ErrInvalid, origin, originRule)
	}
	skey, vkey, err = note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return "", "", fmt.Errorf("translog: generate key: %w", err)
	}
	return skey, vkey, nil
}

// SignCheckpoint returns cp as a C2SP tlog-checkpoint signed note:
// "<origin>\n<size>\n<base64 root>\n\n— <origin> <base64 signature>\n". It
// wraps ErrInvalid if the key does not parse, its name is not cp.Origin, or
// cp.Root is not HashSize bytes; a log must not sign for another origin.
func SignCheckpoint(signerKey string, cp Checkpoint) ([]byte, error) {
	signer, err := note.NewSigner(signerKey)
	if err != nil {
		return nil, fmt.Errorf("%w: signer key: %w", ErrInvalid, err)
	}
	if !validOrigin(cp.Origin) {
		return nil, fmt.Errorf("%w: origin %q %s", ErrInvalid, cp.Origin, originRule)
	}
	if signer.Name() != cp.Origin {
		return nil, fmt.Errorf("%w: key for %q cannot sign a checkpoint of %q", ErrInvalid, signer.Name(), cp.Origin)
	}
	if len(cp.Root) != HashSize {
		return nil, fmt.Errorf("%w: checkpoint root is %d bytes, want %d", ErrInvalid, len(cp.Root), HashSize)
	}
	msg, err := note.Sign(&note.Note{Text: cp.body()}, signer)
	if err != nil {
		return nil, fmt.Errorf("translog: sign checkpoint: %w", err)
	}
	return msg, nil
}

// OpenCheckpoint verifies that msg is a checkpoint signed by verifierKey
// and parses it strictly. Signatures by other keys (witness cosignatures)
// are ignored, as the signed-note format requires. It wraps ErrInvalid if
// the verifier key does not parse, ErrBadSignature if no valid signature by
// the key is present or the checkpoint's origin is not the key's name, and
// ErrMalformed if msg is not a signed note or its text is not exactly three
// lines: an origin, a canonical decimal size and a canonical base64 root of
// HashSize bytes. Extension lines are refused: this log never writes them,
// and accepting them would let a signed note carry text that Checkpoint
// cannot show.
func OpenCheckpoint(msg []byte, verifierKey string) (Checkpoint, error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: verifier key: %w", ErrInvalid, err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		var invalid *note.InvalidSignatureError
		var unverified *note.UnverifiedNoteError
		if errors.As(err, &invalid) || errors.As(err, &unverified) {
			return Checkpoint{}, fmt.Errorf("%w: %w", ErrBadSignature, err)
		}
		return Checkpoint{}, fmt.Errorf("%w: checkpoint note: %w", ErrMalformed, err)
	}
	if len(n.Sigs) == 0 { // Open guarantees one; checked so a change there cannot slip by.
		return Checkpoint{}, fmt.Errorf("%w: no signature by %s", ErrBadSignature, v.Name())
	}
	cp, err := parseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if cp.Origin != v.Name() {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint of %q signed by the key of %q", ErrBadSignature, cp.Origin, v.Name())
	}
	return cp, nil
}

// body is the checkpoint note text.
func (c Checkpoint) body() string {
	return c.Origin + "\n" + strconv.FormatUint(c.Size, 10) + "\n" + base64.StdEncoding.EncodeToString(c.Root) + "\n"
}

// parseCheckpoint parses note text strictly; see OpenCheckpoint.
func parseCheckpoint(text string) (Checkpoint, error) {
	body, ok := strings.CutSuffix(text, "\n")
	if !ok {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint does not end in a newline", ErrMalformed)
	}
	lines := strings.Split(body, "\n")
	if len(lines) != 3 {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint has %d lines, want 3 (origin, size, root)", ErrMalformed, len(lines))
	}
	if !validOrigin(lines[0]) {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint origin %q %s", ErrMalformed, lines[0], originRule)
	}
	size, err := parseDecimal(lines[1])
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint size %q is not a canonical decimal", ErrMalformed, lines[1])
	}
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != HashSize || base64.StdEncoding.EncodeToString(root) != lines[2] {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint root %q is not the base64 of %d bytes", ErrMalformed, lines[2], HashSize)
	}
	return Checkpoint{Origin: lines[0], Size: size, Root: root}, nil
}

const originRule = "must be non-empty UTF-8 without spaces, control characters or '+'"

// validOrigin applies the signed-note key name rules (non-empty UTF-8, no
// spaces, no '+') plus no control characters, because the origin is both
// the first line of the checkpoint and the name of its key.
func validOrigin(origin string) bool {
	return origin != "" && utf8.ValidString(origin) && !strings.Contains(origin, "+") &&
		strings.IndexFunc(origin, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) < 0
}
