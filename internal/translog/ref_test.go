package translog_test

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
)

// A deliberately naive RFC 6962 (section 2.1) reference written from the
// RFC's definitions with crypto/sha256 only, so the tests do not check the
// library against itself.

func refLeafHash(data []byte) []byte {
	h := sha256.Sum256(append([]byte{0}, data...))
	return h[:]
}

func refNode(l, r []byte) []byte {
	h := sha256.Sum256(append(append([]byte{1}, l...), r...))
	return h[:]
}

// refSplit is k, the largest power of two smaller than n (n > 1).
func refSplit(n int) int { return 1 << (bits.Len(uint(n-1)) - 1) }

// refMTH is MTH(D[n]) over leaf hashes.
func refMTH(d [][]byte) []byte {
	switch len(d) {
	case 0:
		h := sha256.Sum256(nil)
		return h[:]
	case 1:
		return d[0]
	}
	k := refSplit(len(d))
	return refNode(refMTH(d[:k]), refMTH(d[k:]))
}

// refPath is PATH(m, D[n]), the audit path of leaf m.
func refPath(m int, d [][]byte) [][]byte {
	if len(d) <= 1 {
		return nil
	}
	k := refSplit(len(d))
	if m < k {
		return append(refPath(m, d[:k]), refMTH(d[k:]))
	}
	return append(refPath(m-k, d[k:]), refMTH(d[:k]))
}

// refProof is PROOF(m, D[n]) = SUBPROOF(m, D[n], true).
func refProof(m int, d [][]byte) [][]byte {
	if m == 0 || m == len(d) {
		return nil
	}
	return refSubproof(m, d, true)
}

func refSubproof(m int, d [][]byte, b bool) [][]byte {
	if m == len(d) {
		if b {
			return nil
		}
		return [][]byte{refMTH(d)}
	}
	k := refSplit(len(d))
	if m <= k {
		return append(refSubproof(m, d[:k], b), refMTH(d[k:]))
	}
	return append(refSubproof(m-k, d[k:], false), refMTH(d[:k]))
}

// testLeaves returns the hashes of n deterministic distinct leaves.
func testLeaves(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(i))
		out[i] = refLeafHash(append([]byte("leaf "), b[:]...))
	}
	return out
}
