package translog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/market4/market4/internal/translog"
)

// newTestLog stores leaves in a MemStore in batches of 13 and returns it.
func newTestLog(t testing.TB, leaves [][]byte) *translog.MemStore {
	t.Helper()
	s := translog.NewMemStore()
	var tree translog.Tree
	for i := 0; i < len(leaves); i += 13 {
		a, err := tree.Append(leaves[i:min(i+13, len(leaves))])
		if err != nil {
			t.Fatal(err)
		}
		if err := s.PutNodes(context.Background(), a.Nodes); err != nil {
			t.Fatal(err)
		}
		tree = a.Tree
	}
	return s
}

func equalProofs(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestInclusionProofs(t *testing.T) {
	ctx := context.Background()
	leaves := testLeaves(300)
	s := newTestLog(t, leaves)
	for _, size := range []int{1, 2, 3, 4, 5, 7, 8, 9, 13, 31, 32, 33, 64, 100, 127, 128, 129, 255, 256, 257, 300} {
		root := refMTH(leaves[:size])
		for i := range size {
			p, err := translog.InclusionProof(ctx, s, uint64(i), uint64(size))
			if err != nil {
				t.Fatalf("InclusionProof(%d, %d): %v", i, size, err)
			}
			if want := refPath(i, leaves[:size]); !equalProofs(p, want) {
				t.Fatalf("InclusionProof(%d, %d) differs from RFC 6962 PATH", i, size)
			}
			if err := translog.VerifyInclusion(leaves[i], uint64(i), uint64(size), root, p); err != nil {
				t.Fatalf("VerifyInclusion(%d, %d): %v", i, size, err)
			}
		}
	}
}

func TestConsistencyProofs(t *testing.T) {
	ctx := context.Background()
	const max = 70
	leaves := testLeaves(max)
	s := newTestLog(t, leaves)
	for size2 := 0; size2 <= max; size2++ {
		root2 := refMTH(leaves[:size2])
		for size1 := 0; size1 <= size2; size1++ {
			p, err := translog.ConsistencyProof(ctx, s, uint64(size1), uint64(size2))
			if err != nil {
				t.Fatalf("ConsistencyProof(%d, %d): %v", size1, size2, err)
			}
			if want := refProof(size1, leaves[:size2]); !equalProofs(p, want) {
				t.Fatalf("ConsistencyProof(%d, %d) differs from RFC 6962 PROOF", size1, size2)
			}
			if err := translog.VerifyConsistency(uint64(size1), uint64(size2), refMTH(leaves[:size1]), root2, p); err != nil {
				t.Fatalf("VerifyConsistency(%d, %d): %v", size1, size2, err)
			}
		}
	}
}

func TestProofArgumentErrors(t *testing.T) {
	ctx := context.Background()
	s := newTestLog(t, testLeaves(10))
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"inclusion index = size", second(translog.InclusionProof(ctx, s, 5, 5)), translog.ErrInvalid},
		{"inclusion in empty tree", second(translog.InclusionProof(ctx, s, 0, 0)), translog.ErrInvalid},
		{"inclusion beyond the log", second(translog.InclusionProof(ctx, s, 3, 11)), translog.ErrNotFound},
		{"inclusion of the leaf past the log", second(translog.InclusionProof(ctx, s, 10, 11)), translog.ErrNotFound},
		{"consistency size1 > size2", second(translog.ConsistencyProof(ctx, s, 6, 5)), translog.ErrInvalid},
		{"consistency beyond the log", second(translog.ConsistencyProof(ctx, s, 4, 11)), translog.ErrNotFound},
		{"consistency from 0 beyond the log", second(translog.ConsistencyProof(ctx, s, 0, 11)), translog.ErrNotFound},
		{"consistency equal beyond the log", second(translog.ConsistencyProof(ctx, s, 11, 11)), translog.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.want) {
				t.Fatalf("err = %v, want %v", tt.err, tt.want)
			}
		})
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := translog.InclusionProof(canceled, s, 1, 5); !errors.Is(err, context.Canceled) {
		t.Fatalf("InclusionProof with canceled context: err = %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

func flip(p [][]byte, i, bit int) [][]byte {
	q := clone(p)
	q[i][bit/8] ^= 1 << (bit % 8)
	return q
}

func clone(p [][]byte) [][]byte {
	q := make([][]byte, len(p))
	for i := range p {
		q[i] = bytes.Clone(p[i])
	}
	return q
}

// TestForgedInclusionProofs tampers with valid proofs in every way an
// attacker could and requires each to fail with ErrBadProof.
func TestForgedInclusionProofs(t *testing.T) {
	ctx := context.Background()
	leaves := testLeaves(65)
	s := newTestLog(t, leaves[:64])
	for _, size := range []int{1, 2, 3, 6, 7, 8, 21, 32, 33, 64} {
		root := refMTH(leaves[:size])
		for i := range size {
			p, err := translog.InclusionProof(ctx, s, uint64(i), uint64(size))
			if err != nil {
				t.Fatal(err)
			}
			type forgery struct {
				name        string
				leaf        []byte
				index, size int
				root        []byte
				proof       [][]byte
			}
			var fs []forgery
			add := func(name string, mod func(*forgery)) {
				f := forgery{name, leaves[i], i, size, root, clone(p)}
				mod(&f)
				fs = append(fs, f)
			}
			for k := range p {
				for _, bit := range []int{0, 7, 100, 255} {
					add(fmt.Sprintf("flip bit %d of hash %d", bit, k), func(f *forgery) { f.proof = flip(p, k, bit) })
				}
				add(fmt.Sprintf("drop hash %d", k), func(f *forgery) { f.proof = append(clone(p[:k]), clone(p[k+1:])...) })
			}
			for k := range p {
				for l := k + 1; l < len(p); l++ {
					add(fmt.Sprintf("swap hashes %d and %d", k, l), func(f *forgery) { f.proof[k], f.proof[l] = f.proof[l], f.proof[k] })
				}
			}
			if len(p) > 0 {
				add("truncated", func(f *forgery) { f.proof = f.proof[:len(f.proof)/2] })
			}
			add("extra hash", func(f *forgery) { f.proof = append(f.proof, leaves[0]) })
			add("extra hash first", func(f *forgery) { f.proof = append([][]byte{leaves[0]}, f.proof...) })
			add("short hash", func(f *forgery) {
				if len(f.proof) > 0 {
					f.proof[0] = f.proof[0][:31]
				} else {
					f.proof = [][]byte{make([]byte, 31)}
				}
			})
			add("wrong root", func(f *forgery) { f.root = refMTH(leaves[:size+1]) })
			add("flipped root", func(f *forgery) { f.root = flip([][]byte{root}, 0, 3)[0] })
			add("different leaf", func(f *forgery) { f.leaf = leaves[(i+1)%64] })
			add("tampered leaf", func(f *forgery) { f.leaf = flip([][]byte{leaves[i]}, 0, 9)[0] })
			add("index = size", func(f *forgery) { f.index = size })
			for j := range size {
				if j != i {
					add(fmt.Sprintf("wrong index %d", j), func(f *forgery) { f.index = j })
				}
			}
			// A different tree size comes with that size's root: the
			// pair a real checkpoint would carry.
			for _, n := range []int{size - 1, size + 1, 2 * size} {
				if n > i && n <= 64 && n != size {
					add(fmt.Sprintf("size %d", n), func(f *forgery) { f.size, f.root = n, refMTH(leaves[:n]) })
				}
			}
			for _, f := range fs {
				err := translog.VerifyInclusion(f.leaf, uint64(f.index), uint64(f.size), f.root, f.proof)
				if !errors.Is(err, translog.ErrBadProof) {
					t.Fatalf("leaf %d of %d, %s: err = %v, want ErrBadProof", i, size, f.name, err)
				}
			}
		}
	}
}

func TestForgedConsistencyProofs(t *testing.T) {
	ctx := context.Background()
	const max = 40
	leaves := testLeaves(max + 1)
	s := newTestLog(t, leaves)
	roots := make([][]byte, max+2)
	for n := range roots {
		roots[n] = refMTH(leaves[:n])
	}
	forged := 0
	for size2 := 0; size2 <= max; size2++ {
		for size1 := 0; size1 <= size2; size1++ {
			p, err := translog.ConsistencyProof(ctx, s, uint64(size1), uint64(size2))
			if err != nil {
				t.Fatal(err)
			}
			type forgery struct {
				name         string
				size1, size2 int
				root1, root2 []byte
				proof        [][]byte
			}
			var fs []forgery
			add := func(name string, mod func(*forgery)) {
				f := forgery{name, size1, size2, roots[size1], roots[size2], clone(p)}
				mod(&f)
				fs = append(fs, f)
			}
			for k := range p {
				add(fmt.Sprintf("flip hash %d", k), func(f *forgery) { f.proof = flip(p, k, 13) })
				add(fmt.Sprintf("drop hash %d", k), func(f *forgery) { f.proof = append(clone(p[:k]), clone(p[k+1:])...) })
			}
			add("extra hash", func(f *forgery) { f.proof = append(f.proof, roots[1]) })
			add("wrong root1", func(f *forgery) { f.root1 = flip([][]byte{f.root1}, 0, 0)[0] })
			add("short root2", func(f *forgery) { f.root2 = f.root2[:16] })
			// From the empty tree a consistency proof says nothing about
			// root2 (it is empty), so root2 forgeries start at size1 1.
			if size1 > 0 {
				add("wrong root2", func(f *forgery) { f.root2 = flip([][]byte{f.root2}, 0, 0)[0] })
				// History rewritten: leaf 0 replaced in the newer tree.
				add("rewritten history", func(f *forgery) {
					alt := append([][]byte{refLeafHash([]byte("forged"))}, leaves[1:size2]...)
					f.root2 = refMTH(alt)
				})
			}
			if size1 != size2 {
				add("sizes swapped", func(f *forgery) {
					f.size1, f.size2, f.root1, f.root2 = f.size2, f.size1, f.root2, f.root1
				})
				if size1 > 0 {
					add("truncated", func(f *forgery) { f.proof = f.proof[:len(f.proof)-1] })
				}
			}
			if size1 > 0 && size1 < size2 {
				add("wrong size1", func(f *forgery) { f.size1, f.root1 = size1-1, roots[size1-1] })
			}
			if size1 > 0 { // every tree is consistent with the empty one
				add("wrong size2", func(f *forgery) { f.size2, f.root2 = size2+1, roots[size2+1] })
			}
			for _, f := range fs {
				if f.name == "wrong size1" && f.size1 == 0 {
					continue // as above: from size 0 any size2 is consistent
				}
				err := translog.VerifyConsistency(uint64(f.size1), uint64(f.size2), f.root1, f.root2, f.proof)
				if !errors.Is(err, translog.ErrBadProof) {
					t.Fatalf("%d → %d, %s: err = %v, want ErrBadProof", size1, size2, f.name, err)
				}
				forged++
			}
		}
	}
	t.Logf("%d forged consistency proofs rejected", forged)
}
