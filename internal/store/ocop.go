package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/ocop"
	"github.com/market4/market4/pkg/money"
)

var _ app.OCOPStore = (*repo)(nil)

// civilDate stores a calendar day (certificate decision, production and
// expiry dates) as SQL DATE, written 'YYYY-MM-DD' as read in ICT. It reads
// back whatever the driver hands over (a time at UTC midnight from
// PostgreSQL or SQLite's parsed DATE, or the raw text) as ocop.Date of
// that day. The zero value is NULL.
type civilDate struct{ t time.Time }

func dateOf(t time.Time) civilDate { return civilDate{t} }

// Value implements driver.Valuer.
func (d civilDate) Value() (driver.Value, error) {
	if d.t.IsZero() {
		return nil, nil
	}
	return d.t.In(ocop.ICT).Format(time.DateOnly), nil
}

// Scan implements sql.Scanner.
func (d *civilDate) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		d.t = time.Time{}
	case time.Time:
		d.t = ocop.Date(x.Year(), x.Month(), x.Day())
	case string:
		return d.parse(x)
	case []byte:
		return d.parse(string(x))
	default:
		return fmt.Errorf("store: cannot read %T as a date", v)
	}
	return nil
}

func (d *civilDate) parse(s string) error {
	if len(s) < 10 {
		return fmt.Errorf("store: %q is not a date", s)
	}
	t, err := time.Parse(time.DateOnly, s[:10])
	if err != nil {
		return fmt.Errorf("store: %q is not a date: %w", s, err)
	}
	d.t = ocop.Date(t.Year(), t.Month(), t.Day())
	return nil
}

func utcPtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func fromPtr(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func fromNull(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// --- producers -------------------------------------------------------------

type producerRow struct {
	ID           string `gorm:"primaryKey"`
	DistrictID   string
	Name         string
	Kind         string
	TaxCode      *string
	Commune      string
	ProvinceCode string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (producerRow) TableName() string { return "producers" }

func toProducerRow(p *app.Producer) producerRow {
	return producerRow{ID: p.ID, DistrictID: p.DistrictID, Name: p.Name, Kind: string(p.Kind), TaxCode: nullable(p.TaxCode),
		Commune: p.Commune, ProvinceCode: p.ProvinceCode, CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
}

func (r producerRow) toProducer() app.Producer {
	return app.Producer{Producer: ocop.Producer{ID: r.ID, Name: r.Name, Kind: ocop.ProducerKind(r.Kind), TaxCode: deref(r.TaxCode),
		Commune: r.Commune, ProvinceCode: r.ProvinceCode}, DistrictID: r.DistrictID, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func (r *repo) CreateProducer(ctx context.Context, p *app.Producer) error {
	row := toProducerRow(p)
	return translate(r.q(ctx).Create(&row).Error)
}

func (r *repo) UpdateProducer(ctx context.Context, p *app.Producer) error {
	row := toProducerRow(p)
	res := r.q(ctx).Model(&producerRow{}).Where("id = ?", p.ID).Updates(map[string]any{
		"name": row.Name, "kind": row.Kind, "tax_code": row.TaxCode, "commune": row.Commune,
		"province_code": row.ProvinceCode, "updated_at": row.UpdatedAt,
	})
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return errs.E(errs.NotFound, "no such producer")
	}
	return nil
}

func (r *repo) ProducerByID(ctx context.Context, id string, lock bool) (*app.Producer, error) {
	var row producerRow
	if err := r.forUpdate(r.q(ctx), lock).Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, notFound(err, "producer")
	}
	p := row.toProducer()
	return &p, nil
}

func (r *repo) ListProducers(ctx context.Context, f app.ProducerFilter) ([]app.Producer, error) {
	db := r.q(ctx)
	if f.DistrictID != "" {
		db = db.Where("district_id = ?", f.DistrictID)
	}
	var rows []producerRow
	if err := page(db, f.Page).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]app.Producer, len(rows))
	for i, row := range rows {
		out[i] = row.toProducer()
	}
	return out, nil
}

// --- products --------------------------------------------------------------

type productRow struct {
	ID            string `gorm:"primaryKey"`
	ProducerID    string
	DistrictID    string
	NameVI        string `gorm:"column:name_vi"`
	NameEN        string `gorm:"column:name_en"`
	ProductGroup  string
	GTIN          *string `gorm:"column:gtin"`
	Story         string
	Standards     string
	ShelfLifeDays int
	Search        string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	ProducerName  string `gorm:"->;column:producer_name"` // read only, joined
}

func (productRow) TableName() string { return "products" }

func toProductRow(p *app.Product) productRow {
	std := p.Standards
	if std == nil {
		std = []string{}
	}
	b, _ := json.Marshal(std)
	return productRow{ID: p.ID, ProducerID: p.ProducerID, DistrictID: p.DistrictID, NameVI: p.NameVI, NameEN: p.NameEN,
		ProductGroup: string(p.Group), GTIN: nullable(p.GTIN), Story: p.Story, Standards: string(b),
		ShelfLifeDays: p.ShelfLifeDays, Search: p.Search, CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
}

func (r productRow) toProduct() app.Product {
	var std []string
	_ = json.Unmarshal([]byte(r.Standards), &std)
	if std == nil {
		std = []string{}
	}
	return app.Product{Product: ocop.Product{ID: r.ID, ProducerID: r.ProducerID, NameVI: r.NameVI, NameEN: r.NameEN,
		Group: ocop.Group(r.ProductGroup), GTIN: deref(r.GTIN), Story: r.Story, Standards: std, ShelfLifeDays: r.ShelfLifeDays},
		DistrictID: r.DistrictID, ProducerName: r.ProducerName, Search: r.Search, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func (r *repo) CreateProduct(ctx context.Context, p *app.Product) error {
	row := toProductRow(p)
	return translate(r.q(ctx).Create(&row).Error)
}

func (r *repo) UpdateProduct(ctx context.Context, p *app.Product) error {
	row := toProductRow(p)
	res := r.q(ctx).Model(&productRow{}).Where("id = ?", p.ID).Updates(map[string]any{
		"name_vi": row.NameVI, "name_en": row.NameEN, "product_group": row.ProductGroup, "gtin": row.GTIN,
		"story": row.Story, "standards": row.Standards, "shelf_life_days": row.ShelfLifeDays, "search": row.Search,
		"updated_at": row.UpdatedAt,
	})
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return errs.E(errs.NotFound, "no such product")
	}
	return nil
}

// products selects products with their producer's name.
func (r *repo) products(ctx context.Context) *gorm.DB {
	return r.q(ctx).Table("products AS p").Select("p.*, pr.name AS producer_name").
		Joins("JOIN producers pr ON pr.id = p.producer_id")
}

func (r *repo) ProductByID(ctx context.Context, id string, lock bool) (*app.Product, error) {
	var row productRow
	db := r.products(ctx).Where("p.id = ?", id)
	if lock && r.dialect == Postgres {
		db = db.Clauses(clause.Locking{Strength: "UPDATE", Table: clause.Table{Name: "p"}})
	}
	if err := db.Take(&row).Error; err != nil {
		return nil, notFound(err, "product")
	}
	p := row.toProduct()
	return &p, nil
}

// likeEscaper escapes LIKE wildcards in a search term (ESCAPE '\').
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func (r *repo) ListProducts(ctx context.Context, f app.ProductFilter) ([]app.Product, error) {
	db := r.products(ctx)
	if f.ProducerID != "" {
		db = db.Where("p.producer_id = ?", f.ProducerID)
	}
	if f.DistrictID != "" {
		db = db.Where("p.district_id = ?", f.DistrictID)
	}
	if f.Group != "" {
		db = db.Where("p.product_group = ?", string(f.Group))
	}
	for _, t := range f.Terms {
		db = db.Where(`p.search LIKE ? ESCAPE '\'`, "%"+likeEscaper.Replace(t)+"%")
	}
	if f.MarketID != "" {
		db = db.Where(`EXISTS (SELECT 1 FROM stall_products sp JOIN stalls s ON s.id = sp.stall_id
			WHERE sp.product_id = p.id AND s.market_id = ? AND s.status = 'active')`, f.MarketID)
	}
	if f.Stars != 0 {
		// The certificate StarsAt picks: active at At, latest decision day,
		// then more stars, then decision number (ocop.newerCert).
		at := f.At.UTC()
		db = db.Where(`(SELECT c.stars FROM certificates c
			WHERE c.product_id = p.id AND c.status = 'active' AND c.valid_from <= ? AND c.valid_until > ?
			ORDER BY c.decision_date DESC, c.stars DESC, c.decision_number DESC LIMIT 1) = ?`, at, at, f.Stars)
	}
	if f.After != "" {
		db = db.Where("p.id > ?", f.After)
	}
	var rows []productRow
	if err := db.Order("p.id").Limit(f.Limit).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]app.Product, len(rows))
	for i, row := range rows {
		out[i] = row.toProduct()
	}
	return out, nil
}

// --- certificates ----------------------------------------------------------

type certificateRow struct {
	ID             string `gorm:"primaryKey"`
	ProductID      string
	Stars          int
	Score          *int
	DecisionNumber string
	IssuingBody    string
	Level          string
	DecisionDate   civilDate
	ValidFrom      time.Time
	ValidUntil     time.Time
	Status         string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (certificateRow) TableName() string { return "certificates" }

func (r certificateRow) toCertificate() app.Certificate {
	return app.Certificate{Certificate: ocop.Certificate{ID: r.ID, ProductID: r.ProductID, Stars: r.Stars, Score: r.Score,
		DecisionNumber: r.DecisionNumber, IssuingBody: r.IssuingBody, Level: ocop.Level(r.Level), DecisionDate: r.DecisionDate.t,
		Status: ocop.CertStatus(r.Status)}, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func (r *repo) CreateCertificate(ctx context.Context, c *app.Certificate) error {
	row := certificateRow{ID: c.ID, ProductID: c.ProductID, Stars: c.Stars, Score: c.Score, DecisionNumber: c.DecisionNumber,
		IssuingBody: c.IssuingBody, Level: string(c.Level), DecisionDate: dateOf(c.DecisionDate),
		ValidFrom: c.ValidFrom().UTC(), ValidUntil: c.ValidUntil().UTC(), Status: string(c.Status),
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
	return translate(r.q(ctx).Create(&row).Error)
}

func (r *repo) UpdateCertificateStatus(ctx context.Context, id string, status ocop.CertStatus, at time.Time) error {
	res := r.q(ctx).Model(&certificateRow{}).Where("id = ?", id).Updates(map[string]any{"status": string(status), "updated_at": at.UTC()})
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return errs.E(errs.NotFound, "no such certificate")
	}
	return nil
}

func (r *repo) CertificateByID(ctx context.Context, id string, lock bool) (*app.Certificate, error) {
	var row certificateRow
	if err := r.forUpdate(r.q(ctx), lock).Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, notFound(err, "certificate")
	}
	c := row.toCertificate()
	return &c, nil
}

func (r *repo) CertificatesOf(ctx context.Context, productIDs ...string) (map[string][]app.Certificate, error) {
	out := make(map[string][]app.Certificate, len(productIDs))
	if len(productIDs) == 0 {
		return out, nil
	}
	var rows []certificateRow
	err := r.q(ctx).Where("product_id IN ?", productIDs).Order("decision_date DESC, stars DESC, decision_number DESC").Find(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	for _, row := range rows {
		out[row.ProductID] = append(out[row.ProductID], row.toCertificate())
	}
	return out, nil
}

// --- lots ------------------------------------------------------------------

type lotRow struct {
	ID             string `gorm:"primaryKey"`
	ProductID      string
	DistrictID     string
	Ref            string
	Code           string
	ProductionDate civilDate
	ExpiryDate     civilDate
	Quantity       int
	StampsIssued   int
	Status         string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (lotRow) TableName() string { return "lots" }

func (r lotRow) toLot() app.Lot {
	return app.Lot{Lot: ocop.Lot{ID: r.ID, ProductID: r.ProductID, Code: r.Code, ProductionDate: r.ProductionDate.t,
		ExpiryDate: r.ExpiryDate.t, Quantity: r.Quantity, Status: ocop.LotStatus(r.Status)},
		Ref: r.Ref, DistrictID: r.DistrictID, StampsIssued: r.StampsIssued, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func (r *repo) CreateLot(ctx context.Context, l *app.Lot) error {
	row := lotRow{ID: l.ID, ProductID: l.ProductID, DistrictID: l.DistrictID, Ref: l.Ref, Code: l.Code,
		ProductionDate: dateOf(l.ProductionDate), ExpiryDate: dateOf(l.ExpiryDate), Quantity: l.Quantity,
		StampsIssued: l.StampsIssued, Status: string(l.Status), CreatedAt: l.CreatedAt.UTC(), UpdatedAt: l.UpdatedAt.UTC()}
	return translate(r.q(ctx).Create(&row).Error)
}

func (r *repo) UpdateLot(ctx context.Context, l *app.Lot) error {
	res := r.q(ctx).Model(&lotRow{}).Where("id = ?", l.ID).Updates(map[string]any{
		"status": string(l.Status), "stamps_issued": l.StampsIssued, "updated_at": l.UpdatedAt.UTC(),
	})
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return errs.E(errs.NotFound, "no such lot")
	}
	return nil
}

func (r *repo) LotByID(ctx context.Context, id string, lock bool) (*app.Lot, error) {
	var row lotRow
	if err := r.forUpdate(r.q(ctx), lock).Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, notFound(err, "lot")
	}
	l := row.toLot()
	return &l, nil
}

func (r *repo) ListLots(ctx context.Context, f app.LotFilter) ([]app.Lot, error) {
	db := r.q(ctx)
	if f.ProductID != "" {
		db = db.Where("product_id = ?", f.ProductID)
	}
	var rows []lotRow
	if err := page(db, f.Page).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]app.Lot, len(rows))
	for i, row := range rows {
		out[i] = row.toLot()
	}
	return out, nil
}

// --- stamps ----------------------------------------------------------------

type stampRow struct {
	Serial       string `gorm:"primaryKey"`
	LotID        string
	Status       string
	KeyID        string
	Signature    string
	CreatedAt    time.Time
	PrintedAt    *time.Time
	ActivatedAt  *time.Time
	SoldAt       *time.Time
	SoldStallID  *string
	SoldProvince *string
	VoidedAt     *time.Time
}

func (stampRow) TableName() string { return "stamps" }

func (r stampRow) toStamp() app.Stamp {
	sig, _ := base64.RawURLEncoding.DecodeString(r.Signature)
	return app.Stamp{Stamp: ocop.Stamp{ID: r.Serial, LotID: r.LotID, Serial: r.Serial, Status: ocop.StampStatus(r.Status),
		SoldAt: fromPtr(r.SoldAt), SoldProvinceCode: deref(r.SoldProvince)},
		KeyID: r.KeyID, Sig: sig, SoldStallID: deref(r.SoldStallID), CreatedAt: r.CreatedAt.UTC(),
		PrintedAt: fromPtr(r.PrintedAt), ActivatedAt: fromPtr(r.ActivatedAt), VoidedAt: fromPtr(r.VoidedAt)}
}

// stampBatch bounds the rows of one multi-row INSERT: 6 parameters a row
// stays far below SQLite's 32,766 and PostgreSQL's 65,535 parameters.
const stampBatch = 1000

func (r *repo) InsertStamps(ctx context.Context, stamps []app.Stamp) ([]string, error) {
	var skipped []string
	for len(stamps) > 0 {
		n := min(len(stamps), stampBatch)
		batch := stamps[:n]
		stamps = stamps[n:]
		var q strings.Builder
		q.WriteString("INSERT INTO stamps (serial, lot_id, status, key_id, signature, created_at) VALUES ")
		args := make([]any, 0, 6*n)
		for i, s := range batch {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?,?,?,?,?,?)")
			args = append(args, s.Serial, s.LotID, string(s.Status), s.KeyID,
				base64.RawURLEncoding.EncodeToString(s.Sig), s.CreatedAt.UTC())
		}
		q.WriteString(" ON CONFLICT (serial) DO NOTHING RETURNING serial")
		rows, err := r.q(ctx).Raw(q.String(), args...).Rows()
		if err != nil {
			return nil, translate(err)
		}
		inserted := make(map[string]struct{}, n)
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return nil, translate(err)
			}
			inserted[s] = struct{}{}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, translate(err)
		}
		if len(inserted) != n {
			for _, s := range batch {
				if _, ok := inserted[s.Serial]; !ok {
					skipped = append(skipped, s.Serial)
				}
			}
		}
	}
	return skipped, nil
}

func (r *repo) StampBySerial(ctx context.Context, serial string, lock bool) (*app.Stamp, error) {
	var row stampRow
	if err := r.forUpdate(r.q(ctx), lock).Where("serial = ?", serial).Take(&row).Error; err != nil {
		return nil, notFound(err, "stamp")
	}
	s := row.toStamp()
	return &s, nil
}

func (r *repo) UpdateStamp(ctx context.Context, s *app.Stamp) error {
	res := r.q(ctx).Model(&stampRow{}).Where("serial = ?", s.Serial).Updates(map[string]any{
		"status": string(s.Status), "printed_at": utcPtr(s.PrintedAt), "activated_at": utcPtr(s.ActivatedAt),
		"sold_at": utcPtr(s.SoldAt), "sold_stall_id": nullable(s.SoldStallID), "sold_province": nullable(s.SoldProvinceCode),
		"voided_at": utcPtr(s.VoidedAt),
	})
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return errs.E(errs.NotFound, "no such stamp")
	}
	return nil
}

