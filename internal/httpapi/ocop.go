package httpapi

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/ocop"
	"github.com/market4/market4/internal/printable"
	"github.com/market4/market4/internal/web/ocopweb"
)

// mountOCOP adds the OCOP routes: the JSON API under /v1 (producers,
// products, certificates, lots, stamps, stall price lists), the GS1 Digital
// Link resolver that answers a scanned stamp (JSON or an HTML page by
// Accept), the published stamp keys and the public catalogue page.
func (s *Server) mountOCOP(r *gin.Engine, v1 *gin.RouterGroup) {
	v1.GET("/producers", s.listProducers)
	v1.POST("/producers", s.requireUser, s.createProducer)
	v1.GET("/producers/:id", s.getProducer)
	v1.PATCH("/producers/:id", s.requireUser, s.updateProducer)

	v1.GET("/products", s.throttle, s.listProducts)
	v1.POST("/products", s.requireUser, s.createProduct)
	v1.GET("/products/:id", s.throttle, s.getProduct)
	v1.PATCH("/products/:id", s.requireUser, s.updateProduct)
	v1.GET("/products/:id/certificates", s.throttle, s.listCertificates)
	v1.POST("/products/:id/certificates", s.requireUser, s.addCertificate)
	v1.POST("/certificates/:id/status", s.requireUser, s.setCertificateStatus)
	v1.GET("/products/:id/lots", s.requireUser, s.listLots)
	v1.POST("/products/:id/lots", s.requireUser, s.createLot)
	v1.GET("/products/:id/images", s.throttle, s.listProductImages)
	v1.POST(strings.TrimPrefix(imagesPath, "/v1"), s.requireUser, s.addProductImage)
	v1.PUT("/products/:id/images", s.requireUser, s.reorderProductImages)
	v1.GET("/products/:id/images/:image_id", s.imageThrottle, s.getProductImage)
	v1.DELETE("/products/:id/images/:image_id", s.requireUser, s.deleteProductImage)

	v1.GET("/lots/:id", s.requireUser, s.getLot)
	v1.POST("/lots/:id/status", s.requireUser, s.setLotStatus)
	v1.GET("/lots/:id/stamps", s.requireUser, s.listStamps)
	v1.POST("/lots/:id/stamps", s.requireUser, s.issueStamps)
	v1.POST("/lots/:id/stamps/status", s.requireUser, s.transitionLotStamps)
	v1.GET("/lots/:id/stamps.pdf", s.requireUser, s.stampSheet)

	v1.GET("/stamps/:serial", s.requireUser, s.getStamp)
	v1.POST("/stamps/:serial/status", s.requireUser, s.transitionStamp)
	v1.POST("/stamps/:serial/sell", s.requireUser, s.sellStamp)

	v1.GET("/stalls/:id/products", s.throttle, s.getStallProducts)
	v1.PUT("/stalls/:id/products", s.requireUser, s.putStallProducts)

	r.GET("/.well-known/market4-stamp-keys.json", s.stampKeys)
	r.GET("/01/*link", s.verifyThrottle, s.verifyStamp)
	r.GET("/t/*link", s.verifyThrottle, s.verifyStamp)
	r.GET("/ocop", s.verifyThrottle, s.cataloguePage)
}

// ---------------------------------------------------------------------------
// Response shapes

type producerJSON struct {
	ID           string  `json:"id"`
	DistrictID   string  `json:"district_id"`
	Name         string  `json:"name"`
	Kind         string  `json:"kind"`
	TaxCode      *string `json:"tax_code"`
	Commune      string  `json:"commune"`
	ProvinceCode string  `json:"province_code"`
	CreatedAt    string  `json:"created_at"`
	UpdatedAt    string  `json:"updated_at"`
}

func toProducerJSON(p *app.Producer) producerJSON {
	return producerJSON{ID: p.ID, DistrictID: p.DistrictID, Name: p.Name, Kind: string(p.Kind), TaxCode: ptr(p.TaxCode),
		Commune: p.Commune, ProvinceCode: p.ProvinceCode, CreatedAt: ts(p.CreatedAt), UpdatedAt: ts(p.UpdatedAt)}
}

type certificateJSON struct {
	ID             string `json:"id"`
	ProductID      string `json:"product_id"`
	Stars          int    `json:"stars"`
	Score          *int   `json:"score"`
	DecisionNumber string `json:"decision_number"`
	IssuingBody    string `json:"issuing_body"`
	Level          string `json:"level"`
	DecisionDate   string `json:"decision_date"`
	ValidFrom      string `json:"valid_from"`
	ValidUntil     string `json:"valid_until"`
	Status         string `json:"status"`
	State          string `json:"state"`
}

