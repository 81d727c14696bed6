package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/httpapi"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
)

func TestHealthAndReadiness(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st, httpapi.Options{}, nil)
		var body struct{ Status string }
		a.do(req{method: "GET", path: "/healthz"}).want(t, 200).decode(t, &body)
		if body.Status != "ok" {
			t.Fatalf("healthz = %+v", body)
		}
		a.do(req{method: "GET", path: "/readyz"}).want(t, 200).decode(t, &body)
		if body.Status != "ready" {
			t.Fatalf("readyz = %+v", body)
		}
		// With the database gone the process is alive but not ready.
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		a.do(req{method: "GET", path: "/healthz"}).want(t, 200)
		p := a.do(req{method: "GET", path: "/readyz"}).wantProblem(t, 503, "unavailable")
		if strings.Contains(strings.ToLower(p.Detail), "sql") {
			t.Fatalf("detail leaks the cause: %q", p.Detail)
		}
	})
}

func TestMetrics(t *testing.T) {
	a := newAPI(t, storetest.Open(t, store.SQLite), httpapi.Options{}, nil)
	a.do(req{method: "GET", path: "/healthz"}).want(t, 200)
	a.do(req{method: "GET", path: "/v1/me"}).want(t, 401)
	a.do(req{method: "GET", path: "/v1/stalls/nope/qr"}).want(t, 404)
	m := string(a.do(req{method: "GET", path: "/metrics"}).want(t, 200).body)
	for _, want := range []string{
		`market4_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		`market4_http_requests_total{method="GET",route="/v1/me",status="401"} 1`,
		// The route template, not the URL: ids never become label values.
		`market4_http_requests_total{method="GET",route="/v1/stalls/:id/qr",status="404"} 1`,
		`market4_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.001"}`,
		`go_goroutines`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(m, "/v1/stalls/nope") {
		t.Error("/metrics has a raw URL as a label")
	}
}

func TestRequestID(t *testing.T) {
	a := newAPI(t, storetest.Open(t, store.SQLite), httpapi.Options{}, nil)
	hex16 := regexp.MustCompile(`^[0-9a-f]{16}$`)
	if got := a.do(req{method: "GET", path: "/v1/banks", header: map[string]string{"X-Request-Id": "support-case-42"}}).header.Get("X-Request-Id"); got != "support-case-42" {
		t.Fatalf("sane X-Request-Id not echoed: %q", got)
	}
	seen := map[string]bool{}
	for _, sent := range []string{"", strings.Repeat("a", 65), "has space", "quote\"d"} {
		r := a.do(req{method: "GET", path: "/v1/me", header: map[string]string{"X-Request-Id": sent}})
		got := r.header.Get("X-Request-Id")
		if !hex16.MatchString(got) || seen[got] {
			t.Fatalf("sent %q, got X-Request-Id %q: want a fresh 16-hex id", sent, got)
		}
		seen[got] = true
	}
}

func TestSecurityHeaders(t *testing.T) {
	a := newAPI(t, storetest.Open(t, store.SQLite), httpapi.Options{}, nil)
	for _, tt := range []struct {
		path, cache string
		status      int
	}{
		{"/v1/me", "no-store", 401},
		{"/v1/districts", "no-store", 200},
		{"/v1/banks", "public, max-age=86400", 200},
		{"/healthz", "", 200},
		{"/openapi.yaml", "", 200},
	} {
		r := a.do(req{method: "GET", path: tt.path}).want(t, tt.status)
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin", "Cache-Control": tt.cache} {
			if got := r.header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", tt.path, h, got, want)
			}
		}
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	a := newAPI(t, storetest.Open(t, store.SQLite), httpapi.Options{}, nil)
	p := a.do(req{method: "GET", path: "/v1/nothing-here", offContract: true}).wantProblem(t, 404, "not_found")
	if p.Detail != "no such endpoint" || p.Instance != "/v1/nothing-here" {
		t.Fatalf("problem = %+v", p)
	}
	r := a.do(req{method: "DELETE", path: "/v1/me", offContract: true})
	p = r.wantProblem(t, 405, "method_not_allowed")
	if p.Detail != "method not allowed on this endpoint" || r.header.Get("Allow") != "GET" {
		t.Fatalf("problem = %+v, Allow %q", p, r.header.Get("Allow"))
	}
	r = a.do(req{method: "PUT", path: "/v1/markets", offContract: true})
	r.wantProblem(t, 405, "method_not_allowed")
	if allow := r.header.Get("Allow"); allow != "GET, POST" {
		t.Fatalf("Allow %q, want GET, POST", allow)
	}
}

// TestPanicBecomesProblem mounts a handler that panics (Options.Mount is
// the test hook for extra routes) and checks the client gets a generic 500
// problem, the panic text stays in the server, and the server keeps serving.
func TestPanicBecomesProblem(t *testing.T) {
	a := newAPI(t, storetest.Open(t, store.SQLite), httpapi.Options{Mount: func(r *gin.Engine) {
		r.GET("/test/panic", func(*gin.Context) { panic("secret internal state") })
	}}, nil)
	r := a.do(req{method: "GET", path: "/test/panic", offContract: true})
	p := r.wantProblem(t, 500, "internal", []string{}...)
	if strings.Contains(string(r.body), "secret") || p.Detail != "an unexpected error occurred; it has been logged" {
		t.Fatalf("500 problem leaks or is vague: %s", r.body)
	}
	if r.header.Get("X-Request-Id") == "" {
		t.Fatal("500 without a request id to quote")
	}
	a.do(req{method: "GET", path: "/healthz"}).want(t, 200)
}