// statusColumn is the timestamp column a stamp status sets.
var statusColumn = map[ocop.StampStatus]string{
	ocop.StampPrinted:   "printed_at",
	ocop.StampActivated: "activated_at",
	ocop.StampSold:      "sold_at",
	ocop.StampVoided:    "voided_at",
}

func (r *repo) TransitionLotStamps(ctx context.Context, lotID string, from, to ocop.StampStatus, at time.Time) (int64, error) {
	col, ok := statusColumn[to]
	if !ok {
		return 0, errs.Field("to", "stamps cannot move back to "+string(to))
	}
	res := r.q(ctx).Model(&stampRow{}).Where("lot_id = ? AND status = ?", lotID, string(from)).
		Updates(map[string]any{"status": string(to), col: at.UTC()})
	if res.Error != nil {
		return 0, translate(res.Error)
	}
	return res.RowsAffected, nil
}

func (r *repo) ListStamps(ctx context.Context, f app.StampFilter) ([]app.Stamp, error) {
	db := r.q(ctx).Where("lot_id = ?", f.LotID)
	if f.Status != "" {
		db = db.Where("status = ?", string(f.Status))
	}
	if f.After != "" {
		db = db.Where("serial > ?", f.After)
	}
	var rows []stampRow
	if err := db.Order("serial").Limit(f.Limit).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]app.Stamp, len(rows))
	for i, row := range rows {
		out[i] = row.toStamp()
	}
	return out, nil
}

