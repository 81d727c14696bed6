package translog_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/market4/market4/internal/translog"
)

// randomHashes returns n pseudo-random 32-byte "leaf hashes" without
// hashing, so benchmark setup spends its time in the tree only.
func randomHashes(n int, seed uint64) [][]byte {
	r := rand.NewChaCha8([32]byte{byte(seed)})
	buf := make([]byte, n*translog.HashSize)
	_, _ = r.Read(buf)
	out := make([][]byte, n)
	for i := range out {
		out[i] = buf[i*translog.HashSize : (i+1)*translog.HashSize]
	}
	return out
}

const benchSize = 1 << 20 // 1,048,576 leaves

var bigLog = sync.OnceValues(func() (*translog.MemStore, error) {
	s := translog.NewMemStore()
	leaves := randomHashes(benchSize, 1)
	var tree translog.Tree
	for i := 0; i < benchSize; i += 1 << 16 {
		a, err := tree.Append(leaves[i : i+1<<16])
		if err != nil {
			return nil, err
		}
		if err := s.PutNodes(context.Background(), a.Nodes); err != nil {
			return nil, err
		}
		tree = a.Tree
	}
	return s, nil
})

func loadBigLog(b *testing.B) *translog.MemStore {
	b.Helper()
	s, err := bigLog()
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkAppend(b *testing.B) {
	for _, batch := range []int{1, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			leaves := randomHashes(batch, 2)
			// Start from a log of a realistic size so roots take ~20 levels.
			start, err := translog.Tree{}.Append(randomHashes(1_000_003, 3))
			if err != nil {
				b.Fatal(err)
			}
			tree := start.Tree
			b.ReportAllocs()
			for b.Loop() {
				a, err := tree.Append(leaves)
				if err != nil {
					b.Fatal(err)
				}
				tree = a.Tree
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "leaves/s")
		})
	}
}

func BenchmarkInclusionProof(b *testing.B) {
	s := loadBigLog(b)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(4, 4))
	const size = benchSize - 12345 // not a power of two: one ephemeral node
	b.ReportAllocs()
	for b.Loop() {
		if _, err := translog.InclusionProof(ctx, s, r.Uint64N(size), size); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConsistencyProof(b *testing.B) {
	s := loadBigLog(b)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(5, 5))
	const size2 = benchSize - 12345
	b.ReportAllocs()
	for b.Loop() {
		if _, err := translog.ConsistencyProof(ctx, s, 1+r.Uint64N(size2-1), size2); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRoot(b *testing.B) {
	s := loadBigLog(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := translog.Root(ctx, s, benchSize-12345); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyInclusion(b *testing.B) {
	s := loadBigLog(b)
	ctx := context.Background()
	const size, index = benchSize - 12345, 777777
	root, err := translog.Root(ctx, s, size)
	if err != nil {
		b.Fatal(err)
	}
	p, err := translog.InclusionProof(ctx, s, index, size)
	if err != nil {
		b.Fatal(err)
	}
	leaf := randomHashes(benchSize, 1)[index]
	b.ReportAllocs()
	for b.Loop() {
		if err := translog.VerifyInclusion(leaf, index, size, root, p); err != nil {
			b.Fatal(err)
		}
	}
}