func toCertificateJSON(c *app.CertificateView) certificateJSON {
	return certificateJSON{ID: c.ID, ProductID: c.ProductID, Stars: c.Stars, Score: c.Score, DecisionNumber: c.DecisionNumber,
		IssuingBody: c.IssuingBody, Level: string(c.Level), DecisionDate: day(c.DecisionDate), ValidFrom: ts(c.ValidFrom()),
		ValidUntil: ts(c.ValidUntil()), Status: string(c.Status), State: string(c.State)}
}

// day renders a legal date as YYYY-MM-DD, read in ICT.
func day(t time.Time) string { return t.In(ocop.ICT).Format(time.DateOnly) }

func dayPtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := day(t)
	return &s
}

func tsPtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := ts(t)
	return &s
}

type offerJSON struct {
	StallID       string  `json:"stall_id"`
	StallName     string  `json:"stall_name"`
	StallNumber   string  `json:"stall_number"`
	MarketID      string  `json:"market_id"`
	MarketName    string  `json:"market_name"`
	ProductID     string  `json:"product_id"`
	ProductNameVI string  `json:"product_name_vi"`
	ProductNameEN *string `json:"product_name_en"`
	Price         string  `json:"price"`
	UpdatedAt     string  `json:"updated_at"`
}

func toOfferJSON(o *app.StallOffer) offerJSON {
	return offerJSON{StallID: o.StallID, StallName: o.StallName, StallNumber: o.StallNumber, MarketID: o.MarketID,
		MarketName: o.MarketName, ProductID: o.ProductID, ProductNameVI: o.ProductNameVI, ProductNameEN: ptr(o.ProductNameEN),
		Price: o.Price.String(), UpdatedAt: ts(o.UpdatedAt)}
}

type productJSON struct {
	ID            string             `json:"id"`
	ProducerID    string             `json:"producer_id"`
	ProducerName  string             `json:"producer_name"`
	DistrictID    string             `json:"district_id"`
	NameVI        string             `json:"name_vi"`
	NameEN        *string            `json:"name_en"`
	Group         string             `json:"group"`
	GTIN          *string            `json:"gtin"`
	Story         string             `json:"story"`
	Standards     []string           `json:"standards"`
	ShelfLifeDays int                `json:"shelf_life_days"`
	Stars         *int               `json:"stars"`
	CertState     *string            `json:"certification"`
	Certificate   *certificateJSON   `json:"certificate"`
	Certificates  []certificateJSON  `json:"certificates,omitempty"`
	Offers        []offerJSON        `json:"offers,omitempty"`
	Images        []productImageJSON `json:"images"`
	CreatedAt     string             `json:"created_at"`
	UpdatedAt     string             `json:"updated_at"`
}

func toProductJSON(v *app.ProductView) productJSON {
	std := v.Standards
	if std == nil {
		std = []string{}
	}
	p := productJSON{ID: v.ID, ProducerID: v.ProducerID, ProducerName: v.ProducerName, DistrictID: v.DistrictID,
		NameVI: v.NameVI, NameEN: ptr(v.NameEN), Group: string(v.Group), GTIN: ptr(v.GTIN), Story: v.Story, Standards: std,
		ShelfLifeDays: v.ShelfLifeDays, CertState: ptr(string(v.CertState)), Images: toProductImagesJSON(v.Images),
		CreatedAt: ts(v.CreatedAt), UpdatedAt: ts(v.UpdatedAt)}
	if v.Stars > 0 {
		p.Stars = &v.Stars
	}
	if v.Active != nil {
		c := toCertificateJSON(v.Active)
		p.Certificate = &c
	}
	return p
}

// toProductDetailJSON adds the certificate history and the offers.
func toProductDetailJSON(v *app.ProductView) productJSON {
	p := toProductJSON(v)
	p.Certificates = make([]certificateJSON, len(v.Certificates))
	for i := range v.Certificates {
		p.Certificates[i] = toCertificateJSON(&v.Certificates[i])
	}
	p.Offers = make([]offerJSON, len(v.Offers))
	for i := range v.Offers {
		p.Offers[i] = toOfferJSON(&v.Offers[i])
	}
	return p
}

type lotJSON struct {
	ID             string  `json:"id"`
	ProductID      string  `json:"product_id"`
	DistrictID     string  `json:"district_id"`
	Ref            string  `json:"ref"`
	Code           string  `json:"code"`
	ProductionDate string  `json:"production_date"`
	ExpiryDate     *string `json:"expiry_date"`
	Quantity       int     `json:"quantity"`
	StampsIssued   int     `json:"stamps_issued"`
	Status         string  `json:"status"`
	CreatedAt      string  `json:"created_at"`
	UpdatedAt      string  `json:"updated_at"`
}

