package app

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/ocop"
)

// OCOP use cases: district staff (admins everywhere) keep the register of
// producers, products, certificates and lots of their district; anyone may
// read the catalogue. Stars are never stored: every view computes them
// with ocop.StarsAt at the service's clock, so an expired certificate stops
// showing stars the instant it expires.

// ocopErr converts the domain's validation errors into *errs.Error values
// (Invalid with the fields named, Conflict for lifecycle violations).
func ocopErr(err error) error {
	if err == nil {
		return nil
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return err
	}
	var fes ocop.FieldErrors
	if errors.As(err, &fes) {
		var fs errs.Fields
		for _, fe := range fes {
			fs.Add(fe.Field, fe.Msg)
		}
		out := fs.Err().(*errs.Error)
		out.Err = err
		return out
	}
	var fe *ocop.FieldError
	if errors.As(err, &fe) {
		code := errs.Invalid
		if errors.Is(err, ocop.ErrConflict) {
			code = errs.Conflict
		}
		return &errs.Error{Code: code, Message: fe.Field + " " + fe.Msg, Fields: []errs.FieldError{{Field: fe.Field, Message: fe.Msg}}, Err: err}
	}
	if errors.Is(err, ocop.ErrNoSigningKey) {
		return errs.Wrap(errs.Unavailable, err, "no stamp signing key is valid now; ask the operator to configure one")
	}
	return errs.Wrap(errs.Internal, err, "unexpected OCOP error")
}

// manageOCOP says whether the actor may change the OCOP records of a
// district: its staff and admins. Errors: Unauthenticated, Forbidden.
func manageOCOP(a market.Actor, districtID string) error {
	switch {
	case a.Role == "":
		return errs.E(errs.Unauthenticated, "log in to manage OCOP records")
	case !a.CanManageDistrict(districtID):
		return errs.E(errs.Forbidden, "only staff of the district (or an administrator) manage its OCOP records")
	}
	return nil
}

// parseDay reads a calendar day "YYYY-MM-DD" as the legal date in ICT;
// "" is the zero time.
func parseDay(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, errs.Field(field, "must be a date YYYY-MM-DD")
	}
	return ocop.Date(t.Year(), t.Month(), t.Day()), nil
}

// today returns midnight ICT of the current day.
func today(now time.Time) time.Time {
	y, m, d := now.In(ocop.ICT).Date()
	return ocop.Date(y, m, d)
}

// ---------------------------------------------------------------------------
// Producers

// ProducerInput carries what staff set on a producer. On update an empty
// field keeps its value; DistrictID cannot change.
type ProducerInput struct {
	DistrictID   string // staff: defaults to their own district
	Name         string
	Kind         string
	TaxCode      string
	Commune      string
	ProvinceCode string // default: the district's province
}

