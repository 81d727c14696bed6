package ocop

import (
	"fmt"
	"io"
)

// SerialAlphabet is Crockford's base-32 alphabet: digits and upper-case
// letters without I, L, O and U, so a serial read aloud or typed from a
// label cannot confuse 1/I/L or 0/O. All of it lies in GS1 character set
// 82 and is unreserved in URIs, so serials are never percent-encoded.
const SerialAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// Serial lengths. SerialLen (12 characters, 60 random bits) makes guessing
// a valid serial hopeless (a million stamps still leave a 1 in 10¹² chance
// per guess) while keeping the QR code small; GS1 AI (21) allows up to 20.
const (
	SerialMinLen = 10
	SerialLen    = 12
	SerialMaxLen = 20
)

// NewSerial returns a random serial of n characters from SerialAlphabet.
// Serials are random rather than sequential so that knowing one stamp tells
// nothing about others. Pass crypto/rand.Reader in production; tests inject
// a deterministic reader. Each character takes five bits of one byte, so
// the distribution is exactly uniform (32 divides 256).
func NewSerial(r io.Reader, n int) (string, error) {
	if n < SerialMinLen || n > SerialMaxLen {
		return "", fieldErr("serial_length", "must be between %d and %d", SerialMinLen, SerialMaxLen)
	}
	var buf [SerialMaxLen]byte
	b := buf[:n]
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("ocop: reading randomness for serial: %w", err)
	}
	for i := range b {
		b[i] = SerialAlphabet[b[i]&31]
	}
	return string(b), nil
}