func toLotJSON(l *app.Lot) lotJSON {
	return lotJSON{ID: l.ID, ProductID: l.ProductID, DistrictID: l.DistrictID, Ref: l.Ref, Code: l.Code,
		ProductionDate: day(l.ProductionDate), ExpiryDate: dayPtr(l.ExpiryDate), Quantity: l.Quantity,
		StampsIssued: l.StampsIssued, Status: string(l.Status), CreatedAt: ts(l.CreatedAt), UpdatedAt: ts(l.UpdatedAt)}
}

type stampJSON struct {
	Serial      string  `json:"serial"`
	LotID       string  `json:"lot_id"`
	Status      string  `json:"status"`
	KeyID       string  `json:"key_id"`
	URL         *string `json:"url"`
	Path        *string `json:"path"`
	CreatedAt   string  `json:"created_at"`
	PrintedAt   *string `json:"printed_at"`
	ActivatedAt *string `json:"activated_at"`
	SoldAt      *string `json:"sold_at"`
	SoldStallID *string `json:"sold_stall_id"`
	VoidedAt    *string `json:"voided_at"`
	Scans       *int    `json:"scans,omitempty"`
}

func toStampJSON(st *app.Stamp, url string) stampJSON {
	j := stampJSON{Serial: st.Serial, LotID: st.LotID, Status: string(st.Status), KeyID: st.KeyID,
		CreatedAt: ts(st.CreatedAt), PrintedAt: tsPtr(st.PrintedAt), ActivatedAt: tsPtr(st.ActivatedAt),
		SoldAt: tsPtr(st.SoldAt), SoldStallID: ptr(st.SoldStallID), VoidedAt: tsPtr(st.VoidedAt)}
	if url != "" {
		j.URL = &url
		p := linkPath(url)
		j.Path = &p
	}
	return j
}

// linkPath is a link without scheme and host: the same stamp resolved on
// whatever host serves this API (the demo's plain-HTTP localhost).
func linkPath(u string) string {
	rest := strings.TrimPrefix(u, "https://")
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return rest[i:]
	}
	return u
}

// ---------------------------------------------------------------------------
// Producers

type producerReq struct {
	DistrictID   string `json:"district_id"`
	Name         string `json:"name"`
	Kind         string `json:"kind"`
	TaxCode      string `json:"tax_code"`
	Commune      string `json:"commune"`
	ProvinceCode string `json:"province_code"`
}

func (r producerReq) input() app.ProducerInput {
	return app.ProducerInput{DistrictID: r.DistrictID, Name: r.Name, Kind: r.Kind, TaxCode: r.TaxCode, Commune: r.Commune, ProvinceCode: r.ProvinceCode}
}

func (s *Server) createProducer(c *gin.Context) {
	var req producerReq
	if !decode(c, &req) {
		return
	}
	p, err := s.svc.CreateProducer(c.Request.Context(), actor(c), req.input())
	reply(c, http.StatusCreated, p, err, toProducerJSON)
}

func (s *Server) updateProducer(c *gin.Context) {
	var req producerReq
	if !decode(c, &req) {
		return
	}
	p, err := s.svc.UpdateProducer(c.Request.Context(), actor(c), c.Param("id"), req.input())
	reply(c, http.StatusOK, p, err, toProducerJSON)
}

func (s *Server) getProducer(c *gin.Context) {
	p, err := s.svc.Producer(c.Request.Context(), actor(c), c.Param("id"))
	reply(c, http.StatusOK, p, err, toProducerJSON)
}

func (s *Server) listProducers(c *gin.Context) {
	p, err := page(c)
	if err != nil {
		fail(c, err)
		return
	}
	ps, err := s.svc.ListProducers(c.Request.Context(), actor(c), app.ProducerFilter{Page: p, DistrictID: c.Query("district_id")})
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(ps, p.Limit, toProducerJSON, func(p *app.Producer) string { return p.ID }))
}

// ---------------------------------------------------------------------------
// Products

type productReq struct {
	ProducerID    string    `json:"producer_id"`
	NameVI        *string   `json:"name_vi"`
	NameEN        *string   `json:"name_en"`
	Group         *string   `json:"group"`
	GTIN          *string   `json:"gtin"`
	Story         *string   `json:"story"`
	Standards     *[]string `json:"standards"`
	ShelfLifeDays *int      `json:"shelf_life_days"`
}

