package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
)

type registerReq struct {
	Phone    string `json:"phone"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

func (s *Server) register(c *gin.Context) {
	var req registerReq
	if !decode(c, &req) {
		return
	}
	sess, err := s.svc.Register(c.Request.Context(), app.RegisterInput{Phone: req.Phone, Password: req.Password, Name: req.Name})
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, sessionJSON{Token: sess.Token, User: toUserJSON(sess.User)})
}

type loginReq struct {
	Phone    string `json:"phone"`
	Password string `json:"password"`
}

func (s *Server) login(c *gin.Context) {
	var req loginReq
	if !decode(c, &req) {
		return
	}
	sess, err := s.svc.Login(c.Request.Context(), app.LoginInput{Phone: req.Phone, Password: req.Password, ClientIP: c.ClientIP()})
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, sessionJSON{Token: sess.Token, User: toUserJSON(sess.User)})
}

func (s *Server) logout(c *gin.Context) {
	tok := strings.TrimSpace(strings.TrimPrefix(c.GetHeader("Authorization"), "Bearer "))
	if err := s.svc.Logout(c.Request.Context(), tok); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) me(c *gin.Context) { c.JSON(http.StatusOK, toUserJSON(user(c))) }

type districtReq struct {
	Name     string `json:"name"`
	Province string `json:"province"`
}

func (s *Server) createDistrict(c *gin.Context) {
	var req districtReq
	if !decode(c, &req) {
		return
	}
	d, err := s.svc.CreateDistrict(c.Request.Context(), actor(c), market.District{Name: req.Name, Province: req.Province})
	reply(c, http.StatusCreated, d, err, toDistrictJSON)
}

func (s *Server) listDistricts(c *gin.Context) {
	p, err := page(c)
	if err != nil {
		fail(c, err)
		return
	}
	ds, err := s.svc.ListDistricts(c.Request.Context(), p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(ds, p.Limit, toDistrictJSON, func(d *market.District) string { return d.ID }))
}

func (s *Server) getDistrict(c *gin.Context) {
	d, err := s.svc.District(c.Request.Context(), c.Param("id"))
	reply(c, http.StatusOK, d, err, toDistrictJSON)
}

type marketReq struct {
	DistrictID string `json:"district_id"`
	Name       string `json:"name"`
	Address    string `json:"address"`
}

func (s *Server) createMarket(c *gin.Context) {
	var req marketReq
	if !decode(c, &req) {
		return
	}
	m, err := s.svc.CreateMarket(c.Request.Context(), actor(c), market.Market{DistrictID: req.DistrictID, Name: req.Name, Address: req.Address})
	reply(c, http.StatusCreated, m, err, toMarketJSON)
}

func (s *Server) listMarkets(c *gin.Context) {
	p, err := page(c)
	if err != nil {
		fail(c, err)
		return
	}
	ms, err := s.svc.ListMarkets(c.Request.Context(), app.MarketFilter{Page: p, DistrictID: c.Query("district_id")})
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(ms, p.Limit, toMarketJSON, func(m *market.Market) string { return m.ID }))
}

func (s *Server) getMarket(c *gin.Context) {
	m, err := s.svc.Market(c.Request.Context(), c.Param("id"))
	reply(c, http.StatusOK, m, err, toMarketJSON)
}

func (s *Server) importStalls(c *gin.Context) {
	ct := c.GetHeader("Content-Type")
	if !strings.HasPrefix(ct, "text/csv") {
		fail(c, &errs.Error{Code: errs.UnsupportedMedia, Message: "Content-Type must be text/csv",
			Fields: []errs.FieldError{{Field: "Content-Type", Message: "must be text/csv"}}})
		return
	}
	body := &limitedBody{r: c.Request.Body}
	res, err := s.svc.ImportStalls(c.Request.Context(), actor(c), c.Param("id"), body, nil)
	if body.tooLarge != nil {
		// The CSV reader turns a read error into a row or header error; a body
		// over the limit is the client's 413, not a malformed file.
		fail(c, errs.E(errs.TooLarge, "request body is larger than %d bytes", body.tooLarge.Limit))
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, importResultJSON{Rows: res.Rows, Created: res.Created, Errors: []app.RowError{}})
}

// importResultJSON is the body of a successful import. Errors is always an
// empty array there (row errors come back as a 422 problem), never null.
type importResultJSON struct {
	Rows    int            `json:"rows"`
	Created int            `json:"created"`
	Errors  []app.RowError `json:"errors"`
}

// limitedBody remembers whether reading stopped at the body size limit.
type limitedBody struct {
	r        io.Reader
	tooLarge *http.MaxBytesError
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	var big *http.MaxBytesError
	if errors.As(err, &big) {
		b.tooLarge = big
	}
	return n, err
}

type stallReq struct {
	MarketID      string `json:"market_id"`
	StallNumber   string `json:"stall_number"`
	Name          string `json:"name"`
	Category      string `json:"category"`
	BankBIN       string `json:"bank_bin"`
	AccountNumber string `json:"account_number"`
	AccountName   string `json:"account_name"`
}

func (r stallReq) input() app.StallInput {
	return app.StallInput{MarketID: r.MarketID, StallNumber: r.StallNumber, Name: r.Name, Category: r.Category,
		BankBIN: r.BankBIN, AccountNumber: r.AccountNumber, AccountName: r.AccountName}
}

func (s *Server) createStall(c *gin.Context) {
	var req stallReq
	if !decode(c, &req) {
		return
	}
	st, err := s.svc.CreateStall(c.Request.Context(), actor(c), req.input())
	reply(c, http.StatusCreated, st, err, toStallJSON)
}

func (s *Server) updateStall(c *gin.Context) {
	var req stallReq
	if !decode(c, &req) {
		return
	}
	st, err := s.svc.UpdateStall(c.Request.Context(), actor(c), c.Param("id"), req.input())
	reply(c, http.StatusOK, st, err, toStallJSON)
}

func (s *Server) getStall(c *gin.Context) {
	st, err := s.svc.Stall(c.Request.Context(), actor(c), c.Param("id"))
	reply(c, http.StatusOK, st, err, toStallJSON)
}

func (s *Server) listStalls(c *gin.Context) {
	p, err := page(c)
	if err != nil {
		fail(c, err)
		return
	}
	f := app.StallFilter{Page: p, MarketID: c.Query("market_id"), DistrictID: c.Query("district_id"), Status: market.StallStatus(c.Query("status"))}
	if f.Status != "" && f.Status != market.StallPending && f.Status != market.StallActive && f.Status != market.StallSuspended {
		fail(c, errs.Field("status", "must be pending, active or suspended"))
		return
	}
	sts, err := s.svc.ListStalls(c.Request.Context(), actor(c), f)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(sts, p.Limit, toStallJSON, func(s *market.Stall) string { return s.ID }))
}

func (s *Server) approveStall(c *gin.Context) { s.setStallStatus(c, market.StallActive) }
func (s *Server) suspendStall(c *gin.Context) { s.setStallStatus(c, market.StallSuspended) }

func (s *Server) setStallStatus(c *gin.Context, to market.StallStatus) {
	st, err := s.svc.SetStallStatus(c.Request.Context(), actor(c), c.Param("id"), to)
	reply(c, http.StatusOK, st, err, toStallJSON)
}
