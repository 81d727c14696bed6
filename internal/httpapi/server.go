// Package httpapi is the JSON API over HTTP: gin routes, request and
// response shapes, error mapping, middleware and Server-Sent Events. It is
// the only package that imports gin. Handlers decode, make one service call,
// and encode; rules live in the app and domain packages.
package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
)

// Context keys set by middleware.
const (
	ctxRequestID = "request_id"
	ctxUser      = "user"
	ctxProblem   = "problem"
)

// Options configure the HTTP layer.
type Options struct {
	Logger       *slog.Logger
	Registry     *prometheus.Registry // metrics are registered here; nil creates one
	MaxBodyBytes int64                // request body limit; 0 means 1 MiB
	OpenAPI      []byte               // served at /openapi.yaml
	PublicRate   int                  // requests per minute per IP on public endpoints; 0 means 120
	Heartbeat    time.Duration        // SSE heartbeat interval; 0 means 15 s
	// TrustedProxies are the addresses (or CIDRs) of reverse proxies whose
	// X-Forwarded-For is believed. Empty: none — the peer address is the
	// client, so nobody can pick their own rate-limit key.
	TrustedProxies []string
	// MaxImportBytes is the body limit of CSV stall imports; 0 means 8 MiB.
	MaxImportBytes int64
	// MaxImageBytes is the body limit of product photo uploads; 0 means
	// 8 MiB (a 16-megapixel phone JPEG is 3–6 MB).
	MaxImageBytes int64
	// Mount lets tests add routes to the engine directly.
	Mount func(*gin.Engine)
	// Fallback serves every path outside /v1 and the operational endpoints
	// that no route matched: the web pages and the mounted simulators. cmd/
	// composes it from plain http.Handlers, so gin stays in this package.
	Fallback http.Handler
}

// Server holds the dependencies of the handlers.
type Server struct {
	svc     *app.Service
	log     *slog.Logger
	opt     Options
	metrics *metrics
	public  *limiter
	images  *limiter // public photo reads: 10× the public rate (imageThrottle)
}

func init() { gin.SetMode(gin.ReleaseMode) }