func (r productReq) input() app.ProductInput {
	return app.ProductInput{ProducerID: r.ProducerID, NameVI: r.NameVI, NameEN: r.NameEN, Group: r.Group, GTIN: r.GTIN,
		Story: r.Story, Standards: r.Standards, ShelfLifeDays: r.ShelfLifeDays}
}

func (s *Server) createProduct(c *gin.Context) {
	var req productReq
	if !decode(c, &req) {
		return
	}
	p, err := s.svc.CreateProduct(c.Request.Context(), actor(c), req.input())
	reply(c, http.StatusCreated, p, err, toProductJSON)
}

func (s *Server) updateProduct(c *gin.Context) {
	var req productReq
	if !decode(c, &req) {
		return
	}
	p, err := s.svc.UpdateProduct(c.Request.Context(), actor(c), c.Param("id"), req.input())
	reply(c, http.StatusOK, p, err, toProductJSON)
}

func (s *Server) getProduct(c *gin.Context) {
	p, err := s.svc.Product(c.Request.Context(), c.Param("id"))
	reply(c, http.StatusOK, p, err, toProductDetailJSON)
}

// catalogueQuery reads the catalogue filters shared by the JSON list and
// the HTML page.
func catalogueQuery(c *gin.Context) (app.CatalogueQuery, error) {
	p, err := page(c)
	if err != nil {
		return app.CatalogueQuery{}, err
	}
	q := app.CatalogueQuery{Page: p, Text: c.Query("q"), Group: c.Query("group"), DistrictID: c.Query("district_id"),
		MarketID: c.Query("market_id"), ProducerID: c.Query("producer_id")}
	if v := c.Query("stars"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return q, errs.Field("stars", "must be 3, 4 or 5")
		}
		q.Stars = n
	}
	return q, nil
}

func (s *Server) listProducts(c *gin.Context) {
	q, err := catalogueQuery(c)
	if err != nil {
		fail(c, err)
		return
	}
	ps, err := s.svc.ListProducts(c.Request.Context(), q)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(ps, q.Limit, toProductJSON, func(p *app.ProductView) string { return p.ID }))
}

// ---------------------------------------------------------------------------
// Certificates

type certificateReq struct {
	Stars          int    `json:"stars"`
	Score          *int   `json:"score"`
	DecisionNumber string `json:"decision_number"`
	IssuingBody    string `json:"issuing_body"`
	Level          string `json:"level"`
	DecisionDate   string `json:"decision_date"`
}

func (s *Server) addCertificate(c *gin.Context) {
	var req certificateReq
	if !decode(c, &req) {
		return
	}
	cert, err := s.svc.AddCertificate(c.Request.Context(), actor(c), c.Param("id"), app.CertificateInput{Stars: req.Stars,
		Score: req.Score, DecisionNumber: req.DecisionNumber, IssuingBody: req.IssuingBody, Level: req.Level, DecisionDate: req.DecisionDate})
	reply(c, http.StatusCreated, cert, err, toCertificateJSON)
}

