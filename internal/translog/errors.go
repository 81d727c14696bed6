package translog

import "errors"

// Sentinel errors. Every error this package returns for one of these
// conditions wraps exactly one of them, so callers branch with errors.Is and
// the service layer can map each to an errs.Code in one place (for example
// ErrNotFound → not_found, ErrInvalid and ErrMalformed → invalid,
// ErrBadSignature → bad_signature; ErrConflict is an internal failure). Any
// other error from a function taking a NodeReader or NodeWriter is the
// storage error, passed through unchanged.
var (
	// ErrNotFound means a node the operation needs is not stored, which
	// also happens when a tree size the log has not reached is asked for.
	ErrNotFound = errors.New("translog: not found")

	// ErrConflict means a node was written with a hash different from the
	// one already stored. Perfect-subtree hashes never change in an
	// append-only log, so this means two sequencers ran at once, a bug, or
	// tampering; retrying does not fix it.
	ErrConflict = errors.New("translog: node already stored with a different hash")

	// ErrInvalid means the caller passed arguments that cannot describe a
	// valid operation (index beyond size, size1 > size2, a hash of the wrong
	// length, a leaf that breaks the encoding rules, a bad key or origin).
	ErrInvalid = errors.New("translog: invalid argument")

	// ErrMalformed means bytes from outside (a checkpoint, leaf bytes) do not
	// parse strictly. It is kept apart from ErrBadSignature so an auditor
	// can tell a garbled file from a forged one.
	ErrMalformed = errors.New("translog: malformed input")

	// ErrBadProof means an inclusion or consistency proof does not verify:
	// the payment is not in the log as claimed, or history was rewritten.
	ErrBadProof = errors.New("translog: proof does not verify")

	// ErrBadSignature means a checkpoint is not validly signed by the
	// expected log key, or names a different log than the key.
	ErrBadSignature = errors.New("translog: bad checkpoint signature")
)
