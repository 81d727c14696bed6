package app

import (
	"context"
	"time"

	"github.com/market4/market4/internal/ocop"
	"github.com/market4/market4/pkg/money"
)

// Producer is an OCOP producer as the platform keeps it: the domain record
// plus the district whose staff manage it.
type Producer struct {
	ocop.Producer
	DistrictID string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Product is an OCOP product as stored. It has no stars: they are read
// from its certificates at an instant (see ProductView).
type Product struct {
	ocop.Product
	DistrictID string // the producer's, denormalised for scoping and filters
	// ProducerName is read with the product (joined), never written.
	ProducerName string
	// Search is ocop.Fold(name_vi + " " + name_en + " " + producer name),
	// maintained by the service whenever one of those names changes.
	Search    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Certificate is an OCOP certificate as stored.
type Certificate struct {
	ocop.Certificate
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Lot is a production lot as stored. Ref is the short public reference
// printed in non-GS1 links (/t/{ref}/{serial}); StampsIssued counts the
// stamps generated so far and never exceeds Quantity.
type Lot struct {
	ocop.Lot
	Ref          string
	DistrictID   string
	StampsIssued int
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Stamp is one traceability stamp as stored. The serial is its key
// (ocop.Stamp.ID repeats it); KeyID and Sig are the signature printed in
// the label's link, kept so that a label can be reprinted byte for byte.
type Stamp struct {
	ocop.Stamp
	KeyID       string
	Sig         []byte
	SoldStallID string
	CreatedAt   time.Time
	PrintedAt   time.Time
	ActivatedAt time.Time
	VoidedAt    time.Time
}

// StampTrace is everything the verification of one stamp needs: the
// stamp and its latest scans (newest first), read per scan by StampScans,
// and its lot, product, producer and the product's certificates, which
// the service caches briefly (lotTrace).
type StampTrace struct {
	Stamp        Stamp
	Lot          Lot
	Product      Product
	Producer     Producer
	Certificates []Certificate
	Images       []ProductImage // the product's photos (metadata), cover first
	Scans        []ocop.Scan
}

// ScanRecord is one scan to store: the serial scanned, the scan itself
// (hashed device, coarse province) and the verdict given.
type ScanRecord struct {
	Serial string
	ocop.Scan
	Verdict ocop.VerdictCode
}

// StallOffer is a product a stall sells, at the stall's price, with the
// names needed to show it (product, stall, market).
type StallOffer struct {
	StallID       string
	StallName     string
	StallNumber   string
	MarketID      string
	MarketName    string
	ProductID     string
	ProductNameVI string
	ProductNameEN string
	Price         money.Amount
	UpdatedAt     time.Time
}

// StallPrice is one line of a stall's price list.
type StallPrice struct {
	ProductID string
	Price     money.Amount
}

// ProductImage is the metadata of one product photo as stored: the photo
// (a JPEG re-encoded by the server, at most 1600 px) and its thumbnail
// (400 px), each with its size in bytes and SHA-256 (hex). The bytes
// themselves are read only by ProductImageBytes, never with a list.
type ProductImage struct {
	ID          string
	ProductID   string
	Position    int // 0 first; the first photo is the product's cover
	ContentType string
	Width       int
	Height      int
	Size        int
	SHA256      string
	ThumbWidth  int
	ThumbHeight int
	ThumbSize   int
	ThumbSHA256 string
	CreatedAt   time.Time
}

// StoredKey is the public half of a stamp key as remembered by the
// database (private halves stay in configuration).
type StoredKey struct {
	ocop.Key    // Private is always nil
	FirstSeenAt time.Time
}

// ProducerFilter narrows ListProducers.
type ProducerFilter struct {
	Page
	DistrictID string
}

// ProductFilter narrows ListProducts. Terms are folded words (ocop.Fold)
// that must all occur in the product's search key. Stars, when not 0,
// keeps products whose active certificate at At carries exactly that
// many stars.
type ProductFilter struct {
	Page
	ProducerID string
	DistrictID string
	MarketID   string // products listed on an active stall of this market
	Group      ocop.Group
	Terms      []string
	Stars      int
	At         time.Time
}

// LotFilter narrows ListLots.
type LotFilter struct {
	Page
	ProductID string
}

// StampFilter pages through a lot's stamps in serial order: strictly after
// After, at most Limit, optionally in one status.
type StampFilter struct {
	LotID  string
	After  string
	Limit  int
	Status ocop.StampStatus
}

// OfferFilter narrows ListOffers: by stall or by product; ActiveOnly keeps
// offers of active stalls (what shoppers may see).
type OfferFilter struct {
	StallID    string
	ProductID  string
	ActiveOnly bool
}

// OCOPStore persists OCOP producers, products, certificates, lots, stamps,
// scans, stamp keys, product photos and stall price lists. Errors are
// *errs.Error values.
type OCOPStore interface {
	// CreateProducer errors: Conflict (field tax_code) when the tax code is taken.
	CreateProducer(ctx context.Context, p *Producer) error
	// UpdateProducer writes every mutable field. Errors: NotFound, Conflict (tax_code).
	UpdateProducer(ctx context.Context, p *Producer) error
	// ProducerByID errors: NotFound. lock holds the row until the transaction ends.
	ProducerByID(ctx context.Context, id string, lock bool) (*Producer, error)
	ListProducers(ctx context.Context, f ProducerFilter) ([]Producer, error)

	// CreateProduct errors: Conflict (field gtin) when the GTIN is taken.
	CreateProduct(ctx context.Context, p *Product) error
	// UpdateProduct writes every mutable field. Errors: NotFound, Conflict (gtin).
	UpdateProduct(ctx context.Context, p *Product) error
	// ProductByID returns the product with its producer's name. Errors: NotFound.
	ProductByID(ctx context.Context, id string, lock bool) (*Product, error)
	// ListProducts pages through products ordered by id.
	ListProducts(ctx context.Context, f ProductFilter) ([]Product, error)

	// CreateCertificate errors: Conflict (field decision_number) when the
	// product already has a certificate with that decision number.
	CreateCertificate(ctx context.Context, c *Certificate) error
	// UpdateCertificateStatus errors: NotFound.
	UpdateCertificateStatus(ctx context.Context, id string, status ocop.CertStatus, at time.Time) error
	// CertificateByID errors: NotFound.
	CertificateByID(ctx context.Context, id string, lock bool) (*Certificate, error)
	// CertificatesOf returns the certificates of the given products, by
	// decision date (newest first); a product without any has no entry.
	CertificatesOf(ctx context.Context, productIDs ...string) (map[string][]Certificate, error)

	// CreateLot errors: Conflict (field code) when the product already has
	// a lot with that code; Conflict (field ref) on a reference clash.
	CreateLot(ctx context.Context, l *Lot) error
	// UpdateLot writes status, stamps_issued and updated_at. Errors: NotFound.
	UpdateLot(ctx context.Context, l *Lot) error
	// LotByID errors: NotFound.
	LotByID(ctx context.Context, id string, lock bool) (*Lot, error)
	ListLots(ctx context.Context, f LotFilter) ([]Lot, error)

	// InsertStamps inserts stamps, skipping any whose serial already exists,
	// and returns the serials it skipped (a clash of random serials, so
	// rare that the caller just draws new ones).
	InsertStamps(ctx context.Context, stamps []Stamp) (skipped []string, err error)
	// StampBySerial errors: NotFound.
	StampBySerial(ctx context.Context, serial string, lock bool) (*Stamp, error)
	// UpdateStamp writes status, the status timestamps and the sale. Errors: NotFound.
	UpdateStamp(ctx context.Context, s *Stamp) error
	// TransitionLotStamps moves every stamp of a lot in status from to
	// status to, stamping the matching *_at column with at; it returns how
	// many moved. The caller checks the lifecycle allows from → to.
	TransitionLotStamps(ctx context.Context, lotID string, from, to ocop.StampStatus, at time.Time) (int64, error)
	// ListStamps pages through a lot's stamps by serial.
	ListStamps(ctx context.Context, f StampFilter) ([]Stamp, error)
	// StampScans reads a stamp and up to maxScans of its latest scans
	// (newest first) in one query: the per-scan read of a verification.
	// Errors: NotFound.
	StampScans(ctx context.Context, serial string, maxScans int) (*Stamp, []ocop.Scan, error)
	// InsertScans stores scans in one statement.
	InsertScans(ctx context.Context, scans []ScanRecord) error
	// CountScans counts the scans of a stamp.
	CountScans(ctx context.Context, serial string) (int, error)

	// StampKeys lists every public stamp key ever used.
	StampKeys(ctx context.Context) ([]StoredKey, error)
	// SaveStampKey inserts a key if it is new; for a known key it only
	// ever sets revoked (revocation cannot be undone).
	SaveStampKey(ctx context.Context, k StoredKey) error

	// InsertProductImage stores a photo's metadata and bytes. Errors:
	// Conflict (field image) when the product already has a photo with the
	// same SHA-256.
	InsertProductImage(ctx context.Context, img *ProductImage, photo, thumb []byte) error
	// ProductImages returns the metadata (never the bytes) of the photos
	// of the given products, by position; a product without any has no entry.
	ProductImages(ctx context.Context, productIDs ...string) (map[string][]ProductImage, error)
	// ProductImageBytes returns one photo of a product with its bytes, the
	// thumbnail's when thumb. Errors: NotFound.
	ProductImageBytes(ctx context.Context, productID, imageID string, thumb bool) (*ProductImage, []byte, error)
	// DeleteProductImage removes a photo and its bytes. Errors: NotFound.
	DeleteProductImage(ctx context.Context, productID, imageID string) error
	// SetProductImagePositions gives each photo of ids the position of its
	// index; the caller passes every photo of the product.
	SetProductImagePositions(ctx context.Context, productID string, ids []string) error

	// ReplaceStallProducts makes the stall's price list exactly items.
	ReplaceStallProducts(ctx context.Context, stallID string, items []StallPrice, at time.Time) error
	// ListOffers lists stall offers with product, stall and market names.
	ListOffers(ctx context.Context, f OfferFilter) ([]StallOffer, error)
	// StallSells reports whether the stall lists the product.
	StallSells(ctx context.Context, stallID, productID string) (bool, error)
}