func (s *Server) listCertificates(c *gin.Context) {
	cs, err := s.svc.Certificates(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	out := make([]certificateJSON, len(cs))
	for i := range cs {
		out[i] = toCertificateJSON(&cs[i])
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

type statusReq struct {
	Status string `json:"status"`
}

func (s *Server) setCertificateStatus(c *gin.Context) {
	var req statusReq
	if !decode(c, &req) {
		return
	}
	cert, err := s.svc.SetCertificateStatus(c.Request.Context(), actor(c), c.Param("id"), req.Status)
	reply(c, http.StatusOK, cert, err, toCertificateJSON)
}

// ---------------------------------------------------------------------------
// Lots and stamps

type lotReq struct {
	Code           string `json:"code"`
	ProductionDate string `json:"production_date"`
	ExpiryDate     string `json:"expiry_date"`
	Quantity       int    `json:"quantity"`
}

func (s *Server) createLot(c *gin.Context) {
	var req lotReq
	if !decode(c, &req) {
		return
	}
	l, err := s.svc.CreateLot(c.Request.Context(), actor(c), c.Param("id"), app.LotInput{Code: req.Code,
		ProductionDate: req.ProductionDate, ExpiryDate: req.ExpiryDate, Quantity: req.Quantity})
	reply(c, http.StatusCreated, l, err, toLotJSON)
}

func (s *Server) listLots(c *gin.Context) {
	p, err := page(c)
	if err != nil {
		fail(c, err)
		return
	}
	ls, err := s.svc.ListLots(c.Request.Context(), actor(c), c.Param("id"), p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(ls, p.Limit, toLotJSON, func(l *app.Lot) string { return l.ID }))
}

func (s *Server) getLot(c *gin.Context) {
	l, err := s.svc.Lot(c.Request.Context(), actor(c), c.Param("id"))
	reply(c, http.StatusOK, l, err, toLotJSON)
}

func (s *Server) setLotStatus(c *gin.Context) {
	var req statusReq
	if !decode(c, &req) {
		return
	}
	l, err := s.svc.SetLotStatus(c.Request.Context(), actor(c), c.Param("id"), req.Status)
	reply(c, http.StatusOK, l, err, toLotJSON)
}

type issueReq struct {
	Count int `json:"count"`
}

type issueJSON struct {
	Lot   lotJSON `json:"lot"`
	Count int     `json:"count"`
	KeyID string  `json:"key_id"`
	First string  `json:"first_serial"`
	Last  string  `json:"last_serial"`
}

// issueStamps issues a print run. An Idempotency-Key is optional here (a
// retry without one is bounded by the lot's quantity) and makes a resent
// request replay the first answer.
func (s *Server) issueStamps(c *gin.Context) {
	toJSON := func(v any) any {
		res := v.(*app.IssueResult)
		return issueJSON{Lot: toLotJSON(&res.Lot), Count: res.Count, KeyID: res.KeyID, First: res.First, Last: res.Last}
	}
	var idem *app.Idempotency
	var req issueReq
	if c.GetHeader("Idempotency-Key") != "" {
		var body []byte
		var err error
		if idem, body, err = idempotency(c, toJSON); err == nil {
			err = decodeBody(c, body, &req)
		}
		if err != nil {
			fail(c, err)
			return
		}
	} else if !decode(c, &req) {
		return
	}
	res, rep, err := s.svc.IssueStampsOnce(c.Request.Context(), actor(c), c.Param("id"), req.Count, idem)
	switch {
	case err != nil:
		fail(c, err)
	case idem != nil:
		respond(c, idem, rep, res)
	default:
		c.JSON(http.StatusCreated, toJSON(res))
	}
}

func (s *Server) listStamps(c *gin.Context) {
	f := app.StampFilter{After: c.Query("after"), Status: ocop.StampStatus(c.Query("status"))}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > app.MaxStampPage {
			fail(c, errs.Field("limit", "must be an integer from 1 to 1000"))
			return
		}
		f.Limit = n
	}
	stamps, err := s.svc.ListStamps(c.Request.Context(), actor(c), c.Param("id"), f)
	if err != nil {
		fail(c, err)
		return
	}
	limit := f.Limit
	if limit == 0 {
		limit = 100
	}
	c.JSON(http.StatusOK, list(stamps, limit, func(v *app.StampView) stampJSON { return toStampJSON(&v.Stamp, v.URL) },
		func(v *app.StampView) string { return v.Serial }))
}

type lotStampsReq struct {
	From string `json:"from"`
	To   string `json:"to"`
}

func (s *Server) transitionLotStamps(c *gin.Context) {
	var req lotStampsReq
	if !decode(c, &req) {
		return
	}
	n, err := s.svc.TransitionLotStamps(c.Request.Context(), actor(c), c.Param("id"), req.From, req.To)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"moved": n})
}

func (s *Server) getStamp(c *gin.Context) {
	d, err := s.svc.Stamp(c.Request.Context(), actor(c), c.Param("serial"))
	if err != nil {
		fail(c, err)
		return
	}
	j := toStampJSON(&d.Stamp, d.URL)
	j.Scans = &d.Scans
	c.JSON(http.StatusOK, j)
}

func (s *Server) transitionStamp(c *gin.Context) {
	var req statusReq
	if !decode(c, &req) {
		return
	}
	st, err := s.svc.TransitionStamp(c.Request.Context(), actor(c), c.Param("serial"), req.Status)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toStampJSON(st, ""))
}

type sellReq struct {
	StallID string `json:"stall_id"`
}

func (s *Server) sellStamp(c *gin.Context) {
	var req sellReq
	if !decode(c, &req) {
		return
	}
	st, err := s.svc.SellStamp(c.Request.Context(), actor(c), c.Param("serial"), req.StallID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toStampJSON(st, ""))
}

// sheetOptions reads the layout of a stamp sheet from the query.
func sheetOptions(c *gin.Context, title string) (printable.SheetOptions, error) {
	o := printable.SheetOptions{Title: title}
	var fs errs.Fields
	num := func(name string, dst *int) {
		if v := c.Query(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				fs.Add(name, "must be an integer")
			}
			*dst = n
		}
	}
	num("columns", &o.Columns)
	num("rows", &o.Rows)
	if v := c.Query("label_mm"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			fs.Add("label_mm", "must be a number of millimetres")
		}
		o.LabelMM = f
	}
	return o, fs.Err()
}