// stampScansSQL is the per-scan read of a verification: the stamp by its
// primary key and its latest scans, from the covering index scans_serial_idx,
// as "time,device,province" triples joined by ";" (device hashes are
// base64url and provinces digits, so neither separator can occur). SQLite
// sends scan times as the text the driver stored. The lot, product,
// producer and certificates a verification also shows change rarely and
// are cached by the service (app.Service.lotTrace), not read per scan.
const stampScansSQL = `SELECT s.serial, s.lot_id, s.status, s.sold_at, s.sold_province,
	(SELECT group_concat(x.scanned_at || ',' || x.device_hash || ',' || x.province_code, ';')
		FROM (SELECT scanned_at, device_hash, province_code FROM scans WHERE serial = s.serial
		ORDER BY scanned_at DESC LIMIT ?) x)
FROM stamps s
WHERE s.serial = ?`

// positional rewrites "?" placeholders as PostgreSQL's $1, $2, ... for
// queries sent without gorm (no "?" may occur in literals).
func positional(q string) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// StampScans is the hot path of public verification: one prepared
// statement, one round trip, one row. On PostgreSQL outside a transaction
// it runs on pgx directly (stampScansNative); otherwise, as here, through
// database/sql.
func (r *repo) StampScans(ctx context.Context, serial string, maxScans int) (*app.Stamp, []ocop.Scan, error) {
	if r.dialect == Postgres {
		if st, scans, ok, err := r.stampScansNative(ctx, serial, maxScans); ok {
			return st, scans, err
		}
	}
	q := stampScansSQL
	if r.dialect == Postgres {
		q = stampScansPostgres
	}
	var (
		st    stampRow
		scans sql.NullString
	)
	err := r.db.Statement.ConnPool.QueryRowContext(ctx, q, maxScans, serial).Scan(&st.Serial, &st.LotID, &st.Status, &st.SoldAt, &st.SoldProvince, &scans)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, errs.E(errs.NotFound, "no such stamp")
	} else if err != nil {
		return nil, nil, translate(err)
	}
	stamp := st.toStamp()
	if !scans.Valid || scans.String == "" {
		return &stamp, nil, nil
	}
	list, err := parseScans(scans.String)
	if err != nil {
		return nil, nil, errs.Wrap(errs.Internal, err, "reading scans")
	}
	return &stamp, list, nil
}

