// Package web serves the product's pages: the vendor's installable app
// (/app), vendor registration (/app/register), the district staff's
// approval screen (/staff), the public stall page shoppers reach from a
// printed QR (/s/{id}) and a landing page, with their static assets, all
// embedded in the binary.
//
// It uses only net/http and html/template: gin is the JSON API's business
// (internal/httpapi), and the pages reach the use cases either directly
// (server-rendered public stall page) or from the browser through the /v1
// API with the bearer token kept in localStorage (vendor and staff apps).
//
// Budget: the vendor's phone is a cheap Android on 3G, so there is no
// framework, no CDN, no web font, no external request of any kind; scripts
// are small vanilla files with content-hashed URLs cached for a year;
// pages and text assets are gzipped; pages carry ETags so a revisit costs a
// 304. Content-Security-Policy forbids inline scripts and any other origin.
package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/web/ocopweb"
	"github.com/market4/market4/pkg/vietqr"
)

// Options configure the pages.
type Options struct {
	// Service answers the server-rendered public stall page. Required.
	Service *app.Service
	// PublicURL is the external base URL (e.g. https://market4.vn), shown
	// to vendors as their stall page's address. Default http://localhost:8080.
	PublicURL string
	// Logger receives unexpected errors. Default: discard.
	Logger *slog.Logger
}

// CSP is the Content-Security-Policy of every response: this origin only,
// no inline script or style, no plugins, no framing.
const CSP = "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'"

// Routes are the path patterns New serves, for mounting in another router:
// a trailing "*" matches any rest of the path. "/" is the landing page
// only; New answers any other path outside Routes with its HTML 404 page,
// so mounting it as a catch-all is also fine. In an http.ServeMux (e.g.
// httpapi.Options.Fallback):
//
//	h := web.New(opt)
//	for _, p := range web.Routes() { mux.Handle(strings.TrimSuffix(p, "*"), h) }
//
// or in a gin engine:
//
//	for _, p := range web.Routes() { r.Any(strings.Replace(p, "*", "*path", 1), gin.WrapH(h)) }
func Routes() []string {
	return []string{"/", "/app", "/app/*", "/staff", "/s/*", "/static/*", "/manifest.webmanifest", "/sw.js"}
}

type server struct {
	svc       *app.Service
	log       *slog.Logger
	publicURL string
	as        *assets
	pages     map[string]map[string]*template.Template // page → lang → template
	manifest  *asset
	sw        *asset
	limit     *limiter
}

// New builds the handler serving Routes. It panics without a Service, as
// the handler could not answer the public stall page.
func New(opt Options) http.Handler {
	if opt.Service == nil {
		panic("web: Options.Service is required")
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.PublicURL == "" {
		opt.PublicURL = "http://localhost:8080"
	}
	s := &server{svc: opt.Service, log: opt.Logger, publicURL: strings.TrimRight(opt.PublicURL, "/"), as: loadAssets(),
		limit: newLimiter(240, time.Minute)}
	s.pages = mustParsePages(s.as)
	s.manifest = s.buildManifest()
	s.sw = s.buildServiceWorker()

	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", s.page("landing", "title.landing", pageOpts{}))
	m.HandleFunc("GET /app", s.page("app", "title.app", pageOpts{scripts: []string{"common.js", "vendor.js"}, pwa: true, noIndex: true}))
	m.HandleFunc("GET /app/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/app", http.StatusMovedPermanently)
	})
	m.HandleFunc("GET /app/register", s.page("register", "title.register", pageOpts{scripts: []string{"common.js", "register.js"}, pwa: true, noIndex: true}))
	m.HandleFunc("GET /staff", s.page("staff", "title.staff", pageOpts{scripts: []string{"common.js", "staff.js"}, noIndex: true}))
	m.HandleFunc("GET /s/{id}", s.publicStall)
	m.HandleFunc("GET /static/{name}", s.as.serveStatic)
	m.HandleFunc("GET /manifest.webmanifest", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		serveBytes(w, r, s.manifest.ctype, s.manifest.etag, s.manifest.body, s.manifest.gz)
	})
	m.HandleFunc("GET /sw.js", func(w http.ResponseWriter, r *http.Request) {
		// Never cached by HTTP: browsers compare it byte for byte to decide
		// whether a new version of the app is out.
		w.Header().Set("Cache-Control", "no-cache")
		serveBytes(w, r, s.sw.ctype, s.sw.etag, s.sw.body, s.sw.gz)
	})
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusNotFound, "error", "title.notfound", pageOpts{}, errorView{Key: "err.notfound"})
	})
	return securityHeaders(m)
}