// New builds the HTTP handler with every route in one place.
func New(svc *app.Service, opt Options) http.Handler {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Registry == nil {
		opt.Registry = prometheus.NewRegistry()
	}
	if opt.MaxBodyBytes == 0 {
		opt.MaxBodyBytes = 1 << 20
	}
	if opt.PublicRate == 0 {
		opt.PublicRate = 120
	}
	if opt.MaxImportBytes == 0 {
		opt.MaxImportBytes = 8 << 20
	}
	if opt.MaxImageBytes == 0 {
		opt.MaxImageBytes = 8 << 20
	}
	s := &Server{svc: svc, log: opt.Logger, opt: opt, metrics: newMetrics(opt.Registry), public: newLimiter(opt.PublicRate, time.Minute),
		images: newLimiter(10*opt.PublicRate, time.Minute)}

	r := gin.New()
	if err := r.SetTrustedProxies(opt.TrustedProxies); err != nil {
		panic(fmt.Sprintf("httpapi: bad trusted proxy list: %v", err)) // cmd/ validates the config first
	}
	r.HandleMethodNotAllowed = true
	r.RemoveExtraSlash = true
	r.Use(s.requestID, s.accessLog, s.recover, s.securityHeaders, s.validURL, s.bodyLimit)
	r.NoRoute(func(c *gin.Context) {
		if opt.Fallback != nil && !strings.HasPrefix(c.Request.URL.Path, "/v1/") {
			// gin presets 404 for unmatched routes; a handler that writes
			// without calling WriteHeader means 200, as net/http does.
			c.Status(http.StatusOK)
			opt.Fallback.ServeHTTP(c.Writer, c.Request)
			return
		}
		fail(c, errs.E(errs.NotFound, "no such endpoint"))
	})
	// gin has set the Allow header (the path's methods) before this runs.
	r.NoMethod(func(c *gin.Context) { fail(c, errs.E(errs.MethodNotAllowed, "method not allowed on this endpoint")) })

	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(opt.Registry, promhttp.HandlerOpts{})))
	r.GET("/openapi.yaml", s.openapi)

	v1 := r.Group("/v1", s.authenticate)
	v1.POST("/auth/register", s.throttle, s.register)
	v1.POST("/auth/login", s.login)
	v1.POST("/auth/logout", s.requireUser, s.logout)
	v1.GET("/me", s.requireUser, s.me)

	v1.GET("/districts", s.listDistricts)
	v1.POST("/districts", s.requireUser, s.createDistrict)
	v1.GET("/districts/:id", s.getDistrict)

	v1.GET("/markets", s.listMarkets)
	v1.POST("/markets", s.requireUser, s.createMarket)
	v1.GET("/markets/:id", s.getMarket)
	v1.POST(strings.TrimPrefix(importPath, "/v1"), s.requireUser, s.importStalls)

	v1.GET("/stalls", s.requireUser, s.listStalls)
	v1.POST("/stalls", s.requireUser, s.createStall)
	v1.GET("/stalls/:id", s.requireUser, s.getStall)
	v1.PATCH("/stalls/:id", s.requireUser, s.updateStall)
	v1.POST("/stalls/:id/approve", s.requireUser, s.approveStall)
	v1.POST("/stalls/:id/suspend", s.requireUser, s.suspendStall)
	v1.GET("/stalls/:id/qr", s.throttle, s.stallQR)
	v1.GET("/stalls/:id/qr.png", s.throttle, s.stallQRPNG)
	v1.GET("/stalls/:id/qr.svg", s.throttle, s.stallQRSVG)
	v1.GET("/stalls/:id/poster.pdf", s.throttle, s.stallPoster)

	v1.GET("/stalls/:id/payments", s.requireUser, s.listStallPayments)
	v1.GET("/stalls/:id/events", s.requireUser, s.stallEvents)

	v1.POST("/payments", s.requireUser, s.createPayment)
	v1.GET("/payments/:id", s.requireUser, s.getPayment)
	v1.POST("/payments/:id/cancel", s.requireUser, s.cancelPayment)
	v1.GET("/payments/:id/qr.png", s.throttle, s.paymentQR("png"))
	v1.GET("/payments/:id/qr.svg", s.throttle, s.paymentQR("svg"))
	v1.GET("/payments/:id/refunds", s.requireUser, s.listRefunds)
	v1.POST("/payments/:id/refunds", s.requireUser, s.createRefund)

	v1.POST("/webhooks/:provider", s.webhook)
	v1.POST("/reconcile", s.requireUser, s.reconcile)
	v1.GET("/transfers", s.requireUser, s.listTransfers)

	v1.GET("/banks", s.listBanks)
	v1.POST("/vietqr/encode", s.throttle, s.encodeVietQR)
	v1.POST("/vietqr/decode", s.throttle, s.decodeVietQR)

	s.mountOCOP(r, v1)
	s.mountTransparency(v1)
	if opt.Mount != nil {
		opt.Mount(r)
	}
	return r
}

func (s *Server) healthz(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }

func (s *Server) readyz(c *gin.Context) {
	if err := s.svc.Ping(c.Request.Context()); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

func (s *Server) openapi(c *gin.Context) {
	c.Data(http.StatusOK, "application/yaml", s.opt.OpenAPI)
}

// requestID takes a sane X-Request-Id from the client or makes one, and
// echoes it so a vendor's support call can be traced in the logs.
func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-Id")
	if len(id) == 0 || len(id) > 64 || strings.ContainsAny(id, " \t\r\n\"") {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	}
	c.Set(ctxRequestID, id)
	c.Header("X-Request-Id", id)
	c.Next()
}

// accessLog logs every request once (never its body, token or query
// string, which may carry secrets) and feeds the metrics.
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	status := c.Writer.Status()
	d := time.Since(start)
	s.metrics.observe(route, c.Request.Method, status, d)
	for _, e := range c.Errors {
		logError(s.log, c, e.Err)
	}
	if route == "/metrics" || route == "/healthz" {
		return
	}
	lvl := slog.LevelInfo
	if status >= 500 {
		lvl = slog.LevelError
	}
	s.log.LogAttrs(c.Request.Context(), lvl, "http",
		slog.String("request_id", c.GetString(ctxRequestID)),
		slog.String("method", c.Request.Method), slog.String("route", route),
		slog.Int("status", status), slog.Duration("duration", d),
		slog.String("problem", c.GetString(ctxProblem)))
}