// parseScans reads the "time,device,province;..." list of the trace query;
// a time is Unix microseconds (PostgreSQL) or the driver's text (SQLite).
func parseScans(list string) ([]ocop.Scan, error) {
	out := make([]ocop.Scan, 0, strings.Count(list, ";")+1)
	for item := range strings.SplitSeq(list, ";") {
		at, rest, ok1 := strings.Cut(item, ",")
		dev, prov, ok2 := strings.Cut(rest, ",")
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("store: malformed scan %q", item)
		}
		t, err := parseDBTime(at)
		if err != nil {
			return nil, err
		}
		out = append(out, ocop.Scan{At: t, DeviceHash: dev, ProvinceCode: prov})
	}
	return out, nil
}

func parseDBTime(s string) (time.Time, error) {
	if us, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMicro(us).UTC(), nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02T15:04:05.999999999Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("store: cannot read time %q", s)
}

func nullTimePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.Time
}

// insertScansPostgres is one statement text whatever the batch size, so
// the driver's prepared-statement cache serves every batch (a multi-row
// VALUES list would be a new statement, parsed and planned, per size).
const insertScansPostgres = `INSERT INTO scans (serial, scanned_at, device_hash, province_code, verdict)
	SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[])`

func (r *repo) InsertScans(ctx context.Context, scans []app.ScanRecord) error {
	if r.dialect == Postgres {
		n := len(scans)
		serials, ats, devs, provs, verdicts := make([]string, n), make([]time.Time, n), make([]string, n), make([]string, n), make([]string, n)
		for i, s := range scans {
			serials[i], ats[i], devs[i], provs[i], verdicts[i] = s.Serial, s.At.UTC(), s.DeviceHash, s.ProvinceCode, string(s.Verdict)
		}
		_, err := r.db.Statement.ConnPool.ExecContext(ctx, insertScansPostgres, serials, ats, devs, provs, verdicts)
		return translate(err)
	}
	for len(scans) > 0 {
		n := min(len(scans), stampBatch)
		var q strings.Builder
		q.WriteString("INSERT INTO scans (serial, scanned_at, device_hash, province_code, verdict) VALUES ")
		args := make([]any, 0, 5*n)
		for i, s := range scans[:n] {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?,?,?,?,?)")
			args = append(args, s.Serial, s.At.UTC(), s.DeviceHash, s.ProvinceCode, string(s.Verdict))
		}
		if err := r.q(ctx).Exec(q.String(), args...).Error; err != nil {
			return translate(err)
		}
		scans = scans[n:]
	}
	return nil
}