// securityHeaders sets the headers every page and asset carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// pageOpts are what a page needs beyond its template.
type pageOpts struct {
	scripts []string // static asset names, loaded with defer
	pwa     bool     // link the manifest (pages inside the app's scope)
	noIndex bool
}

// view is the data every template receives.
type view struct {
	Lang      string
	Other     string // the other language, for the switch
	Title     string
	Scripts   []string
	PWA       bool
	NoIndex   bool
	Dict      string // JSON of this language's dictionary, for scripts
	PublicURL string
	Data      any // the page's own data
}

type errorView struct{ Key string }

func (s *server) page(name, titleKey string, o pageOpts) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusOK, name, titleKey, o, nil)
	}
}

// render executes a page in the visitor's language into a buffer, so that
// a template error becomes a clean 500 rather than half a page, and so the
// page can carry an ETag and be gzipped.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name, titleKey string, o pageOpts, data any) {
	lang, redirect := chooseLang(w, r)
	if redirect != "" {
		http.Redirect(w, r, redirect, http.StatusSeeOther)
		return
	}
	v := view{Lang: lang, Other: otherLang(lang), Title: tr(lang, titleKey), Scripts: o.scripts, PWA: o.pwa,
		NoIndex: o.noIndex, PublicURL: s.publicURL, Data: data}
	if len(o.scripts) > 0 {
		v.Dict = dictJSON(lang)
	}
	var buf bytes.Buffer
	if err := s.pages[name][lang].ExecuteTemplate(&buf, "layout", v); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-cache")
	h.Add("Vary", "Cookie")
	if status != http.StatusOK {
		// Error pages are small and not worth revalidating.
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		w.Write(buf.Bytes())
		return
	}
	sum := sha256.Sum256(buf.Bytes())
	etag := `"` + hex.EncodeToString(sum[:10]) + `"`
	var gz []byte
	if buf.Len() > 1024 && acceptsGzip(r) {
		gz = gzipPage(buf.Bytes())
	}
	serveBytes(w, r, "text/html; charset=utf-8", etag, buf.Bytes(), gz)
}

var gzPool = sync.Pool{New: func() any { zw, _ := gzip.NewWriterLevel(nil, 6); return zw }}

func gzipPage(b []byte) []byte {
	var out bytes.Buffer
	zw := gzPool.Get().(*gzip.Writer)
	zw.Reset(&out)
	zw.Write(b)
	zw.Close()
	gzPool.Put(zw)
	return out.Bytes()
}

// stallView is what the public stall page shows: deliberately no owner,
// no phone, no account holder name and no account number in text (the
// VietQR carries the account for the banking app, nothing more).
type stallView struct {
	ID          string
	Name        string
	StallNumber string
	Category    string
	MarketName  string
	Bank        string // NAPAS short name, e.g. "Vietcombank"
	QRSVG       template.HTML
	// OCOP is the hook for the OCOP products this stall sells (another
	// engineer's work): nil renders nothing; the template marks the spot.
	OCOP any
}

