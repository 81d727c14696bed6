package translog

import (
	"errors"
	"testing"
)

// FuzzParseCheckpoint checks that the checkpoint parser is strict: what it
// accepts re-encodes to exactly the input text, so a signature covers one
// reading only.
func FuzzParseCheckpoint(f *testing.F) {
	f.Add("market4.example/journal\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
	f.Add("market4.example/journal\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")
	f.Add("o\n05\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\next\n")
	f.Fuzz(func(t *testing.T, text string) {
		cp, err := parseCheckpoint(text)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("parseCheckpoint error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if got := cp.body(); got != text {
			t.Fatalf("parseCheckpoint(%q).body() = %q", text, got)
		}
	})
}
