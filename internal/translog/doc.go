// Package translog makes the payment journal tamper-evident: every recorded
// payment and refund becomes a leaf of an append-only RFC 6962 Merkle tree,
// and the log periodically signs a checkpoint (tree size + root hash).
// District staff or anyone else holding a checkpoint can then check, without
// trusting Market4's database or servers, that a payment is in the log as
// recorded (inclusion proof) and that later logs only appended to it
// (consistency proof). Changing an amount afterwards changes a leaf, which
// changes the root, which no longer matches the signed checkpoint.
//
// The package is pure logic plus a small storage contract (NodeReader,
// NodeWriter); the database adapter implements the contract and runs the
// contract tests in package translogtest. The Merkle arithmetic is
// github.com/transparency-dev/merkle; signatures are golang.org/x/mod's
// signed notes.
//
// # Leaf format (version 1)
//
// A leaf is the UTF-8 text below; Leaf.Bytes produces it, ParseLeaf reads it.
// Lines, in this fixed order, each field written as
// "<name> <length>:<value>\n", where <length> is the byte length of <value>
// in decimal without leading zeros:
//
//	market4/leaf/v1\n
//	kind <n>:<payment|refund>\n
//	id <n>:<payment or refund id, lower-case UUID, 36 bytes>\n
//	stall_id <n>:<stall id>\n
//	amount <n>:<whole đồng, decimal, no sign, no leading zeros, > 0>\n
//	status <n>:<status, e.g. succeeded>\n
//	occurred_at <n>:<UTC time, YYYY-MM-DDThh:mm:ss.ffffffZ, always 6 digits>\n
//	provider <n>:<provider name, may be empty>\n
//	provider_ref <n>:<provider reference, may be empty>\n
//
// Values are raw bytes, with no escaping: the length prefix alone says where
// a value ends, so a value may contain newlines, colons or field names
// without two different leaves ever encoding alike (the text is parsed left
// to right with no choice at any point). occurred_at is truncated, not
// rounded, to the microsecond; the service stores CanonicalTime(t) in the
// journal so the database row and the leaf agree. For example:
//
//	market4/leaf/v1
//	kind 7:payment
//	id 36:01936f4e-8a2b-7c3d-9e4f-0a1b2c3d4e5f
//	stall_id 36:01936f4e-0000-7000-8000-000000000001
//	amount 6:150000
//	status 9:succeeded
//	occurred_at 27:2025-01-01T20:04:05.123456Z
//	provider 5:vnpay
//	provider_ref 11:VNP14200123
//
// (each line ending in a single "\n", including the last) has leaf hash
// d5389bff8f99db932b1bab29e3c75f74250d771b31d4b663d1d113820c61248b.
//
// # Tree
//
// RFC 6962 section 2.1 (equivalently RFC 9162 section 2.1) with SHA-256:
// leaf hash = SHA-256(0x00 || leaf bytes), inner node = SHA-256(0x01 || left
// || right), the root of n > 1 leaves splits at the largest power of two
// below n, and the root of the empty tree is SHA-256 of nothing
// (e3b0c442…b855). Leaf i is the i-th journal entry the sequencer appended,
// counting from 0.
//
// # Storage
//
// Nodes are addressed as compact.NodeID{Level, Index}: level 0 are the leaf
// hashes, node (l, i) is the root of the perfect subtree over leaves
// [i·2^l, (i+1)·2^l). Only perfect subtrees are stored, each once, when its
// last leaf is appended (Tree.Append reports them); their hashes never
// change. That is about 2 nodes per leaf, 20 million 32-byte hashes at 10
// million payments, and a suitable table is (level SMALLINT, idx BIGINT,
// hash BYTEA/BLOB, PRIMARY KEY (level, idx)). Every operation reads only
// the nodes it needs in one NodeReader.Nodes call: Root and LoadTree at
// most 64, proofs about 2·log2(size), so nothing ever recomputes the whole
// tree. The tree size itself is recorded by the sequencer in the same
// transaction as the nodes. Sizes are limited to 2^63-1 to fit a BIGINT.
//
// # Checkpoint format
//
// A checkpoint is a C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint)
// in a signed note (https://c2sp.org/signed-note), as produced by
// SignCheckpoint. This one is a test vector (checked by the tests and
// independently with OpenSSL): the log holding only the example leaf above,
// signed with the test key whose verifier key is
// "market4.example/journal+2165bdc8+AfpaZRo+pMg6w03fHqI4cmM625RARBAxZ1aCDaLDIqCt":
//
//	market4.example/journal
//	1
//	1Tib/4+Z25MrG6sp48dfdCUNdxsx1LZj0dETggxhJIs=
//
//	— market4.example/journal IWW9yJBSnxyS4OM7Z8Ajn4Fzb4VBllPJXgMyyRUTfKjAV9P1SdRq7ScJafZVRqTiE/ngXqeXdTMOLrCyPnQNek5wXgc=
//
// The body is the origin, the tree size in decimal without leading zeros,
// and the standard base64 (with padding) of the 32-byte root, each followed
// by "\n"; this log writes no extension lines and OpenCheckpoint refuses
// them. Then an empty line and one line per signature: "— " (U+2014, space),
// the key name, a space, and base64(4-byte big-endian key hash || 64-byte
// Ed25519 signature of the body). The key name is the origin. The published
// verifier key has the form "<origin>+<8 hex digit key hash>+<base64(0x01
// || 32-byte Ed25519 public key)>"; the key hash is the first 4 bytes of
// SHA-256(origin || "\n" || 0x01 || public key). Signatures by other keys
// (witnesses) may follow and are ignored.
//
// # Verifying offline
//
// Given the verifier key, nothing from Market4 needs to be trusted except
// that key; any tool that implements the formats above can check:
//
//  1. The checkpoint: verify the Ed25519 signature over the body with the
//     published key, then parse origin, size and root (OpenCheckpoint).
//  2. That a payment is logged: rebuild its leaf bytes from the receipt or
//     report, hash them (LeafHash), obtain the inclusion proof for its index
//     at the checkpoint's size, and check it against the checkpoint's root
//     with the RFC 9162 section 2.1.3.2 algorithm (VerifyInclusion). Size
//     and root must come from the same checkpoint.
//  3. That history was only appended to: for an old checkpoint (size1,
//     root1) and a newer one (size2, root2), obtain the consistency proof
//     and check it with RFC 9162 section 2.1.4.2 (VerifyConsistency). Two
//     signed checkpoints that fail this are proof the log was rewritten.
//  4. A full audit: recompute the root from all journal rows up to the
//     checkpoint's size (Tree.Append) and compare. On a mismatch, the rows
//     whose inclusion proofs fail are the altered ones (see the audit
//     example). Proofs may come from the log's own node table, since a
//     proof that verifies against a signed root is evidence whatever its
//     source; if that table was rewritten too, proofs from an auditor's own
//     copy of the nodes (a MemStore kept from an earlier audit) still name
//     the leaf.
package translog