// stampSheetTitle is the line printed at the top of every sheet page.
func stampSheetTitle(p *app.StampPrint) string {
	return p.Product.NameVI + " - lot " + p.Lot.Code
}

// stampLabel is the printed form of one stamp: its QR link, serial, and the
// product and lot under it.
func stampLabel(p *app.StampPrint, v app.StampView) printable.Label {
	return printable.Label{URL: v.URL, Serial: v.Serial, Line1: p.Product.NameVI, Line2: "Lot " + p.Lot.Code}
}

// countingWriter remembers whether anything reached the client, so an
// error before the first byte can still be a problem document.
type countingWriter struct {
	w io.Writer
	n int64
}

func (cw *countingWriter) Write(b []byte) (int, error) {
	n, err := cw.w.Write(b)
	cw.n += int64(n)
	return n, err
}

// stampSheet streams a lot's stamps as a printable A4 PDF (5×8 labels by
// default), straight from a database cursor: pages of 500 rows feed the
// PDF writer, which flushes each sheet page as it is full, so memory stays
// flat for a 10,000-stamp lot. Printing does not change the stamps'
// status; staff confirm with POST /v1/lots/{id}/stamps/status.
func (s *Server) stampSheet(c *gin.Context) {
	ctx := c.Request.Context()
	job, err := s.svc.PrintStamps(ctx, actor(c), c.Param("id"), ocop.StampStatus(c.Query("status")))
	if err != nil {
		fail(c, err)
		return
	}
	opt, err := sheetOptions(c, stampSheetTitle(job))
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Type", "application/pdf")
	c.Header("Content-Disposition", `attachment; filename="stamps-`+job.Lot.Ref+`.pdf"`)
	c.Header("Cache-Control", "no-store")
	cw := &countingWriter{w: c.Writer}
	err = printable.StampSheet(cw, opt, func(yield func(printable.Label) bool) {
		for v := range job.Stamps(ctx) {
			if !yield(stampLabel(job, v)) {
				return
			}
		}
	})
	if err == nil {
		err = job.Err()
	}
	if err == nil {
		return
	}
	if cw.n == 0 {
		fail(c, err)
		return
	}
	// The status and part of the document are gone: log, and cut the
	// connection short so the client sees a truncated download.
	_ = c.Error(err)
	c.Abort()
}

// ---------------------------------------------------------------------------
// Stall price lists

type stallProductsReq struct {
	Items []struct {
		ProductID string `json:"product_id"`
		Price     string `json:"price"`
	} `json:"items"`
}

func offersJSON(os []app.StallOffer) gin.H {
	out := make([]offerJSON, len(os))
	for i := range os {
		out[i] = toOfferJSON(&os[i])
	}
	return gin.H{"items": out}
}

func (s *Server) getStallProducts(c *gin.Context) {
	os, err := s.svc.StallProducts(c.Request.Context(), actor(c), c.Param("id"))
	reply(c, http.StatusOK, os, err, offersJSON)
}

func (s *Server) putStallProducts(c *gin.Context) {
	var req stallProductsReq
	if !decode(c, &req) {
		return
	}
	if req.Items == nil {
		fail(c, errs.Field("items", "is required (an empty list clears the stall's products)"))
		return
	}
	in := make([]app.StallPriceInput, len(req.Items))
	for i, it := range req.Items {
		in[i] = app.StallPriceInput{ProductID: it.ProductID, Price: it.Price}
	}
	os, err := s.svc.SetStallProducts(c.Request.Context(), actor(c), c.Param("id"), in)
	reply(c, http.StatusOK, os, err, offersJSON)
}

// ---------------------------------------------------------------------------
// Public pages: keys, verification, catalogue