func (s *server) publicStall(w http.ResponseWriter, r *http.Request) {
	o := pageOpts{}
	if !s.limit.allow(clientIP(r)) {
		w.Header().Set("Retry-After", "60")
		s.render(w, r, http.StatusTooManyRequests, "error", "title.error", o, errorView{Key: "err.rate_limited"})
		return
	}
	id := r.PathValue("id")
	if _, err := uuid.Parse(id); err != nil {
		s.render(w, r, http.StatusNotFound, "error", "title.notfound", o, errorView{Key: "err.stall_notfound"})
		return
	}
	v, err := s.stallView(r.Context(), id)
	switch {
	case errs.Is(err, errs.NotFound):
		s.render(w, r, http.StatusNotFound, "error", "title.notfound", o, errorView{Key: "err.stall_notfound"})
		return
	case err != nil:
		s.log.Error("public stall page", "stall_id", id, "err", err)
		s.render(w, r, http.StatusInternalServerError, "error", "title.error", o, errorView{Key: "err.internal"})
		return
	}
	s.render(w, r, http.StatusOK, "stall", "title.stall", o, v)
}

func (s *server) stallView(ctx context.Context, id string) (*stallView, error) {
	st, err := s.svc.PublicStall(ctx, id)
	if err != nil {
		return nil, err
	}
	v := &stallView{ID: st.ID, Name: st.Name, StallNumber: st.StallNumber, Category: st.Category}
	if m, err := s.svc.Market(ctx, st.MarketID); err == nil {
		v.MarketName = m.Name
	} else if !errs.Is(err, errs.NotFound) {
		return nil, err
	}
	if b, ok := vietqr.LookupBank(st.BankBIN); ok {
		v.Bank = b.ShortName
	}
	payload, err := vietqr.Encode(st.StaticQR())
	if err != nil {
		return nil, fmt.Errorf("encode static QR: %w", err)
	}
	svg, err := vietqr.SVG(payload)
	if err != nil {
		return nil, fmt.Errorf("render static QR: %w", err)
	}
	// Trusted: rendered by our own encoder from digits and fixed markup.
	v.QRSVG = template.HTML(svg)
	offers, err := s.svc.StallProducts(ctx, market.Actor{}, st.ID)
	if err != nil {
		return nil, err
	}
	var items []ocopItem
	for _, o := range offers {
		it := ocopItem{ID: o.ProductID, NameVI: o.ProductNameVI, NameEN: o.ProductNameEN, Price: o.Price.Format()}
		// Stars come from the product's active certificate, now; the
		// picture is its cover photo's thumbnail.
		if pv, err := s.svc.Product(ctx, o.ProductID); err == nil {
			it.Stars = pv.Stars
			if len(pv.Images) > 0 {
				c := pv.Images[0]
				it.Thumb = &ocopThumb{URL: ocopweb.ImageURL(c.ProductID, c.ID, true), Width: c.ThumbWidth, Height: c.ThumbHeight}
			}
		} else if !errs.Is(err, errs.NotFound) {
			return nil, err
		}
		items = append(items, it)
	}
	if len(items) > 0 {
		v.OCOP = items
	}
	return v, nil
}

// ocopItem is one OCOP product a stall sells, as its public page shows it.
type ocopItem struct {
	ID, NameVI, NameEN, Price string
	Stars                     int
	Thumb                     *ocopThumb // the cover photo, nil when none
}

// ocopThumb is a product photo's thumbnail (400 px on its long edge).
type ocopThumb struct {
	URL           string
	Width, Height int
}

// StarsText renders a star rating for people and screen readers alike.
func (o ocopItem) StarsText() string { return strings.Repeat("★", o.Stars) }

// mustParsePages parses every page once per language: the translation
// function is bound at parse time, so templates just say {{t "key"}} and a
// missing key fails the render (and the tests) instead of showing a key.
func mustParsePages(as *assets) map[string]map[string]*template.Template {
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]map[string]*template.Template{}
	for _, lang := range langs {
		funcs := template.FuncMap{
			"t":          func(key string) (string, error) { return trErr(lang, key) },
			"asset":      as.url,
			"cat":        func(c string) (string, error) { return trErr(lang, "cat."+c) },
			"categories": func() []string { return market.Categories },
			"lang":       func() string { return lang },
		}
		base := template.Must(template.New("layout").Funcs(funcs).ParseFS(files, "templates/layout.html"))
		for _, n := range names {
			name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
			if name == "layout" {
				continue
			}
			t := template.Must(template.Must(base.Clone()).ParseFS(files, n))
			if out[name] == nil {
				out[name] = map[string]*template.Template{}
			}
			out[name][lang] = t
		}
	}
	return out
}

