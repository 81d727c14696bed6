package translog

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/transparency-dev/merkle/compact"
)

// Node is one stored tree node: the root hash of a perfect subtree, at
// compact.NodeID{Level, Index} (level 0 = leaf hashes). Only perfect
// subtrees are stored because their hashes never change once complete;
// everything else is recomputed from them.
type Node struct {
	ID   compact.NodeID
	Hash []byte // HashSize bytes
}

// NodeReader is what proofs and tree loading need from storage: node hashes
// by id. Keeping it to one batched call lets a database answer a proof
// (about 2·log2(size) nodes) in a single query.
type NodeReader interface {
	// Nodes returns the hashes of ids, in the same order, one per id
	// (duplicates allowed). It returns an error wrapping ErrNotFound if any
	// id is not stored, or the storage error. The returned slices belong to
	// the caller.
	Nodes(ctx context.Context, ids []compact.NodeID) ([][]byte, error)
}

// NodeWriter is what the sequencer needs to persist an append: the nodes
// Tree.Append reports. Implementations run it inside the transaction that
// also records the new tree size, so nodes and size commit together.
type NodeWriter interface {
	// PutNodes stores nodes atomically: on error none of them is stored.
	// Writing a node that is already stored with the same hash is a no-op
	// (so a retried batch succeeds); with a different hash it returns an
	// error wrapping ErrConflict. A hash that is not HashSize bytes returns
	// ErrInvalid. Otherwise it returns the storage error.
	PutNodes(ctx context.Context, nodes []Node) error
}

// maxLevels bounds node levels: a tree of at most 2^63 leaves has perfect
// subtrees up to level 63.
const maxLevels = 64

// MemStore keeps the node hashes in memory: one flat byte slice per level
// holding nodes 0..n-1 back to back (about 64 bytes per leaf in all). Tests,
// benchmarks and offline verification tools use it; it is safe for
// concurrent use.
//
// Unlike a database, MemStore requires the nodes of each level to be
// written in index order without gaps, which is how Tree.Append reports
// them; a gap returns ErrInvalid. That is what lets it use flat slices
// instead of a map several times their size.
type MemStore struct {
	mu     sync.RWMutex
	levels [][]byte
}

var (
	_ NodeReader = (*MemStore)(nil)
	_ NodeWriter = (*MemStore)(nil)
)

// NewMemStore returns an empty store, ready for a tree of size 0.
func NewMemStore() *MemStore { return &MemStore{} }

// Nodes implements NodeReader.
func (s *MemStore) Nodes(ctx context.Context, ids []compact.NodeID) ([][]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([][]byte, len(ids))
	buf := make([]byte, len(ids)*HashSize)
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i, id := range ids {
		h := s.get(id)
		if h == nil {
			return nil, fmt.Errorf("%w: node (level %d, index %d)", ErrNotFound, id.Level, id.Index)
		}
		out[i] = buf[i*HashSize : (i+1)*HashSize : (i+1)*HashSize]
		copy(out[i], h)
	}
	return out, nil
}

// PutNodes implements NodeWriter.
func (s *MemStore) PutNodes(ctx context.Context, nodes []Node) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Levels only ever grow at the end, so remembering their lengths is
	// enough to undo a partly applied batch.
	var saved [maxLevels]int
	for l := range s.levels {
		saved[l] = len(s.levels[l])
	}
	for _, n := range nodes {
		if err := s.put(n); err != nil {
			for l := range s.levels {
				s.levels[l] = s.levels[l][:saved[l]]
			}
			return err
		}
	}
	return nil
}

func (s *MemStore) get(id compact.NodeID) []byte {
	if id.Level >= uint(len(s.levels)) {
		return nil
	}
	lvl := s.levels[id.Level]
	if id.Index >= uint64(len(lvl)/HashSize) {
		return nil
	}
	return lvl[id.Index*HashSize : (id.Index+1)*HashSize]
}

func (s *MemStore) put(n Node) error {
	if len(n.Hash) != HashSize {
		return fmt.Errorf("%w: node (level %d, index %d) hash is %d bytes, want %d", ErrInvalid, n.ID.Level, n.ID.Index, len(n.Hash), HashSize)
	}
	if n.ID.Level >= maxLevels {
		return fmt.Errorf("%w: node level %d", ErrInvalid, n.ID.Level)
	}
	if old := s.get(n.ID); old != nil {
		if !bytes.Equal(old, n.Hash) {
			return fmt.Errorf("%w: node (level %d, index %d)", ErrConflict, n.ID.Level, n.ID.Index)
		}
		return nil
	}
	for uint(len(s.levels)) <= n.ID.Level {
		s.levels = append(s.levels, nil)
	}
	lvl := s.levels[n.ID.Level]
	if have := uint64(len(lvl) / HashSize); n.ID.Index != have {
		return fmt.Errorf("%w: MemStore needs level %d nodes in order: got index %d, next is %d", ErrInvalid, n.ID.Level, n.ID.Index, have)
	}
	s.levels[n.ID.Level] = append(lvl, n.Hash...)
	return nil
}
