package translog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/market4/market4/internal/translog"
)

// journal returns n payments as the service would record them.
func journal(n int) []translog.Leaf {
	at := time.Date(2025, 3, 1, 6, 30, 0, 0, time.UTC)
	out := make([]translog.Leaf, n)
	for i := range out {
		out[i] = translog.Leaf{
			Kind:        translog.KindPayment,
			ID:          fmt.Sprintf("01955a3c-0000-7000-8000-%012x", i),
			StallID:     fmt.Sprintf("stall-%d", i%3),
			Amount:      int64(10000 * (i + 1)),
			Status:      "succeeded",
			OccurredAt:  at.Add(time.Duration(i) * time.Minute),
			Provider:    "vnpay",
			ProviderRef: fmt.Sprintf("VNP%08d", i),
		}
		if i%5 == 4 {
			out[i].Kind = translog.KindRefund
		}
	}
	return out
}

func hashRows(rows [][]byte) [][]byte {
	out := make([][]byte, len(rows))
	for i, b := range rows {
		out[i] = translog.LeafHash(b)
	}
	return out
}

// audit is what an auditor holding a checkpoint does with the journal rows
// (as canonical leaf bytes) and any source of proofs: it reports whether the
// rows match the checkpoint and which rows cannot be proven to be in it.
func audit(t testing.TB, proofs translog.NodeReader, cp translog.Checkpoint, rows [][]byte) (match bool, altered []int) {
	t.Helper()
	a, err := translog.Tree{}.Append(hashRows(rows))
	if err != nil {
		t.Fatal(err)
	}
	match = a.Tree.Size() == cp.Size && bytes.Equal(a.Root, cp.Root)
	for i, row := range rows {
		p, err := translog.InclusionProof(context.Background(), proofs, uint64(i), cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := translog.VerifyInclusion(translog.LeafHash(row), uint64(i), cp.Size, cp.Root, p); err != nil {
			if !errors.Is(err, translog.ErrBadProof) {
				t.Fatalf("VerifyInclusion error %v is not ErrBadProof", err)
			}
			altered = append(altered, i)
		}
	}
	return match, altered
}

// TestTamperedLeafIsNamed changes one byte of the canonical bytes of each
// leaf k in turn (at the start, in the amount, at the end): the rows no
// longer match the old checkpoint, and exactly leaf k fails its proof.
func TestTamperedLeafIsNamed(t *testing.T) {
	ctx := context.Background()
	const n = 21
	skey, vkey := newKey(t, testOrigin)
	var rows [][]byte
	for _, l := range journal(n) {
		rows = append(rows, l.Bytes())
	}
	a, err := translog.Tree{}.Append(hashRows(rows))
	if err != nil {
		t.Fatal(err)
	}
	s := translog.NewMemStore()
	if err := s.PutNodes(ctx, a.Nodes); err != nil {
		t.Fatal(err)
	}
	msg, err := translog.SignCheckpoint(skey, translog.Checkpoint{Origin: testOrigin, Size: n, Root: a.Root})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := translog.OpenCheckpoint(msg, vkey)
	if err != nil {
		t.Fatal(err)
	}
	if match, altered := audit(t, s, cp, rows); !match || len(altered) != 0 {
		t.Fatalf("untouched journal: match = %v, altered = %v", match, altered)
	}
	for k := range n {
		amountAt := bytes.Index(rows[k], []byte("\namount ")) + len("\namount 5:")
		for _, pos := range []int{0, amountAt, len(rows[k]) - 2} {
			tampered := make([][]byte, n)
			copy(tampered, rows)
			tampered[k] = bytes.Clone(rows[k])
			tampered[k][pos] ^= 0x01
			match, altered := audit(t, s, cp, tampered)
			if match {
				t.Fatalf("leaf %d byte %d changed, but the rows still match the checkpoint", k, pos)
			}
			if len(altered) != 1 || altered[0] != k {
				t.Fatalf("leaf %d byte %d changed: audit named %v", k, pos, altered)
			}
		}
	}
}

// TestRewrittenHistoryFailsConsistency: an operator who alters leaf k and
// rebuilds the whole tree (so every stored node and the new root are
// self-consistent) still cannot prove the new tree extends the checkpoint.
func TestRewrittenHistoryFailsConsistency(t *testing.T) {
	ctx := context.Background()
	leaves := testLeaves(50)
	honest := newTestLog(t, leaves[:30])
	oldRoot, err := translog.Root(ctx, honest, 30)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{0, 7, 16, 29} {
		forged := append([][]byte{}, leaves...)
		forged[k] = refLeafHash([]byte("altered"))
		s := newTestLog(t, forged)
		newRoot, err := translog.Root(ctx, s, 50)
		if err != nil {
			t.Fatal(err)
		}
		p, err := translog.ConsistencyProof(ctx, s, 30, 50)
		if err != nil {
			t.Fatal(err)
		}
		if err := translog.VerifyConsistency(30, 50, oldRoot, newRoot, p); !errors.Is(err, translog.ErrBadProof) {
			t.Fatalf("leaf %d rewritten: err = %v, want ErrBadProof", k, err)
		}
	}
}

// Example_audit shows how district staff holding a signed checkpoint detect
// that a payment was altered after the fact, and name it.
func Example_audit() {
	ctx := context.Background()
	const origin = "market4.example/journal"

	// The log: the sequencer appends journal rows and signs a checkpoint.
	skey, vkey, _ := translog.GenerateKey(origin)
	rows := journal(5)
	var hashes [][]byte
	for _, l := range rows {
		hashes = append(hashes, translog.LeafHash(l.Bytes()))
	}
	a, _ := translog.Tree{}.Append(hashes)
	nodes := translog.NewMemStore() // the log's node table
	_ = nodes.PutNodes(ctx, a.Nodes)
	signed, _ := translog.SignCheckpoint(skey, translog.Checkpoint{Origin: origin, Size: a.Tree.Size(), Root: a.Root})

	// Later, someone with database access lowers payment 2.
	rows[2].Amount = 15000

	// The auditor has the signed checkpoint (e.g. printed on the monthly
	// report) and the log's public key; it reads the journal rows.
	cp, err := translog.OpenCheckpoint(signed, vkey)
	if err != nil {
		fmt.Println("checkpoint:", err)
		return
	}
	// 1. Detect: the rows must hash to the checkpoint's root.
	var tree translog.Tree
	for _, l := range rows {
		next, _ := tree.Append([][]byte{translog.LeafHash(l.Bytes())})
		tree = next.Tree
	}
	if !bytes.Equal(tree.Root(), cp.Root) {
		fmt.Printf("journal does not match checkpoint %d\n", cp.Size)
	}
	// 2. Name: every row must be provably in the checkpointed tree. Proofs
	// may come from the log itself: a proof that verifies against the signed
	// root is evidence whatever its source.
	for i, l := range rows {
		p, _ := translog.InclusionProof(ctx, nodes, uint64(i), cp.Size)
		if err := translog.VerifyInclusion(translog.LeafHash(l.Bytes()), uint64(i), cp.Size, cp.Root, p); err != nil {
			fmt.Printf("leaf %d (%s %s, now %d đồng) is not what was logged\n", i, l.Kind, l.ID, l.Amount)
		}
	}
	// Output:
	// journal does not match checkpoint 5
	// leaf 2 (payment 01955a3c-0000-7000-8000-000000000002, now 15000 đồng) is not what was logged
}
