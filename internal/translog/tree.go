package translog

import (
	"bytes"
	"context"
	"fmt"
	"math"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
)

// rangeFactory builds every compact range in the package with the RFC 6962
// node hash; one shared factory because compact ranges only merge with
// ranges from the same factory.
var rangeFactory = &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}

// Tree is the sequencer's view of the log: its size and the roots of the
// perfect subtrees covering leaves [0, size) (the compact range, at most 64
// hashes). That is all it takes to append and compute the root, so
// appending never reads the rest of the tree. The zero Tree is the empty
// log. A Tree is immutable: Append returns a new one, so a failed database
// write leaves the caller's current Tree intact.
type Tree struct {
	size   uint64
	hashes [][]byte // compact range of [0, size); never modified in place
	root   []byte   // nil only for the zero Tree
}

// Appended is the result of Tree.Append: what to store and what it yields.
type Appended struct {
	// Tree is the log after the append. Adopt it only once Nodes are stored.
	Tree Tree
	// Nodes are the new perfect-subtree nodes, leaves included, in the
	// order they completed; pass them to NodeWriter.PutNodes.
	Nodes []Node
	// Root is the root hash at Tree.Size(), for the next checkpoint.
	Root []byte
}

// LoadTree reads the compact range of a log of the given size from r: the
// sequencer calls it at the start of each batch with the size recorded in
// the same transaction. It fetches at most 64 nodes. It returns an error
// wrapping ErrNotFound if the store does not hold a tree of that size.
func LoadTree(ctx context.Context, r NodeReader, size uint64) (Tree, error) {
	if size == 0 {
		return Tree{}, nil
	}
	ids := compact.RangeNodes(0, size, nil)
	hashes, err := fetch(ctx, r, ids)
	if err != nil {
		return Tree{}, err
	}
	rng, err := rangeFactory.NewRange(0, size, hashes)
	if err != nil {
		return Tree{}, fmt.Errorf("translog: load tree of size %d: %w", size, err)
	}
	root, err := rng.GetRootHash(nil)
	if err != nil {
		return Tree{}, fmt.Errorf("translog: load tree of size %d: %w", size, err)
	}
	return Tree{size: size, hashes: hashes, root: root}, nil
}

// Root returns the RFC 6962 root hash of the log at the given size, read
// from the stored perfect-subtree roots (at most 64 nodes), so it costs the
// same at 10 million leaves as at 10. It wraps ErrNotFound if the log has
// not reached size.
func Root(ctx context.Context, r NodeReader, size uint64) ([]byte, error) {
	t, err := LoadTree(ctx, r, size)
	if err != nil {
		return nil, err
	}
	return t.Root(), nil
}

// Size returns the number of leaves in the log.
func (t Tree) Size() uint64 { return t.size }

// Root returns the RFC 6962 root hash of the log; for the empty log that is
// SHA-256 of the empty string. The slice is a copy the caller may keep.
func (t Tree) Root() []byte {
	if t.size == 0 {
		return rfc6962.DefaultHasher.EmptyRoot()
	}
	return bytes.Clone(t.root)
}

// Append adds leaf hashes (from LeafHash) at indices Size(), Size()+1, …
// and returns the new Tree, the nodes to store and the new root, without
// touching t. Appending a batch costs about two hashes per leaf plus one
// per level for the root, which is why the sequencer appends many journal
// rows at once. It wraps ErrInvalid if a hash is not HashSize bytes or the
// log would overflow; then nothing is appended.
func (t Tree) Append(leafHashes [][]byte) (Appended, error) {
	for i, h := range leafHashes {
		if len(h) != HashSize {
			return Appended{}, fmt.Errorf("%w: leaf hash %d is %d bytes, want %d", ErrInvalid, i, len(h), HashSize)
		}
	}
	if uint64(len(leafHashes)) > math.MaxInt64-t.size {
		return Appended{}, fmt.Errorf("%w: log of size %d cannot take %d more leaves", ErrInvalid, t.size, len(leafHashes))
	}
	if len(leafHashes) == 0 {
		return Appended{Tree: t, Nodes: []Node{}, Root: t.Root()}, nil
	}
	// The compact range appends into its slice of hashes in place, so it
	// gets a copy: t must stay valid if the caller's write fails.
	hashes := make([][]byte, len(t.hashes), len(t.hashes)+1)
	copy(hashes, t.hashes)
	rng, err := rangeFactory.NewRange(0, t.size, hashes)
	if err != nil {
		return Appended{}, fmt.Errorf("translog: append: %w", err)
	}
	// Copy the leaf hashes into one buffer the Tree and Nodes can keep
	// regardless of what the caller later does with its slices.
	buf := make([]byte, len(leafHashes)*HashSize)
	nodes := make([]Node, 0, 2*len(leafHashes)+64)
	visit := func(id compact.NodeID, h []byte) { nodes = append(nodes, Node{ID: id, Hash: h}) }
	for i, h := range leafHashes {
		leaf := buf[i*HashSize : (i+1)*HashSize : (i+1)*HashSize]
		copy(leaf, h)
		if err := rng.Append(leaf, visit); err != nil {
			return Appended{}, fmt.Errorf("translog: append: %w", err)
		}
	}
	root, err := rng.GetRootHash(nil)
	if err != nil {
		return Appended{}, fmt.Errorf("translog: append: %w", err)
	}
	next := Tree{size: rng.End(), hashes: rng.Hashes(), root: root}
	return Appended{Tree: next, Nodes: nodes, Root: bytes.Clone(root)}, nil
}

// fetch reads ids from r and checks the store kept its contract (one hash
// of HashSize bytes per id), so a broken store cannot yield a wrong proof
// that looks like tampering.
func fetch(ctx context.Context, r NodeReader, ids []compact.NodeID) ([][]byte, error) {
	hashes, err := r.Nodes(ctx, ids)
	if err != nil {
		return nil, err
	}
	if len(hashes) != len(ids) {
		return nil, fmt.Errorf("translog: store returned %d hashes for %d nodes", len(hashes), len(ids))
	}
	for i, h := range hashes {
		if len(h) != HashSize {
			return nil, fmt.Errorf("translog: store returned a %d-byte hash for node (level %d, index %d)", len(h), ids[i].Level, ids[i].Index)
		}
	}
	return hashes, nil
}
