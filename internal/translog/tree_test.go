package translog_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/market4/market4/internal/translog"
	"github.com/market4/market4/internal/translog/translogtest"
)

func TestMemStoreContract(t *testing.T) {
	translogtest.TestStore(t, func(*testing.T) translogtest.Store { return translog.NewMemStore() })
}

func TestMemStoreRejectsGaps(t *testing.T) {
	s := translog.NewMemStore()
	a, err := translog.Tree{}.Append(testLeaves(2))
	if err != nil {
		t.Fatal(err)
	}
	// Skip leaf 0: the store must refuse and keep nothing.
	err = s.PutNodes(context.Background(), a.Nodes[1:])
	if !errors.Is(err, translog.ErrInvalid) {
		t.Fatalf("PutNodes with a gap: err = %v, want ErrInvalid", err)
	}
	if _, err := translog.Root(context.Background(), s, 1); !errors.Is(err, translog.ErrNotFound) {
		t.Fatalf("after rejected batch Root(1): err = %v, want ErrNotFound", err)
	}
}

func TestLeafHashMatchesReference(t *testing.T) {
	for _, b := range [][]byte{nil, {}, []byte("x"), goldenLeaf(t).Bytes()} {
		if got, want := translog.LeafHash(b), refLeafHash(b); !bytes.Equal(got, want) {
			t.Fatalf("LeafHash(%q) = %x, want %x", b, got, want)
		}
	}
}

// TestAppendMatchesReference appends leaves 0..300 in random batches and
// checks, at every batch boundary, the root against the reference, that
// every reported node is the reference hash of the perfect subtree it
// names, and afterwards that the store yields the reference root for every
// size 0..300 and can resume appending from any size.
func TestAppendMatchesReference(t *testing.T) {
	const max = 300
	ctx := context.Background()
	leaves := testLeaves(max)
	for seed := range uint64(8) {
		t.Run("", func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 42))
			s := translog.NewMemStore()
			var tree translog.Tree
			if got, want := tree.Root(), refMTH(nil); !bytes.Equal(got, want) {
				t.Fatalf("empty root = %x, want %x", got, want)
			}
			for tree.Size() < max {
				n := uint64(r.IntN(40)) // 0 allowed: an empty batch is a no-op
				if seed%2 == 1 {
					n = uint64(r.IntN(3))
				}
				n = min(n, max-tree.Size())
				begin := tree.Size()
				a, err := tree.Append(leaves[begin : begin+n])
				if err != nil {
					t.Fatalf("Append(%d..%d): %v", begin, begin+n, err)
				}
				end := a.Tree.Size()
				if end != begin+n {
					t.Fatalf("size after appending %d to %d = %d", n, begin, end)
				}
				want := refMTH(leaves[:end])
				if !bytes.Equal(a.Root, want) || !bytes.Equal(a.Tree.Root(), want) {
					t.Fatalf("root at %d = %x, want %x", end, a.Root, want)
				}
				checkNodes(t, leaves, begin, end, a.Nodes)
				if err := s.PutNodes(ctx, a.Nodes); err != nil {
					t.Fatalf("PutNodes: %v", err)
				}
				tree = a.Tree
			}
			for size := uint64(0); size <= max; size++ {
				got, err := translog.Root(ctx, s, size)
				if err != nil {
					t.Fatalf("Root(%d): %v", size, err)
				}
				if want := refMTH(leaves[:size]); !bytes.Equal(got, want) {
					t.Fatalf("Root(%d) = %x, want %x", size, got, want)
				}
			}
			// Resume: a sequencer restarting at any size continues the same tree.
			for _, size := range []uint64{0, 1, 7, 64, 129, 299} {
				tr, err := translog.LoadTree(ctx, s, size)
				if err != nil {
					t.Fatalf("LoadTree(%d): %v", size, err)
				}
				a, err := tr.Append(leaves[size:])
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(a.Root, refMTH(leaves)) {
					t.Fatalf("resumed from %d: root = %x, want %x", size, a.Root, refMTH(leaves))
				}
			}
			if _, err := translog.Root(ctx, s, max+1); !errors.Is(err, translog.ErrNotFound) {
				t.Fatalf("Root(%d) beyond the log: err = %v, want ErrNotFound", max+1, err)
			}
		})
	}
}

// checkNodes verifies that nodes are exactly the perfect subtrees completed
// by appending leaves [begin, end), each with its reference hash.
func checkNodes(t *testing.T, leaves [][]byte, begin, end uint64, nodes []translog.Node) {
	t.Helper()
	want := 0
	for level := uint(0); level < 64; level++ {
		// Subtrees at this level that end in (begin, end].
		want += int(end>>level - begin>>level)
	}
	if len(nodes) != want {
		t.Fatalf("appending [%d, %d) reported %d nodes, want %d", begin, end, len(nodes), want)
	}
	for _, n := range nodes {
		lo, hi := n.ID.Coverage()
		if hi > end || hi <= begin {
			t.Fatalf("node %+v covers [%d, %d), not completed by [%d, %d)", n.ID, lo, hi, begin, end)
		}
		if want := refMTH(leaves[lo:hi]); !bytes.Equal(n.Hash, want) {
			t.Fatalf("node %+v = %x, want %x", n.ID, n.Hash, want)
		}
	}
}

func TestAppendLeavesReceiverIntact(t *testing.T) {
	leaves := testLeaves(20)
	a, err := translog.Tree{}.Append(leaves[:11])
	if err != nil {
		t.Fatal(err)
	}
	base := a.Tree
	// Two different continuations of the same Tree (as after a failed
	// commit) must not disturb each other or base.
	x, err := base.Append(leaves[11:20])
	if err != nil {
		t.Fatal(err)
	}
	other := testLeaves(40)[30:39]
	y, err := base.Append(other)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x.Root, refMTH(leaves)) {
		t.Fatalf("first continuation root wrong")
	}
	if !bytes.Equal(y.Root, refMTH(append(append([][]byte{}, leaves[:11]...), other...))) {
		t.Fatalf("second continuation root wrong")
	}
	if base.Size() != 11 || !bytes.Equal(base.Root(), refMTH(leaves[:11])) {
		t.Fatalf("base tree changed by Append")
	}
	// The caller reusing its leaf buffers must not change stored state.
	buf := bytes.Clone(leaves[19])
	z, err := base.Append([][]byte{buf})
	if err != nil {
		t.Fatal(err)
	}
	buf[0] ^= 1
	if !bytes.Equal(z.Nodes[0].Hash, leaves[19]) {
		t.Fatalf("Append kept the caller's buffer")
	}
	// Root() hands out a copy.
	r := base.Root()
	r[0] ^= 1
	if bytes.Equal(r, base.Root()) {
		t.Fatalf("Root() returned the tree's own slice")
	}
}

func TestAppendRejectsBadHashes(t *testing.T) {
	a, err := translog.Tree{}.Append(testLeaves(3))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{nil, make([]byte, 31), make([]byte, 33)} {
		_, err := a.Tree.Append([][]byte{testLeaves(4)[3], bad})
		if !errors.Is(err, translog.ErrInvalid) {
			t.Fatalf("Append(%d-byte hash): err = %v, want ErrInvalid", len(bad), err)
		}
	}
	if a.Tree.Size() != 3 {
		t.Fatalf("failed Append changed the tree")
	}
}
