package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/printable"
)

// stallPoster serves the printable poster of an active stall: a one-page
// A6 or A5 PDF with its static VietQR, name, number, market and bank, for
// the vendor to print and tape to the stall. Public like the QR images.
//
// It makes two service calls where handlers usually make one: the stall
// (through stallPayload, which also checks it is active) and its market's
// name. Both are public reads, and a combined read would be a service
// method for a single caller.
func (s *Server) stallPoster(c *gin.Context) {
	size := c.DefaultQuery("size", "A6")
	if size != "A6" && size != "A5" {
		fail(c, errs.Field("size", `must be "A6" or "A5"`))
		return
	}
	lang := c.DefaultQuery("lang", "vi")
	if lang != "vi" && lang != "en" {
		fail(c, errs.Field("lang", `must be "vi" or "en"`))
		return
	}
	st, payload, ok := s.stallPayload(c)
	if !ok {
		return
	}
	mkt, err := s.svc.Market(c.Request.Context(), st.MarketID)
	if err != nil {
		fail(c, err)
		return
	}
	var pdf bytes.Buffer
	err = printable.Poster(&pdf, printable.PosterData{
		Size: size, Payload: payload, StallName: st.Name, StallNumber: st.StallNumber, MarketName: mkt.Name,
		BankName: bankName(st.BankBIN), AccountNumberMasked: maskAccount(st.AccountNumber), Lang: lang,
	})
	if err != nil {
		fail(c, err)
		return
	}
	// Posters are deterministic, so a hash of the bytes is a strong ETag
	// that also changes when the layout does. Rendering is ~20 ms of CPU;
	// a 304 saves the vendor's mobile data, not the server's work.
	sum := sha256.Sum256(pdf.Bytes())
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	c.Header("ETag", etag)
	c.Header("Cache-Control", "public, max-age=300")
	if c.GetHeader("If-None-Match") == etag {
		c.Status(http.StatusNotModified)
		return
	}
	name := st.StallNumber
	if name == "" {
		name = st.ID
	}
	// Stall numbers are [A-Z0-9/-]; '/' cannot be in a file name.
	c.Header("Content-Disposition", `inline; filename="stall-`+strings.ReplaceAll(name, "/", "-")+`.pdf"`)
	c.Data(http.StatusOK, "application/pdf", pdf.Bytes())
}

// maskAccount keeps only the last 4 characters of an account number for
// print, as bank apps show it ("•••• 3456"): a poster is photographed and
// shared, and its text should not hand out the full number (the QR code
// must hold it, but reading it takes a deliberate scan). An account of 4
// characters or fewer is masked entirely.
func maskAccount(acct string) string {
	if len(acct) <= 4 {
		return "••••"
	}
	return "•••• " + acct[len(acct)-4:]
}