func TestAuthorizationHeader(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	a := newAPI(t, st, httpapi.Options{}, nil)
	w := newWorld(t, a)
	for _, h := range []string{"Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "bearer " + w.tokens["vendorA"], "Token " + w.tokens["vendorA"]} {
		r := a.do(req{method: "GET", path: "/v1/districts", header: map[string]string{"Authorization": h}})
		r.wantProblem(t, 401, "unauthenticated")
	}
	r := a.do(req{method: "GET", path: "/v1/me", token: "m4_expired-or-made-up"})
	r.wantProblem(t, 401, "unauthenticated")
	if r.header.Get("WWW-Authenticate") != `Bearer realm="market4"` {
		t.Fatalf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
	}
	if r := a.do(req{method: "GET", path: "/v1/me"}); r.header.Get("WWW-Authenticate") == "" {
		t.Fatal("401 without a challenge")
	}
	a.do(req{method: "GET", path: "/v1/me", header: map[string]string{"Authorization": "Bearer  " + w.tokens["vendorA"] + " "}}).want(t, 200)
}

// TestPublicRateLimit: anonymous public endpoints are limited per client IP
// with a Retry-After, and the limit does not touch other endpoints.
func TestPublicRateLimit(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	a := newAPI(t, st, httpapi.Options{PublicRate: 3}, nil)
	w := newWorld(t, a)
	s := w.stall(t, a, "vendorA", w.m1, "R01", market.StallActive)
	for i := range 3 {
		a.do(req{method: "GET", path: "/v1/stalls/" + s.ID + "/qr"}).want(t, 200)
		_ = i
	}
	r := a.do(req{method: "GET", path: "/v1/stalls/" + s.ID + "/qr.svg"})
	r.wantProblem(t, 429, "rate_limited")
	if r.header.Get("Retry-After") != "60" {
		t.Fatalf("Retry-After = %q", r.header.Get("Retry-After"))
	}
	a.do(req{method: "POST", path: "/v1/vietqr/decode", json: map[string]string{"payload": "x"}}).wantProblem(t, 429, "rate_limited")
	before := counts(t, st)
	a.do(req{method: "POST", path: "/v1/auth/register", json: map[string]string{"phone": "0987654321", "password": "long enough", "name": "A"}}).wantProblem(t, 429, "rate_limited")
	if !sameCounts(before, counts(t, st)) {
		t.Fatal("a rate-limited registration wrote rows")
	}
	// Not rate limited: reads of public data and authenticated endpoints.
	a.do(req{method: "GET", path: "/v1/banks"}).want(t, 200)
	a.do(req{method: "GET", path: "/v1/stalls/" + s.ID, token: w.tokens["vendorA"]}).want(t, 200)
}

// TestLoginThrottleOverHTTP: the service's per-phone login throttle reaches
// clients as 429 with Retry-After.
func TestLoginThrottleOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st, httpapi.Options{}, func(c *app.Config) { c.LoginPerPhone = 2 })
		const phone, password = "0987000111", "a good password"
		if _, err := a.svc.CreateUser(bg, app.CreateUserInput{Phone: phone, Password: password, Name: "Cô Năm", Role: market.RoleVendor}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			a.do(req{method: "POST", path: "/v1/auth/login", json: map[string]string{"phone": phone, "password": "wrong password"}}).wantProblem(t, 401, "unauthenticated")
		}
		r := a.do(req{method: "POST", path: "/v1/auth/login", json: map[string]string{"phone": phone, "password": password}})
		r.wantProblem(t, 429, "rate_limited")
		if r.header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	})
}

// TestClientIPCannotBeSpoofed: rate limits key on the client's address, so
// a client must not be able to pick its own by sending X-Forwarded-For.
func TestClientIPCannotBeSpoofed(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	a := newAPI(t, st, httpapi.Options{PublicRate: 2}, nil)
	for i := range 5 {
		r := a.do(req{method: "POST", path: "/v1/vietqr/encode", json: map[string]string{"bin": "970436", "account_number": "1"},
			header: map[string]string{"X-Forwarded-For": fmt.Sprintf("203.0.113.%d", i), "X-Real-IP": fmt.Sprintf("198.51.100.%d", i)}})
		if i >= 2 && r.status != 429 {
			t.Fatalf("request %d with a forged X-Forwarded-For got %d, want 429: the client chose its own rate-limit key", i+1, r.status)
		}
	}
}

// TestFallbackStatusIsTheHandlers: a page handler that writes a body
// without an explicit WriteHeader answers 200, not gin's unmatched-route 404.
func TestFallbackStatusIsTheHandlers(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /plain", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	srv := httptest.NewServer(httpapi.New(app.New(st, nil, app.DefaultConfig(), nil), httpapi.Options{Fallback: mux}))
	defer srv.Close()
	for path, want := range map[string]int{"/plain": 200, "/missing": 404, "/v1/missing": 404} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, want)
		}
	}
}