func (r *repo) CountScans(ctx context.Context, serial string) (int, error) {
	var n int64
	err := r.q(ctx).Table("scans").Where("serial = ?", serial).Count(&n).Error
	return int(n), translate(err)
}

// --- stamp keys ------------------------------------------------------------

type stampKeyRow struct {
	ID          string `gorm:"primaryKey"`
	PublicKey   string
	NotBefore   *time.Time
	NotAfter    *time.Time
	Revoked     bool
	FirstSeenAt time.Time
}

func (stampKeyRow) TableName() string { return "stamp_keys" }

func (r *repo) StampKeys(ctx context.Context) ([]app.StoredKey, error) {
	var rows []stampKeyRow
	if err := r.q(ctx).Order("first_seen_at, id").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]app.StoredKey, 0, len(rows))
	for _, row := range rows {
		pub, err := base64.RawURLEncoding.DecodeString(row.PublicKey)
		if err != nil {
			return nil, errs.Wrap(errs.Internal, err, "stored stamp key %s is corrupt", row.ID)
		}
		out = append(out, app.StoredKey{Key: ocop.Key{ID: row.ID, Public: pub, NotBefore: fromPtr(row.NotBefore),
			NotAfter: fromPtr(row.NotAfter), Revoked: row.Revoked}, FirstSeenAt: row.FirstSeenAt.UTC()})
	}
	return out, nil
}