// recover turns a panic into a logged 500 problem instead of a dropped
// connection.
func (s *Server) recover(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			fail(c, errs.E(errs.Internal, "panic: %v", v))
		}
	}()
	c.Next()
}

func (s *Server) securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	if strings.HasPrefix(c.Request.URL.Path, "/v1/") {
		h.Set("Cache-Control", "no-store")
	}
	c.Next()
}

// bodyLimit caps request bodies; CSV imports get a larger cap so a whole
// market's file fits.
func (s *Server) bodyLimit(c *gin.Context) {
	limit := s.opt.MaxBodyBytes
	switch {
	case c.FullPath() == importPath:
		limit = s.opt.MaxImportBytes
	case c.FullPath() == imagesPath && c.Request.Method == http.MethodPost:
		limit = s.opt.MaxImageBytes
	case !strings.HasPrefix(c.Request.URL.Path, "/v1/"):
		// Pages and simulators behind the fallback take uploads (the mock
		// bank app's QR photos) and enforce their own, smaller limits.
		limit = max(limit, fallbackBodyBytes)
	}
	if c.Request.ContentLength > limit {
		fail(c, errs.E(errs.TooLarge, "request body is larger than %d bytes", limit))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	c.Next()
}

const importPath = "/v1/markets/:id/stalls/import"

// fallbackBodyBytes bounds bodies sent to non-API paths.
const fallbackBodyBytes = 4 << 20

// validURL refuses paths and query strings that are not valid UTF-8 or
// carry NUL bytes before they reach a handler: PostgreSQL rejects such text
// outright, and no legitimate id, cursor or filter contains them.
func (s *Server) validURL(c *gin.Context) {
	if p := c.Request.URL.Path; !utf8.ValidString(p) || strings.ContainsRune(p, 0) {
		fail(c, errs.E(errs.NotFound, "no such resource"))
		return
	}
	for k, vs := range c.Request.URL.Query() {
		for _, v := range vs {
			if !utf8.ValidString(k) || !utf8.ValidString(v) || strings.ContainsRune(k+v, 0) {
				fail(c, errs.Field(k, "must be valid UTF-8 without NUL bytes"))
				return
			}
		}
	}
	c.Next()
}

// authenticate resolves a bearer token when one is sent; a bad token is an
// error even on public routes, so a client learns its session expired.
func (s *Server) authenticate(c *gin.Context) {
	h := c.GetHeader("Authorization")
	if h == "" && c.Query("access_token") != "" && strings.HasSuffix(c.Request.URL.Path, "/events") {
		// Browsers' EventSource cannot send headers; the live stream alone
		// accepts the token in the query string (never logged).
		h = "Bearer " + c.Query("access_token")
	}
	if h == "" {
		c.Next()
		return
	}
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		fail(c, errs.E(errs.Unauthenticated, "Authorization must be \"Bearer <token>\""))
		return
	}
	u, err := s.svc.Authenticate(c.Request.Context(), strings.TrimSpace(tok))
	if err != nil {
		c.Header("WWW-Authenticate", `Bearer realm="market4"`)
		fail(c, err)
		return
	}
	c.Set(ctxUser, u)
	c.Next()
}

func (s *Server) requireUser(c *gin.Context) {
	if _, ok := c.Get(ctxUser); !ok {
		c.Header("WWW-Authenticate", `Bearer realm="market4"`)
		fail(c, errs.E(errs.Unauthenticated, "log in first: send Authorization: Bearer <token>"))
		return
	}
	c.Next()
}

// throttle rate-limits anonymous public endpoints per client IP.
func (s *Server) throttle(c *gin.Context) {
	if !s.public.allow(c.ClientIP()) {
		fail(c, errs.E(errs.RateLimited, "too many requests; slow down"))
		return
	}
	c.Next()
}

func user(c *gin.Context) *market.User {
	v, _ := c.Get(ctxUser)
	u, _ := v.(*market.User)
	return u
}

func actor(c *gin.Context) market.Actor { return app.ActorOf(user(c)) }

func page(c *gin.Context) (app.Page, error) {
	p := app.Page{After: c.Query("after")}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 200 {
			return p, errs.Field("limit", "must be an integer from 1 to 200")
		}
		p.Limit = n
	}
	return p, nil
}
