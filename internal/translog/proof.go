package translog

import (
	"bytes"
	"context"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// InclusionProof returns the RFC 6962 audit path proving that the leaf at
// index is in the log of the given size, for a payer or auditor holding a
// checkpoint of that size. It reads about log2(size) stored nodes in one
// call and rehashes at most one ephemeral node, never the whole tree. It
// wraps ErrInvalid if index >= size and ErrNotFound if the log has not
// reached size.
func InclusionProof(ctx context.Context, r NodeReader, index, size uint64) ([][]byte, error) {
	if index >= size {
		return nil, fmt.Errorf("%w: leaf index %d is not below tree size %d", ErrInvalid, index, size)
	}
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return build(ctx, r, nodes, size)
}

// ConsistencyProof returns the RFC 6962 proof that the log of size2 extends
// the log of size1 without changing any of its first size1 leaves: how an
// auditor holding an old checkpoint confirms history was only appended to.
// It wraps ErrInvalid if size1 > size2 and ErrNotFound if the log has not
// reached size2. The proof is empty when size1 is 0 or equals size2.
func ConsistencyProof(ctx context.Context, r NodeReader, size1, size2 uint64) ([][]byte, error) {
	if size1 > size2 {
		return nil, fmt.Errorf("%w: consistency from size %d to smaller size %d", ErrInvalid, size1, size2)
	}
	nodes, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return build(ctx, r, nodes, size2)
}

// build fetches the nodes of a proof and folds the ephemeral node, if any,
// out of its stored children. It also fetches the last leaf of the tree so
// that a size beyond the log fails with ErrNotFound instead of yielding a
// proof for a tree that never existed.
func build(ctx context.Context, r NodeReader, nodes proof.Nodes, size uint64) ([][]byte, error) {
	if size == 0 {
		return [][]byte{}, nil
	}
	n := len(nodes.IDs)
	ids := append(nodes.IDs[:n:n], compact.NewNodeID(0, size-1))
	hashes, err := fetch(ctx, r, ids)
	if err != nil {
		return nil, err
	}
	p, err := nodes.Rehash(hashes[:n], rfc6962.DefaultHasher.HashChildren)
	if err != nil {
		return nil, fmt.Errorf("translog: build proof: %w", err)
	}
	return p, nil
}

// VerifyInclusion checks that proof shows the leaf with leafHash at index
// in the log of the given size whose root hash is root. Take size and root
// from the same verified checkpoint: the pair is what the log signed. It
// wraps ErrBadProof on any failure, including hashes of the wrong length
// and index >= size.
func VerifyInclusion(leafHash []byte, index, size uint64, root []byte, proofHashes [][]byte) error {
	if err := checkLengths(proofHashes, leafHash, root); err != nil {
		return err
	}
	if index >= size {
		return fmt.Errorf("%w: leaf index %d is not below tree size %d", ErrBadProof, index, size)
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, index, size, leafHash, proofHashes, root); err != nil {
		return fmt.Errorf("%w: inclusion of leaf %d in tree of size %d: %w", ErrBadProof, index, size, err)
	}
	return nil
}

// VerifyConsistency checks that proof shows the log with root2 at size2
// extends the log with root1 at size1, i.e. that nothing in the first size1
// leaves changed. Unlike the underlying library it also requires root1 to
// be the empty-tree root when size1 is 0, because a checkpoint of size 0
// can carry no other root. It wraps ErrBadProof on any failure.
func VerifyConsistency(size1, size2 uint64, root1, root2 []byte, proofHashes [][]byte) error {
	if err := checkLengths(proofHashes, root1, root2); err != nil {
		return err
	}
	if size1 > size2 {
		return fmt.Errorf("%w: size1 %d > size2 %d", ErrBadProof, size1, size2)
	}
	if size1 == 0 && !bytes.Equal(root1, rfc6962.DefaultHasher.EmptyRoot()) {
		return fmt.Errorf("%w: root of the empty tree is not SHA-256 of nothing", ErrBadProof)
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, size1, size2, proofHashes, root1, root2); err != nil {
		return fmt.Errorf("%w: consistency from size %d to %d: %w", ErrBadProof, size1, size2, err)
	}
	return nil
}

func checkLengths(proofHashes [][]byte, hashes ...[]byte) error {
	for _, h := range hashes {
		if len(h) != HashSize {
			return fmt.Errorf("%w: hash is %d bytes, want %d", ErrBadProof, len(h), HashSize)
		}
	}
	for i, h := range proofHashes {
		if len(h) != HashSize {
			return fmt.Errorf("%w: proof hash %d is %d bytes, want %d", ErrBadProof, i, len(h), HashSize)
		}
	}
	return nil
}