// buildManifest makes the web app manifest with content-hashed icon URLs.
func (s *server) buildManifest() *asset {
	icon := func(name, sizes, typ, purpose string) map[string]string {
		u, err := s.as.url(name)
		if err != nil {
			panic(err)
		}
		return map[string]string{"src": u, "sizes": sizes, "type": typ, "purpose": purpose}
	}
	m := map[string]any{
		"name":             tr("vi", "app.name"),
		"short_name":       "Market4",
		"description":      tr("vi", "app.description"),
		"lang":             "vi",
		"start_url":        "/app",
		"scope":            "/app",
		"id":               "/app",
		"display":          "standalone",
		"orientation":      "portrait",
		"background_color": "#ffffff",
		"theme_color":      "#0a6b2e",
		"icons": []map[string]string{
			icon("icon-192.png", "192x192", "image/png", "any"),
			icon("icon-512.png", "512x512", "image/png", "any"),
			icon("icon-512.png", "512x512", "image/png", "maskable"),
			icon("icon.svg", "any", "image/svg+xml", "any"),
		},
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		panic(err)
	}
	return newAsset("manifest.webmanifest", b)
}

// swAssets are the files the app's pages (/app, /app/register) need, kept
// by the service worker for offline use.
var swAssets = []string{"app.css", "common.js", "vendor.js", "register.js", "icon.svg", "icon-192.png", "icon-512.png"}

// buildServiceWorker fills in the service worker's list of files to keep
// for offline use. Its version is the hash of that list, so any change to
// any asset produces a new worker, which replaces the old cache.
func (s *server) buildServiceWorker() *asset {
	src, err := files.ReadFile("templates/sw.js")
	if err != nil {
		panic(err)
	}
	shell := []string{"/app", "/app/register", "/manifest.webmanifest"}
	for _, n := range swAssets {
		u, err := s.as.url(n)
		if err != nil {
			panic(err)
		}
		shell = append(shell, u)
	}
	list, _ := json.Marshal(shell)
	sum := sha256.Sum256(list)
	body := strings.NewReplacer("__VERSION__", hex.EncodeToString(sum[:6]), "__SHELL__", string(list)).Replace(string(src))
	a := newAsset("sw.js", []byte(body))
	return a
}

// limiter is a per-client fixed-window counter for the anonymous public
// stall page, which reads the database. Memory is bounded: the whole table
// is dropped at each window.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	start  time.Time
	counts map[string]int
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, counts: map[string]int{}}
}

func (l *limiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.start) >= l.window {
		l.start, l.counts = now, map[string]int{}
	}
	if len(l.counts) > 100_000 {
		return true // under a flood of distinct clients, fail open rather than grow
	}
	l.counts[key]++
	return l.counts[key] <= l.max
}

// clientIP is the TCP peer. Deliberately not X-Forwarded-For, which any
// client can forge; behind a load balancer the limit applies per balancer
// (generous enough) and the balancer's own limits take over.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// chooseLang picks the visitor's language: a ?lang= choice (remembered in
// a cookie, then redirected to the clean URL), the cookie, or Vietnamese.
func chooseLang(w http.ResponseWriter, r *http.Request) (lang, redirect string) {
	q := r.URL.Query()
	if l := q.Get("lang"); l != "" {
		if !validLang(l) {
			l = langs[0]
		}
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
		q.Del("lang")
		u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
		return l, u.String()
	}
	if c, err := r.Cookie(langCookie); err == nil && validLang(c.Value) {
		return c.Value, ""
	}
	return langs[0], ""
}

var errNoKey = errors.New("web: missing translation")