func (s *Server) stampKeys(c *gin.Context) {
	set, err := s.svc.StampKeySet(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	// Verifiers fetch this once and cache it; a new key is published well
	// before it signs (rotation schedules not_before ahead).
	c.Header("Cache-Control", "public, max-age=3600")
	c.Header("Access-Control-Allow-Origin", "*")
	c.JSON(http.StatusOK, set)
}

// wantsJSON reports an API client: Accept names application/json (the
// verification URL is the same for people and programs, GS1 Digital Link
// style; browsers send text/html first).
func wantsJSON(c *gin.Context) bool {
	acc := c.GetHeader("Accept")
	j := strings.Index(acc, "application/json")
	if j < 0 {
		return false
	}
	h := strings.Index(acc, "text/html")
	return h < 0 || j < h
}

// verifyThrottle rate-limits the public OCOP pages per client IP, so serials
// cannot be enumerated (each guess also needs a valid Ed25519 signature)
// and a flood cannot reach the database; a person gets a page, a program a
// problem document.
func (s *Server) verifyThrottle(c *gin.Context) {
	if s.public.allow(c.ClientIP()) {
		c.Next()
		return
	}
	if wantsJSON(c) {
		fail(c, errs.E(errs.RateLimited, "too many verifications from this address; slow down"))
		return
	}
	c.Header("Retry-After", "60")
	s.html(c, http.StatusTooManyRequests, func(b *bytes.Buffer) error {
		return ocopweb.Message(b, "suspicious", "Bạn kiểm tra quá nhanh", "Vui lòng đợi một phút rồi quét lại mã.")
	})
	c.Abort()
}

// html writes an HTML page rendered into a buffer.
func (s *Server) html(c *gin.Context, status int, render func(*bytes.Buffer) error) {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		fail(c, errs.Wrap(errs.Internal, err, "render page"))
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", ocopweb.CSP)
	h.Set("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", b.Bytes())
}

// deviceCookie holds a random device id; only its keyed hash is stored
// with scans (see app.VerifyRequest).
const deviceCookie = "m4_device"

// deviceID returns the scanning device's id: the cookie, else an app's
// X-Device-Id header, else a new random id set as the cookie.
func deviceID(c *gin.Context) string {
	if v, err := c.Cookie(deviceCookie); err == nil && validDeviceID(v) {
		return v
	}
	if v := c.GetHeader("X-Device-Id"); validDeviceID(v) {
		return v
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := base64.RawURLEncoding.EncodeToString(b)
	secure := c.Request.TLS != nil || c.GetHeader("X-Forwarded-Proto") == "https"
	http.SetCookie(c.Writer, &http.Cookie{Name: deviceCookie, Value: id, Path: "/", MaxAge: 2 * 365 * 24 * 3600,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	return id
}

func validDeviceID(v string) bool {
	if len(v) < 8 || len(v) > 64 {
		return false
	}
	for i := 0; i < len(v); i++ {
		ch := v[i]
		if !(ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_') {
			return false
		}
	}
	return true
}

type verifyStampJSON struct {
	Serial string  `json:"serial"`
	Status string  `json:"status"`
	URL    *string `json:"url"`
}

type verifyLotJSON struct {
	Code           string  `json:"code"`
	ProductionDate string  `json:"production_date"`
	ExpiryDate     *string `json:"expiry_date"`
	Status         string  `json:"status"`
}

type verifyProductJSON struct {
	ID        string   `json:"id"`
	NameVI    string   `json:"name_vi"`
	NameEN    *string  `json:"name_en"`
	Group     string   `json:"group"`
	GTIN      *string  `json:"gtin"`
	Story     string   `json:"story"`
	Standards []string `json:"standards"`
	Stars     *int     `json:"stars"`
}

type verifyProducerJSON struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Kind         string `json:"kind"`
	Commune      string `json:"commune"`
	ProvinceCode string `json:"province_code"`
}

type verifyFlagJSON struct {
	Code    string `json:"code"`
	Effect  string `json:"effect"`
	Message string `json:"message"`
}

type verificationJSON struct {
	Verdict         string              `json:"verdict"`
	Title           string              `json:"title"`
	Message         string              `json:"message"`
	Flags           []verifyFlagJSON    `json:"flags"`
	CheckedAt       string              `json:"checked_at"`
	ScanCount       int                 `json:"scan_count"`
	DistinctDevices int                 `json:"distinct_devices"`
	FirstScanAt     string              `json:"first_scan_at"`
	LinkError       *string             `json:"link_error"`
	Stamp           *verifyStampJSON    `json:"stamp"`
	Lot             *verifyLotJSON      `json:"lot"`
	Product         *verifyProductJSON  `json:"product"`
	Producer        *verifyProducerJSON `json:"producer"`
	Certificate     *certificateJSON    `json:"certificate"`
}

func toVerificationJSON(v *app.Verification) verificationJSON {
	r := v.Result
	j := verificationJSON{Verdict: string(r.Verdict), Title: ocopweb.VerdictTitle(r.Verdict), Message: ocopweb.VerdictText(v),
		Flags: make([]verifyFlagJSON, len(r.Flags)), CheckedAt: ts(v.At), ScanCount: r.ScanCount,
		DistinctDevices: r.DistinctDevices, FirstScanAt: ts(r.FirstScanAt), LinkError: ptr(v.LinkError)}
	for i, f := range r.Flags {
		eff := string(f.Effect())
		if eff == "" {
			eff = "info"
		}
		j.Flags[i] = verifyFlagJSON{Code: string(f), Effect: eff, Message: ocopweb.FlagText(f, r)}
	}
	t := v.Trace
	if t == nil {
		return j
	}
	j.Stamp = &verifyStampJSON{Serial: t.Stamp.Serial, Status: string(t.Stamp.Status), URL: ptr(v.URL)}
	j.Lot = &verifyLotJSON{Code: t.Lot.Code, ProductionDate: day(t.Lot.ProductionDate), ExpiryDate: dayPtr(t.Lot.ExpiryDate), Status: string(t.Lot.Status)}
	std := t.Product.Standards
	if std == nil {
		std = []string{}
	}
	j.Product = &verifyProductJSON{ID: t.Product.ID, NameVI: t.Product.NameVI, NameEN: ptr(t.Product.NameEN), Group: string(t.Product.Group),
		GTIN: ptr(t.Product.GTIN), Story: t.Product.Story, Standards: std}
	if v.Stars > 0 {
		j.Product.Stars = &v.Stars
	}
	j.Producer = &verifyProducerJSON{ID: t.Producer.ID, Name: t.Producer.Name, Kind: string(t.Producer.Kind),
		Commune: t.Producer.Commune, ProvinceCode: t.Producer.ProvinceCode}
	if v.Certificate != nil {
		c := toCertificateJSON(&app.CertificateView{Certificate: *v.Certificate, State: v.Certificate.StatusAt(v.At)})
		j.Certificate = &c
	}
	return j
}

// verifyStamp is the GS1 Digital Link resolver: the stamp's own URL
// (/01/{gtin}/10/{lot}/21/{serial}?k=&s= or /t/{lot}/{serial}?k=&s=)
// answers with the verdict, as JSON for programs and as a page for people.
// Every verdict, "invalid" included, is a 200: the check itself worked.
func (s *Server) verifyStamp(c *gin.Context) {
	ctx := c.Request.Context()
	host, err := s.svc.StampHost(ctx)
	if err != nil {
		fail(c, err)
		return
	}
	raw := "https://" + host + c.Request.URL.EscapedPath()
	if c.Request.URL.RawQuery != "" {
		raw += "?" + c.Request.URL.RawQuery
	}
	in := app.VerifyRequest{URL: raw, DeviceID: deviceID(c)}
	if h := s.svc.ScanProvinceHeader(ctx); h != "" {
		in.ProvinceCode = c.GetHeader(h)
	}
	v, err := s.svc.VerifyStamp(ctx, in)
	c.Header("Vary", "Accept, Cookie")
	if err != nil {
		if wantsJSON(c) {
			fail(c, err)
			return
		}
		_ = c.Error(err)
		s.html(c, http.StatusServiceUnavailable, func(b *bytes.Buffer) error {
			return ocopweb.Message(b, "suspicious", "Chưa kiểm tra được", "Hệ thống đang bận. Vui lòng quét lại sau ít phút.")
		})
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusOK, toVerificationJSON(v))
		return
	}
	s.html(c, http.StatusOK, func(b *bytes.Buffer) error { return ocopweb.Verification(b, v) })
}

// cataloguePage is the public OCOP catalogue (/ocop): search without
// diacritics, filter by group, stars, district or market.
func (s *Server) cataloguePage(c *gin.Context) {
	q, err := catalogueQuery(c)
	data := ocopweb.Catalogue{Query: q}
	if err == nil {
		var items []app.ProductView
		items, err = s.svc.ListProducts(c.Request.Context(), q)
		data.Items = items
		limit := q.Limit
		if limit == 0 {
			limit = 50
		}
		if len(items) == limit {
			data.Next = items[len(items)-1].ID
		}
	}
	status := http.StatusOK
	if err != nil {
		if errs.CodeOf(err) != errs.Invalid {
			_ = c.Error(err)
			status = http.StatusServiceUnavailable
			data.Error = "Hệ thống đang bận, vui lòng thử lại sau."
		} else {
			status = http.StatusUnprocessableEntity
			var e *errs.Error
			errors.As(err, &e)
			data.Error = "Yêu cầu tìm kiếm không hợp lệ: " + e.Message
		}
	}
	s.html(c, status, func(b *bytes.Buffer) error { return ocopweb.CataloguePage(b, data) })
}
