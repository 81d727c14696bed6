// Package translogtest is the contract test suite for implementations of
// translog.NodeReader and translog.NodeWriter. The store package runs it on
// SQLite always and on PostgreSQL when one is reachable, and translog runs
// it on MemStore, so every store is held to the same behaviour.
package translogtest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/market4/market4/internal/translog"
	"github.com/transparency-dev/merkle/compact"
)

// Store is a node store under test: the reader and writer side of one
// backing storage.
type Store interface {
	translog.NodeReader
	translog.NodeWriter
}

// TestStore runs the contract on stores from open, which must return a
// new, empty store for each call (a fresh database or schema) and register
// its own cleanup with t.
func TestStore(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()

	t.Run("MissingNodeIsNotFound", func(t *testing.T) {
		s := open(t)
		_, err := s.Nodes(ctx, []compact.NodeID{compact.NewNodeID(0, 0)})
		if !errors.Is(err, translog.ErrNotFound) {
			t.Fatalf("Nodes on empty store: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("NoIDs", func(t *testing.T) {
		s := open(t)
		got, err := s.Nodes(ctx, nil)
		if err != nil || len(got) != 0 {
			t.Fatalf("Nodes(nil) = %d hashes, %v; want 0, nil", len(got), err)
		}
	})

	t.Run("RoundTripInRequestedOrder", func(t *testing.T) {
		s := open(t)
		nodes := build(t, s, 37, 5)
		ids := make([]compact.NodeID, 0, len(nodes)+2)
		for i := len(nodes) - 1; i >= 0; i-- { // reverse of write order
			ids = append(ids, nodes[i].ID)
		}
		ids = append(ids, nodes[0].ID, nodes[3].ID) // duplicates
		got, err := s.Nodes(ctx, ids)
		if err != nil {
			t.Fatalf("Nodes: %v", err)
		}
		if len(got) != len(ids) {
			t.Fatalf("Nodes returned %d hashes for %d ids", len(got), len(ids))
		}
		want := map[compact.NodeID][]byte{}
		for _, n := range nodes {
			want[n.ID] = n.Hash
		}
		for i, id := range ids {
			if !bytes.Equal(got[i], want[id]) {
				t.Fatalf("hash of node %+v = %x, want %x", id, got[i], want[id])
			}
		}
	})

	t.Run("SomeMissingIsNotFound", func(t *testing.T) {
		s := open(t)
		build(t, s, 4, 4)
		ids := []compact.NodeID{compact.NewNodeID(0, 1), compact.NewNodeID(0, 4), compact.NewNodeID(2, 0)}
		if _, err := s.Nodes(ctx, ids); !errors.Is(err, translog.ErrNotFound) {
			t.Fatalf("Nodes with leaf 4 of a 4-leaf tree: err = %v, want ErrNotFound", err)
		}
		if _, err := s.Nodes(ctx, []compact.NodeID{compact.NewNodeID(3, 0)}); !errors.Is(err, translog.ErrNotFound) {
			t.Fatalf("Nodes level 3 of a 4-leaf tree: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("RewriteSameHashIsNoop", func(t *testing.T) {
		s := open(t)
		nodes := build(t, s, 9, 9)
		if err := s.PutNodes(ctx, nodes); err != nil {
			t.Fatalf("PutNodes again with the same hashes: %v", err)
		}
		checkRoot(t, s, 9)
	})

	t.Run("RewriteOtherHashIsConflictAndAtomic", func(t *testing.T) {
		s := open(t)
		nodes := build(t, s, 8, 8)
		// A batch with a new node first and then a changed old one: the
		// conflict must reject the whole batch.
		next, err := translog.LoadTree(ctx, s, 8)
		if err != nil {
			t.Fatal(err)
		}
		a, err := next.Append([][]byte{leafHash(8)})
		if err != nil {
			t.Fatal(err)
		}
		forged := translog.Node{ID: nodes[2].ID, Hash: bytes.Clone(nodes[2].Hash)}
		forged.Hash[0] ^= 1
		err = s.PutNodes(ctx, append(a.Nodes, forged))
		if !errors.Is(err, translog.ErrConflict) {
			t.Fatalf("PutNodes with a changed hash: err = %v, want ErrConflict", err)
		}
		got, err := s.Nodes(ctx, []compact.NodeID{nodes[2].ID})
		if err != nil || !bytes.Equal(got[0], nodes[2].Hash) {
			t.Fatalf("after conflict node %+v = %x, %v; want unchanged %x", nodes[2].ID, got, err, nodes[2].Hash)
		}
		if _, err := s.Nodes(ctx, []compact.NodeID{compact.NewNodeID(0, 8)}); !errors.Is(err, translog.ErrNotFound) {
			t.Fatalf("leaf 8 of the rejected batch is readable (err = %v): PutNodes is not atomic", err)
		}
	})

	t.Run("WrongHashSizeIsInvalid", func(t *testing.T) {
		s := open(t)
		err := s.PutNodes(ctx, []translog.Node{{ID: compact.NewNodeID(0, 0), Hash: make([]byte, 31)}})
		if !errors.Is(err, translog.ErrInvalid) {
			t.Fatalf("PutNodes with a 31-byte hash: err = %v, want ErrInvalid", err)
		}
	})

	t.Run("NoAliasing", func(t *testing.T) {
		s := open(t)
		h := leafHash(0)
		in := []translog.Node{{ID: compact.NewNodeID(0, 0), Hash: bytes.Clone(h)}}
		if err := s.PutNodes(ctx, in); err != nil {
			t.Fatal(err)
		}
		in[0].Hash[0] ^= 0xff // the caller reuses its buffer
		got, err := s.Nodes(ctx, []compact.NodeID{compact.NewNodeID(0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[0], h) {
			t.Fatalf("store kept the caller's buffer: got %x, want %x", got[0], h)
		}
		got[0][0] ^= 0xff // the caller scribbles on the result
		again, err := s.Nodes(ctx, []compact.NodeID{compact.NewNodeID(0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again[0], h) {
			t.Fatalf("store returned its own buffer: got %x, want %x", again[0], h)
		}
	})

	t.Run("ProofsVerify", func(t *testing.T) {
		s := open(t)
		const size = 45
		build(t, s, size, 7)
		roots := make([][]byte, size+1)
		for n := uint64(0); n <= size; n++ {
			roots[n] = checkRoot(t, s, n)
		}
		for i := uint64(0); i < size; i++ {
			p, err := translog.InclusionProof(ctx, s, i, size)
			if err != nil {
				t.Fatalf("InclusionProof(%d, %d): %v", i, size, err)
			}
			if err := translog.VerifyInclusion(leafHash(i), i, size, roots[size], p); err != nil {
				t.Fatalf("VerifyInclusion(%d, %d): %v", i, size, err)
			}
		}
		for n := uint64(0); n <= size; n += 4 {
			p, err := translog.ConsistencyProof(ctx, s, n, size)
			if err != nil {
				t.Fatalf("ConsistencyProof(%d, %d): %v", n, size, err)
			}
			if err := translog.VerifyConsistency(n, size, roots[n], roots[size], p); err != nil {
				t.Fatalf("VerifyConsistency(%d, %d): %v", n, size, err)
			}
		}
		if _, err := translog.InclusionProof(ctx, s, 0, size+1); !errors.Is(err, translog.ErrNotFound) {
			t.Fatalf("InclusionProof beyond the log: err = %v, want ErrNotFound", err)
		}
	})
}

// build appends leaves 0..size-1 in batches of batch and stores the nodes,
// returning them in write order.
func build(t *testing.T, s Store, size, batch uint64) []translog.Node {
	t.Helper()
	ctx := context.Background()
	var tree translog.Tree
	var all []translog.Node
	for tree.Size() < size {
		var hs [][]byte
		for i := tree.Size(); i < size && uint64(len(hs)) < batch; i++ {
			hs = append(hs, leafHash(i))
		}
		a, err := tree.Append(hs)
		if err != nil {
			t.Fatalf("Append: %v", err)
		}
		if err := s.PutNodes(ctx, a.Nodes); err != nil {
			t.Fatalf("PutNodes: %v", err)
		}
		all = append(all, a.Nodes...)
		tree = a.Tree
	}
	return all
}

// checkRoot compares the root read from s with one recomputed from the
// leaves without the store.
func checkRoot(t *testing.T, s Store, size uint64) []byte {
	t.Helper()
	got, err := translog.Root(context.Background(), s, size)
	if err != nil {
		t.Fatalf("Root(%d): %v", size, err)
	}
	var tree translog.Tree
	hs := make([][]byte, size)
	for i := range hs {
		hs[i] = leafHash(uint64(i))
	}
	a, err := tree.Append(hs)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, a.Root) {
		t.Fatalf("Root(%d) from store = %x, want %x", size, got, a.Root)
	}
	return got
}

// leafHash is a deterministic stand-in for the hash of leaf i.
func leafHash(i uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], i)
	return translog.LeafHash(append([]byte("translogtest leaf "), b[:]...))
}