func (r *repo) SaveStampKey(ctx context.Context, k app.StoredKey) error {
	row := stampKeyRow{ID: k.ID, PublicKey: base64.RawURLEncoding.EncodeToString(k.Public), NotBefore: utcPtr(k.NotBefore),
		NotAfter: utcPtr(k.NotAfter), Revoked: k.Revoked, FirstSeenAt: k.FirstSeenAt.UTC()}
	if err := r.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return translate(err)
	}
	if k.Revoked {
		return translate(r.q(ctx).Model(&stampKeyRow{}).Where("id = ?", k.ID).Update("revoked", true).Error)
	}
	return nil
}

// --- stall price lists -----------------------------------------------------

type stallProductRow struct {
	StallID   string `gorm:"primaryKey"`
	ProductID string `gorm:"primaryKey"`
	Price     int64
	UpdatedAt time.Time
}

func (stallProductRow) TableName() string { return "stall_products" }

func (r *repo) ReplaceStallProducts(ctx context.Context, stallID string, items []app.StallPrice, at time.Time) error {
	if err := r.q(ctx).Where("stall_id = ?", stallID).Delete(&stallProductRow{}).Error; err != nil {
		return translate(err)
	}
	if len(items) == 0 {
		return nil
	}
	rows := make([]stallProductRow, len(items))
	for i, it := range items {
		rows[i] = stallProductRow{StallID: stallID, ProductID: it.ProductID, Price: it.Price.Dong(), UpdatedAt: at.UTC()}
	}
	return translate(r.q(ctx).Create(&rows).Error)
}

func (r *repo) ListOffers(ctx context.Context, f app.OfferFilter) ([]app.StallOffer, error) {
	db := r.q(ctx).Table("stall_products AS sp").
		Select("sp.stall_id, s.name, s.stall_number, s.market_id, m.name, sp.product_id, p.name_vi, p.name_en, sp.price, sp.updated_at").
		Joins("JOIN stalls s ON s.id = sp.stall_id").
		Joins("JOIN markets m ON m.id = s.market_id").
		Joins("JOIN products p ON p.id = sp.product_id")
	if f.StallID != "" {
		db = db.Where("sp.stall_id = ?", f.StallID).Order("p.name_vi, sp.product_id")
	}
	if f.ProductID != "" {
		db = db.Where("sp.product_id = ?", f.ProductID).Order("sp.price, sp.stall_id")
	}
	if f.ActiveOnly {
		db = db.Where("s.status = 'active'")
	}
	rows, err := db.Limit(500).Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []app.StallOffer
	for rows.Next() {
		var o app.StallOffer
		var price int64
		if err := rows.Scan(&o.StallID, &o.StallName, &o.StallNumber, &o.MarketID, &o.MarketName, &o.ProductID,
			&o.ProductNameVI, &o.ProductNameEN, &price, &o.UpdatedAt); err != nil {
			return nil, translate(err)
		}
		o.Price, o.UpdatedAt = money.FromDong(price), o.UpdatedAt.UTC()
		out = append(out, o)
	}
	return out, translate(rows.Err())
}

func (r *repo) StallSells(ctx context.Context, stallID, productID string) (bool, error) {
	var n int64
	err := r.q(ctx).Model(&stallProductRow{}).Where("stall_id = ? AND product_id = ?", stallID, productID).Count(&n).Error
	return n > 0, translate(err)
}