// CreateProducer registers a producer in a district.
// Errors: Unauthenticated, Forbidden (another district), Invalid (any
// field; district_id when the district does not exist), Conflict (tax_code).
func (s *Service) CreateProducer(ctx context.Context, a market.Actor, in ProducerInput) (*Producer, error) {
	switch a.Role {
	case market.RoleStaff:
		if in.DistrictID == "" {
			in.DistrictID = a.DistrictID
		}
	case market.RoleAdmin:
		if in.DistrictID == "" {
			return nil, errs.Field("district_id", "is required")
		}
	}
	if err := manageOCOP(a, in.DistrictID); err != nil {
		return nil, err
	}
	now := s.now()
	p := Producer{Producer: ocop.Producer{ID: newID(), Name: strings.TrimSpace(in.Name), Kind: ocop.ProducerKind(strings.TrimSpace(in.Kind)),
		TaxCode: strings.TrimSpace(in.TaxCode), Commune: strings.TrimSpace(in.Commune), ProvinceCode: strings.TrimSpace(in.ProvinceCode)},
		DistrictID: in.DistrictID, CreatedAt: now, UpdatedAt: now}
	err := s.store.InTx(ctx, func(tx Tx) error {
		d, err := tx.DistrictByID(ctx, p.DistrictID)
		if errs.Is(err, errs.NotFound) {
			return errs.Field("district_id", "no such district")
		} else if err != nil {
			return err
		}
		if p.ProvinceCode == "" {
			p.ProvinceCode = ProvinceCodeOf(d.Province)
		}
		if err := p.Validate(); err != nil {
			return ocopErr(err)
		}
		return tx.CreateProducer(ctx, &p)
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// UpdateProducer changes a producer; a new name is folded into the search
// key of each of its products.
// Errors: NotFound, Unauthenticated, Forbidden, Invalid, Conflict (tax_code).
func (s *Service) UpdateProducer(ctx context.Context, a market.Actor, id string, in ProducerInput) (*Producer, error) {
	defer s.forgetLotTraces() // verification shows the change at once (lotTrace)
	var out *Producer
	err := s.store.InTx(ctx, func(tx Tx) error {
		p, err := tx.ProducerByID(ctx, id, true)
		if err != nil {
			return err
		}
		if err := manageOCOP(a, p.DistrictID); err != nil {
			return err
		}
		if in.DistrictID != "" && in.DistrictID != p.DistrictID {
			return errs.Field("district_id", "a producer cannot move to another district")
		}
		oldName := p.Name
		set := func(dst *string, v string) {
			if v = strings.TrimSpace(v); v != "" {
				*dst = v
			}
		}
		set(&p.Name, in.Name)
		set((*string)(&p.Kind), in.Kind)
		set(&p.TaxCode, in.TaxCode)
		set(&p.Commune, in.Commune)
		set(&p.ProvinceCode, in.ProvinceCode)
		if err := p.Validate(); err != nil {
			return ocopErr(err)
		}
		p.UpdatedAt = s.now()
		if err := tx.UpdateProducer(ctx, p); err != nil {
			return err
		}
		if p.Name != oldName {
			if err := refreshSearch(ctx, tx, p, p.UpdatedAt); err != nil {
				return err
			}
		}
		out = p
		return nil
	})
	return out, err
}

// refreshSearch recomputes the search key of every product of p.
func refreshSearch(ctx context.Context, tx Tx, p *Producer, now time.Time) error {
	f := ProductFilter{ProducerID: p.ID, Page: Page{Limit: 200}}
	for {
		ps, err := tx.ListProducts(ctx, f)
		if err != nil {
			return err
		}
		for i := range ps {
			ps[i].Search = searchKey(ps[i].Product, p.Name)
			ps[i].UpdatedAt = now
			if err := tx.UpdateProduct(ctx, &ps[i]); err != nil {
				return err
			}
		}
		if len(ps) < f.Limit {
			return nil
		}
		f.After = ps[len(ps)-1].ID
	}
}

// publicProducer hides what only the managing staff see: the tax code,
// which for a household business may be its owner's personal number.
func publicProducer(a market.Actor, p *Producer) *Producer {
	if !a.CanManageDistrict(p.DistrictID) {
		p.TaxCode = ""
	}
	return p
}

// Producer returns a producer; the tax code only for its managers.
// Errors: NotFound.
func (s *Service) Producer(ctx context.Context, a market.Actor, id string) (*Producer, error) {
	p, err := s.store.Read().ProducerByID(ctx, id, false)
	if err != nil {
		return nil, err
	}
	return publicProducer(a, p), nil
}

// ListProducers lists producers, optionally of one district; tax codes
// only where the actor manages the district.
func (s *Service) ListProducers(ctx context.Context, a market.Actor, f ProducerFilter) ([]Producer, error) {
	f.normalize()
	ps, err := s.store.Read().ListProducers(ctx, f)
	if err != nil {
		return nil, err
	}
	for i := range ps {
		publicProducer(a, &ps[i])
	}
	return ps, nil
}

// ---------------------------------------------------------------------------
// Products

// ProductInput carries what staff set on a product. On update a nil field
// keeps its value; ProducerID cannot change.
type ProductInput struct {
	ProducerID    string
	NameVI        *string
	NameEN        *string
	Group         *string
	GTIN          *string
	Story         *string
	Standards     *[]string
	ShelfLifeDays *int
}

func (in ProductInput) apply(p *ocop.Product) {
	if in.NameVI != nil {
		p.NameVI = *in.NameVI
	}
	if in.NameEN != nil {
		p.NameEN = *in.NameEN
	}
	if in.Group != nil {
		p.Group = ocop.Group(strings.TrimSpace(*in.Group))
	}
	if in.GTIN != nil {
		p.GTIN = *in.GTIN
	}
	if in.Story != nil {
		p.Story = strings.TrimSpace(*in.Story)
	}
	if in.Standards != nil {
		p.Standards = *in.Standards
	}
	if in.ShelfLifeDays != nil {
		p.ShelfLifeDays = *in.ShelfLifeDays
	}
}

// searchKey is the folded text the catalogue searches: both names and the
// producer's name, so "tra sen" and "htx sen hong" both find "Trà sen".
func searchKey(p ocop.Product, producerName string) string {
	return ocop.Fold(p.NameVI + " " + p.NameEN + " " + producerName)
}

// CreateProduct adds a product to a producer.
// Errors: Unauthenticated, Forbidden, Invalid (any field; producer_id when
// the producer does not exist), Conflict (gtin).
func (s *Service) CreateProduct(ctx context.Context, a market.Actor, in ProductInput) (*ProductView, error) {
	if a.Role == "" {
		return nil, errs.E(errs.Unauthenticated, "log in to manage OCOP records")
	}
	now := s.now()
	p := Product{Product: ocop.Product{ID: newID(), ProducerID: in.ProducerID, Standards: []string{}}, CreatedAt: now, UpdatedAt: now}
	in.apply(&p.Product)
	p.Product = p.Normalize()
	err := s.store.InTx(ctx, func(tx Tx) error {
		pr, err := tx.ProducerByID(ctx, p.ProducerID, false)
		if errs.Is(err, errs.NotFound) {
			return errs.Field("producer_id", "no such producer")
		} else if err != nil {
			return err
		}
		if err := manageOCOP(a, pr.DistrictID); err != nil {
			return err
		}
		if err := p.Validate(); err != nil {
			return ocopErr(err)
		}
		p.DistrictID, p.ProducerName = pr.DistrictID, pr.Name
		p.Search = searchKey(p.Product, pr.Name)
		return tx.CreateProduct(ctx, &p)
	})
	if err != nil {
		return nil, err
	}
	v := productView(p, nil, now)
	return &v, nil
}

// UpdateProduct changes a product. Its GTIN cannot change once stamps were
// issued for it: printed GS1 links carry (and sign) the GTIN.
// Errors: NotFound, Unauthenticated, Forbidden, Invalid, Conflict (gtin).
func (s *Service) UpdateProduct(ctx context.Context, a market.Actor, id string, in ProductInput) (*ProductView, error) {
	defer s.forgetLotTraces() // verification shows the change at once (lotTrace)
	var out Product
	var certs []Certificate
	var images []ProductImage
	now := s.now()
	err := s.store.InTx(ctx, func(tx Tx) error {
		p, err := tx.ProductByID(ctx, id, true)
		if err != nil {
			return err
		}
		if err := manageOCOP(a, p.DistrictID); err != nil {
			return err
		}
		if in.ProducerID != "" && in.ProducerID != p.ProducerID {
			return errs.Field("producer_id", "a product cannot move to another producer")
		}
		oldGTIN := p.GTIN
		in.apply(&p.Product)
		p.Product = p.Normalize()
		if err := p.Validate(); err != nil {
			return ocopErr(err)
		}
		if p.GTIN != oldGTIN {
			issued, err := stampsIssued(ctx, tx, p.ID)
			if err != nil {
				return err
			}
			if issued {
				return &errs.Error{Code: errs.Conflict, Message: "gtin cannot change: stamps were issued with the current one",
					Fields: []errs.FieldError{{Field: "gtin", Message: "cannot change once stamps were issued"}}}
			}
		}
		p.Search = searchKey(p.Product, p.ProducerName)
		p.UpdatedAt = now
		if err := tx.UpdateProduct(ctx, p); err != nil {
			return err
		}
		cs, err := tx.CertificatesOf(ctx, p.ID)
		if err != nil {
			return err
		}
		imgs, err := tx.ProductImages(ctx, p.ID)
		if err != nil {
			return err
		}
		out, certs, images = *p, cs[p.ID], imgs[p.ID]
		return nil
	})
	if err != nil {
		return nil, err
	}
	v := productView(out, certs, now)
	v.Images = images
	return &v, nil
}

// stampsIssued reports whether any lot of the product has stamps.
func stampsIssued(ctx context.Context, tx Tx, productID string) (bool, error) {
	f := LotFilter{ProductID: productID, Page: Page{Limit: 200}}
	for {
		lots, err := tx.ListLots(ctx, f)
		if err != nil {
			return false, err
		}
		for _, l := range lots {
			if l.StampsIssued > 0 {
				return true, nil
			}
		}
		if len(lots) < f.Limit {
			return false, nil
		}
		f.After = lots[len(lots)-1].ID
	}
}

// CertificateView is a certificate with its effective state at the
// service's clock (validity itself is ValidFrom/ValidUntil).
type CertificateView struct {
	Certificate
	State ocop.CertState
}

// ProductView is a product as shown, with its stars at At.
type ProductView struct {
	Product
	At           time.Time
	Certificates []CertificateView // newest decision first
	// Stars is the rating of the active certificate at At, 0 when none;
	// Active points into Certificates, nil when none.
	Stars  int
	Active *CertificateView
	// CertState summarises certification at At (ocop.CertStateAt): ""
	// when never certified.
	CertState ocop.CertState
	// Offers are the active stalls selling the product (detail view only).
	Offers []StallOffer
	// Images are the product's photos (metadata only), cover first.
	Images []ProductImage
}

// productView computes a product's stars at now from its certificates.
func productView(p Product, certs []Certificate, now time.Time) ProductView {
	v := ProductView{Product: p, At: now, Certificates: make([]CertificateView, len(certs))}
	dom := make([]ocop.Certificate, len(certs))
	for i, c := range certs {
		dom[i] = c.Certificate
		v.Certificates[i] = CertificateView{Certificate: c, State: c.StatusAt(now)}
	}
	stars, active, ok := ocop.StarsAt(dom, now)
	if ok {
		v.Stars = stars
		for i := range dom {
			if &dom[i] == active {
				v.Active = &v.Certificates[i]
			}
		}
	}
	v.CertState = ocop.CertStateAt(dom, now)
	return v
}

// Product returns one product with its stars, certificates and the active
// stalls selling it; public. Errors: NotFound.
func (s *Service) Product(ctx context.Context, id string) (*ProductView, error) {
	now := s.now()
	r := s.store.Read()
	p, err := r.ProductByID(ctx, id, false)
	if err != nil {
		return nil, err
	}
	certs, err := r.CertificatesOf(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	offers, err := r.ListOffers(ctx, OfferFilter{ProductID: p.ID, ActiveOnly: true})
	if err != nil {
		return nil, err
	}
	imgs, err := r.ProductImages(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	v := productView(*p, certs[p.ID], now)
	v.Offers, v.Images = offers, imgs[p.ID]
	return &v, nil
}

// CatalogueQuery is a search of the public OCOP catalogue.
type CatalogueQuery struct {
	Page
	Text       string // matched without regard to case or diacritics
	Group      string
	Stars      int // 0, or exactly 3, 4 or 5 stars now
	DistrictID string
	MarketID   string
	ProducerID string
}

// MaxQueryTerms bounds the words of a catalogue search (one LIKE each).
const MaxQueryTerms = 8

// ListProducts searches the catalogue; public. "tra sen", "TRÀ SEN" and
// "Trà sen" all find "Trà sen". Errors: Invalid (q, group, stars).
func (s *Service) ListProducts(ctx context.Context, q CatalogueQuery) ([]ProductView, error) {
	q.normalize()
	var fs errs.Fields
	if utf8.RuneCountInString(q.Text) > 100 {
		fs.Add("q", "must be at most 100 characters")
	}
	terms := strings.Fields(ocop.Fold(q.Text))
	if len(terms) > MaxQueryTerms {
		fs.Add("q", "must have at most 8 words")
	}
	if q.Group != "" && !ocop.Group(q.Group).Valid() {
		fs.Add("group", "must be one of food, beverage, herbal, textile_garment, souvenir_furniture_decor, rural_tourism")
	}
	if q.Stars != 0 && (q.Stars < ocop.MinStars || q.Stars > ocop.MaxStars) {
		fs.Add("stars", "must be 3, 4 or 5")
	}
	if err := fs.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	r := s.store.Read()
	ps, err := r.ListProducts(ctx, ProductFilter{Page: q.Page, ProducerID: q.ProducerID, DistrictID: q.DistrictID,
		MarketID: q.MarketID, Group: ocop.Group(q.Group), Terms: terms, Stars: q.Stars, At: now})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(ps))
	for i := range ps {
		ids[i] = ps[i].ID
	}
	certs, err := r.CertificatesOf(ctx, ids...)
	if err != nil {
		return nil, err
	}
	// One query for the photos of the whole page, metadata only.
	imgs, err := r.ProductImages(ctx, ids...)
	if err != nil {
		return nil, err
	}
	out := make([]ProductView, len(ps))
	for i := range ps {
		out[i] = productView(ps[i], certs[ps[i].ID], now)
		out[i].Images = imgs[ps[i].ID]
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// Certificates

// CertificateInput carries an OCOP certification decision.
type CertificateInput struct {
	Stars          int
	Score          *int
	DecisionNumber string
	IssuingBody    string
	Level          string
	DecisionDate   string // YYYY-MM-DD
}

// AddCertificate records a certification decision for a product. It is
// valid 36 months from its decision day; stars follow from it (StarsAt).
// Errors: NotFound (product), Unauthenticated, Forbidden, Invalid (any
// field; decision_date in the future), Conflict (decision_number).
func (s *Service) AddCertificate(ctx context.Context, a market.Actor, productID string, in CertificateInput) (*CertificateView, error) {
	defer s.forgetLotTraces() // verification shows the change at once (lotTrace)
	if a.Role == "" {
		return nil, errs.E(errs.Unauthenticated, "log in to manage OCOP records")
	}
	date, err := parseDay("decision_date", in.DecisionDate)
	if err != nil {
		return nil, err
	}
	now := s.now()
	c := Certificate{Certificate: ocop.Certificate{ID: newID(), ProductID: productID, Stars: in.Stars, Score: in.Score,
		DecisionNumber: strings.TrimSpace(in.DecisionNumber), IssuingBody: strings.TrimSpace(in.IssuingBody),
		Level: ocop.Level(strings.TrimSpace(in.Level)), DecisionDate: date, Status: ocop.CertActive}, CreatedAt: now, UpdatedAt: now}
	if err := c.Validate(); err != nil {
		return nil, ocopErr(err)
	}
	if date.After(today(now)) {
		return nil, errs.Field("decision_date", "must not be in the future")
	}
	err = s.store.InTx(ctx, func(tx Tx) error {
		p, err := tx.ProductByID(ctx, productID, false)
		if err != nil {
			return err
		}
		if err := manageOCOP(a, p.DistrictID); err != nil {
			return err
		}
		return tx.CreateCertificate(ctx, &c)
	})
	if err != nil {
		return nil, err
	}
	return &CertificateView{Certificate: c, State: c.StatusAt(now)}, nil
}

// SetCertificateStatus records that a certificate was revoked by its
// issuing body or superseded by a re-evaluation; both are final.
// Errors: NotFound, Unauthenticated, Forbidden, Invalid (status), Conflict
// (already revoked or superseded).
func (s *Service) SetCertificateStatus(ctx context.Context, a market.Actor, id string, status string) (*CertificateView, error) {
	defer s.forgetLotTraces() // verification shows the change at once (lotTrace)
	to := ocop.CertStatus(status)
	if to != ocop.CertRevoked && to != ocop.CertSuperseded {
		return nil, errs.Field("status", "must be revoked or superseded")
	}
	now := s.now()
	var out *Certificate
	err := s.store.InTx(ctx, func(tx Tx) error {
		c, err := tx.CertificateByID(ctx, id, true)
		if err != nil {
			return err
		}
		p, err := tx.ProductByID(ctx, c.ProductID, false)
		if err != nil {
			return err
		}
		if err := manageOCOP(a, p.DistrictID); err != nil {
			return err
		}
		out = c
		switch c.Status {
		case to:
			return nil
		case ocop.CertActive:
		default:
			return &errs.Error{Code: errs.Conflict, Message: "the certificate is already " + string(c.Status),
				Fields: []errs.FieldError{{Field: "status", Message: "is already " + string(c.Status)}}}
		}
		c.Status, c.UpdatedAt = to, now
		return tx.UpdateCertificateStatus(ctx, c.ID, to, now)
	})
	if err != nil {
		return nil, err
	}
	return &CertificateView{Certificate: *out, State: out.StatusAt(now)}, nil
}

// Certificates lists a product's certificates, newest first; public.
// Errors: NotFound (product).
func (s *Service) Certificates(ctx context.Context, productID string) ([]CertificateView, error) {
	v, err := s.Product(ctx, productID)
	if err != nil {
		return nil, err
	}
	return v.Certificates, nil
}

// ---------------------------------------------------------------------------
// Lots

// LotInput carries a production lot.
type LotInput struct {
	Code           string
	ProductionDate string // YYYY-MM-DD
	ExpiryDate     string // YYYY-MM-DD; "" derives it from the product's shelf life
	Quantity       int
}

// CreateLot records a production lot of a product. Its public reference
// (for non-GS1 stamp links) is random, like stamp serials.
// Errors: NotFound (product), Unauthenticated, Forbidden, Invalid (any
// field; production_date in the future), Conflict (code).
func (s *Service) CreateLot(ctx context.Context, a market.Actor, productID string, in LotInput) (*Lot, error) {
	if a.Role == "" {
		return nil, errs.E(errs.Unauthenticated, "log in to manage OCOP records")
	}
	var fs errs.Fields
	prod, err := parseDay("production_date", in.ProductionDate)
	if err != nil {
		fs = append(fs, err.(*errs.Error).Fields...)
	}
	exp, err := parseDay("expiry_date", in.ExpiryDate)
	if err != nil {
		fs = append(fs, err.(*errs.Error).Fields...)
	}
	if err := fs.Err(); err != nil {
		return nil, err
	}
	ref, err := ocop.NewSerial(randReader, ocop.SerialMinLen)
	if err != nil {
		return nil, ocopErr(err)
	}
	now := s.now()
	l := Lot{Lot: ocop.Lot{ID: newID(), ProductID: productID, Code: strings.TrimSpace(in.Code), ProductionDate: prod,
		ExpiryDate: exp, Quantity: in.Quantity, Status: ocop.LotActive}, Ref: ref, CreatedAt: now, UpdatedAt: now}
	err = s.store.InTx(ctx, func(tx Tx) error {
		p, err := tx.ProductByID(ctx, productID, false)
		if err != nil {
			return err
		}
		if err := manageOCOP(a, p.DistrictID); err != nil {
			return err
		}
		l.DistrictID = p.DistrictID
		if l.ExpiryDate.IsZero() {
			l.ExpiryDate = ocop.DefaultExpiry(l.ProductionDate, p.ShelfLifeDays)
		}
		if err := l.Validate(); err != nil {
			return ocopErr(err)
		}
		if l.ProductionDate.After(today(now)) {
			return errs.Field("production_date", "must not be in the future")
		}
		return tx.CreateLot(ctx, &l)
	})
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// lotForManager reads a lot the actor manages. Errors: NotFound,
// Unauthenticated, Forbidden.
func lotForManager(ctx context.Context, tx Tx, a market.Actor, id string, lock bool) (*Lot, error) {
	l, err := tx.LotByID(ctx, id, lock)
	if err != nil {
		return nil, err
	}
	if err := manageOCOP(a, l.DistrictID); err != nil {
		return nil, err
	}
	return l, nil
}

// Lot returns a lot to the staff managing it.
// Errors: NotFound, Unauthenticated, Forbidden.
func (s *Service) Lot(ctx context.Context, a market.Actor, id string) (*Lot, error) {
	return lotForManager(ctx, s.store.Read(), a, id, false)
}

// ListLots lists a product's lots to the staff managing it.
// Errors: NotFound (product), Unauthenticated, Forbidden.
func (s *Service) ListLots(ctx context.Context, a market.Actor, productID string, p Page) ([]Lot, error) {
	p.normalize()
	r := s.store.Read()
	prod, err := r.ProductByID(ctx, productID, false)
	if err != nil {
		return nil, err
	}
	if err := manageOCOP(a, prod.DistrictID); err != nil {
		return nil, err
	}
	return r.ListLots(ctx, LotFilter{Page: p, ProductID: productID})
}

// SetLotStatus pauses (on_hold), resumes (active) or recalls a lot. A
// recall is final and turns the verdict of every stamp of the lot into
// "recalled" at once (Verdict reads the lot's status on each scan).
// Errors: NotFound, Unauthenticated, Forbidden, Invalid (status),
// Conflict (transition not allowed, e.g. out of recalled).
func (s *Service) SetLotStatus(ctx context.Context, a market.Actor, id string, status string) (*Lot, error) {
	defer s.forgetLotTraces() // verification shows the change at once (lotTrace)
	to := ocop.LotStatus(status)
	if !to.Valid() {
		return nil, errs.Field("status", "must be one of active, on_hold, recalled")
	}
	var out *Lot
	err := s.store.InTx(ctx, func(tx Tx) error {
		l, err := lotForManager(ctx, tx, a, id, true)
		if err != nil {
			return err
		}
		out = l
		if l.Status == to {
			return nil
		}
		if !ocop.CanTransitionLot(l.Status, to) {
			return &errs.Error{Code: errs.Conflict, Message: "a lot cannot go from " + string(l.Status) + " to " + string(to),
				Fields: []errs.FieldError{{Field: "status", Message: "cannot go from " + string(l.Status) + " to " + string(to)}}}
		}
		l.Status, l.UpdatedAt = to, s.now()
		return tx.UpdateLot(ctx, l)
	})
	return out, err
}
