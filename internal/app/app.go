// Package app holds the use cases: one method per thing a person or a
// provider does, each running in one database transaction. It depends on the
// domain packages and declares the Store it needs; adapters (store, httpapi,
// provider) implement or call it, and only cmd/ wires concrete types.
package app

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/provider"
)

// Store is the persistence the use cases need. Implementations translate
// their own failures into *errs.Error values (NotFound, Conflict with the
// field named) so services never see database error text.
type Store interface {
	// InTx runs fn in one transaction, retrying it a bounded number of times
	// on serialization failures and deadlocks; fn must therefore be safe to
	// re-run (no side effects outside tx).
	InTx(ctx context.Context, fn func(tx Tx) error) error
	// Read returns a Tx-shaped view that runs each call on its own (no
	// transaction), for reads.
	Read() Tx
	// Ping checks the database is reachable (for /readyz).
	Ping(ctx context.Context) error
}

// Tx is everything a use case may read or write inside one transaction.
type Tx interface {
	UserStore
	RegistryStore
	PaymentStore
	TransparencyStore
	OCOPStore
}

// UserStore persists users, sessions and login throttling.
type UserStore interface {
	// CreateUser inserts u. Errors: Conflict (field phone) if the phone is taken.
	CreateUser(ctx context.Context, u *market.User) error
	// UserByPhone errors: NotFound.
	UserByPhone(ctx context.Context, phone string) (*market.User, error)
	// UserByID errors: NotFound.
	UserByID(ctx context.Context, id string) (*market.User, error)
	// CreateSession stores a session under the hash of its bearer token.
	CreateSession(ctx context.Context, tokenHash, userID string, expiresAt time.Time) error
	// UserBySession returns the user of an unexpired session. Errors: NotFound.
	UserBySession(ctx context.Context, tokenHash string, now time.Time) (*market.User, error)
	// DeleteSession removes a session (logout); deleting a missing one is not an error.
	DeleteSession(ctx context.Context, tokenHash string) error
	// Sweep deletes sessions that expired before now and login-attempt
	// windows that started before now minus keep.
	Sweep(ctx context.Context, now time.Time, keep time.Duration) (int64, error)
	// CountAttempt records one attempt under key in the fixed window starting
	// at window and returns the number of attempts in that window, including
	// this one. Shared in the database so every server instance sees it.
	CountAttempt(ctx context.Context, key string, window time.Time) (int, error)
}

// RegistryStore persists districts, markets and stalls.
type RegistryStore interface {
	// CreateDistrict errors: Conflict (field name) for a duplicate name in the province.
	CreateDistrict(ctx context.Context, d *market.District) error
	// DistrictByID errors: NotFound.
	DistrictByID(ctx context.Context, id string) (*market.District, error)
	ListDistricts(ctx context.Context, p Page) ([]market.District, error)
	// CreateMarket errors: Conflict (field name) for a duplicate name in the district.
	CreateMarket(ctx context.Context, m *market.Market) error
	// MarketByID errors: NotFound.
	MarketByID(ctx context.Context, id string) (*market.Market, error)
	ListMarkets(ctx context.Context, f MarketFilter) ([]market.Market, error)
	// CreateStall errors: Conflict (field stall_number) when the number is taken in the market.
	CreateStall(ctx context.Context, s *market.Stall) error
	// UpdateStall writes every mutable field of s. Errors: NotFound, Conflict (stall_number).
	UpdateStall(ctx context.Context, s *market.Stall) error
	// StallByID errors: NotFound. forUpdate locks the row until the transaction ends.
	StallByID(ctx context.Context, id string, forUpdate bool) (*market.Stall, error)
	ListStalls(ctx context.Context, f StallFilter) ([]market.Stall, error)
}

// Page is keyset pagination: items ordered by id (UUIDv7, so by creation
// time), strictly after After, at most Limit of them.
type Page struct {
	After string
	Limit int
}

// MarketFilter narrows ListMarkets.
type MarketFilter struct {
	Page
	DistrictID string
}

// StallFilter narrows ListStalls.
type StallFilter struct {
	Page
	MarketID   string
	DistrictID string
	OwnerID    string
	Status     market.StallStatus
}

// Clock returns the current time; injected so tests control it. Services
// read it once per command.
type Clock func() time.Time

// Config holds the use cases' tunables.
type Config struct {
	SessionTTL     time.Duration // bearer token lifetime
	LoginPerPhone  int           // attempts per phone per LoginWindow
	LoginPerIP     int           // attempts per client IP per LoginWindow
	LoginWindow    time.Duration
	Argon          ArgonParams
	PaymentTTL     time.Duration // how long a dynamic QR stays payable
	PublicURL      string        // external base URL, for provider callbacks and pay links
	BankProvider   string        // provider carrying bank_qr payments
	WalletProvider string        // provider carrying ewallet payments
}

// DefaultConfig is what production runs with.
func DefaultConfig() Config {
	return Config{
		SessionTTL:     30 * 24 * time.Hour,
		LoginPerPhone:  10,
		LoginPerIP:     50,
		LoginWindow:    15 * time.Minute,
		Argon:          DefaultArgon,
		PaymentTTL:     15 * time.Minute,
		PublicURL:      "http://localhost:8080",
		BankProvider:   provider.MockBank,
		WalletProvider: provider.MockWallet,
	}
}

// Service implements every use case.
type Service struct {
	store     Store
	now       Clock
	cfg       Config
	log       *slog.Logger
	providers map[string]provider.Provider
	hub       *Hub

	ocopMu sync.Mutex                // guards the first, lazy OCOP configuration
	ocopSt atomic.Pointer[ocopState] // stamp keys and scan settings (ConfigureOCOP)
	logSt  atomic.Pointer[logState]  // transparency log settings (UseTransparencyLog)
	images imageState                // product photo decoding and cache (ocopimages.go)
	lots   lotTraceCache             // lots' product, producer and certificates for verification (ocopverify.go)
}

// New wires a Service. A nil clock means time.Now; a nil logger discards.
func New(store Store, clock Clock, cfg Config, log *slog.Logger) *Service {
	if clock == nil {
		clock = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{store: store, now: func() time.Time { return clock().UTC() }, cfg: cfg, log: log,
		providers: map[string]provider.Provider{}}
	s.hub = newHub(s)
	return s
}

// UseProvider registers a payment provider under its Name.
func (s *Service) UseProvider(p provider.Provider) { s.providers[p.Name()] = p }

// Provider returns a registered provider. Errors: NotFound.
func (s *Service) Provider(name string) (provider.Provider, error) {
	p, ok := s.providers[name]
	if !ok {
		return nil, errs.E(errs.NotFound, "no such payment provider %q", name)
	}
	return p, nil
}

// Ping reports whether the database answers.
func (s *Service) Ping(ctx context.Context) error {
	if err := s.store.Ping(ctx); err != nil {
		return errs.Wrap(errs.Unavailable, err, "database unavailable")
	}
	return nil
}

// newID returns a UUIDv7: unique without coordination and ordered by time,
// which keeps B-tree inserts local and makes keyset pagination chronological.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

func (p *Page) normalize() {
	if p.Limit <= 0 || p.Limit > 200 {
		p.Limit = 50
	}
}
