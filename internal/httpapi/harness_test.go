package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/httpapi"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var bg = context.Background()

func init() {
	// Images are opaque bytes to the validator; their schema is a binary string.
	openapi3filter.RegisterBodyDecoder("image/png", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("image/svg+xml", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/pdf", openapi3filter.FileBodyDecoder)
}

// spec is openapi.yaml (the copy embedded in the binary), loaded and
// validated once, with a router that maps requests to its operations.
var spec = sync.OnceValues(func() (*contract, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(httpapi.Spec)
	if err != nil {
		return nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("openapi.yaml is not a valid OpenAPI 3 document: %w", err)
	}
	r, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route openapi.yaml: %w", err)
	}
	return &contract{doc: doc, router: r}, nil
})

type contract struct {
	doc    *openapi3.T
	router routers.Router
}

func loadSpec(t testing.TB) *contract {
	t.Helper()
	c, err := spec()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// validation options: the transport checks shapes, not credentials, and an
// undocumented status is a failure.
var validation = &openapi3filter.Options{
	AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	IncludeResponseStatus: true,
	SkipSettingDefaults:   true,
	MultiError:            true,
}

type ctxKey int

const (
	// invalidRequest marks a request that breaks the contract on purpose
	// (bad input tests): only its response is validated.
	invalidRequest ctxKey = iota
	// offContract marks a request to a route that is not part of the API
	// (a test-only route mounted with Options.Mount).
	offContract
)

// contractTransport validates every request it sends and every response it
// receives against openapi.yaml; a mismatch fails the test that made the
// request. It also records which operations were exercised.
type contractTransport struct {
	t    testing.TB
	c    *contract
	next http.RoundTripper

	mu  sync.Mutex
	ops map[string]int // "GET /v1/stalls/{id}" → validated exchanges
}

func (ct *contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	if ctx.Value(offContract) != nil {
		return ct.next.RoundTrip(req)
	}
	what := req.Method + " " + req.URL.RequestURI()
	route, params, err := ct.c.router.FindRoute(req)
	if err != nil {
		ct.t.Errorf("contract: %s is not an operation of openapi.yaml: %v", what, err)
		return ct.next.RoundTrip(req)
	}
	vreq := req.Clone(ctx)
	if body != nil {
		vreq.Body = io.NopCloser(bytes.NewReader(body))
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: validation}
	if ctx.Value(invalidRequest) == nil {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			ct.t.Errorf("contract: request %s does not match openapi.yaml: %v\nbody: %s", what, err, clip(body))
		}
	}
	resp, err := ct.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.Header.Get("Content-Type") == "text/event-stream" {
		// A live stream never ends: check its status, headers and media
		// type, and hand the body over unread (the test checks the events).
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
			Options: &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: true}}
		if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
			ct.t.Errorf("contract: response %d to %s does not match openapi.yaml: %v", resp.StatusCode, what, err)
		} else if r := route.Operation.Responses.Status(resp.StatusCode); r == nil || r.Value.Content.Get("text/event-stream") == nil {
			ct.t.Errorf("contract: response %d to %s: text/event-stream is not documented", resp.StatusCode, what)
		}
		ct.mu.Lock()
		ct.ops[route.Method+" "+route.Path]++
		ct.mu.Unlock()
		return resp, nil
	}
	rbody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(rbody))
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: validation}
	out.SetBodyBytes(rbody)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		ct.t.Errorf("contract: response %d to %s does not match openapi.yaml: %v\nbody: %s", resp.StatusCode, what, err, clip(rbody))
	}
	ct.mu.Lock()
	ct.ops[route.Method+" "+route.Path]++
	ct.mu.Unlock()
	return resp, nil
}

func clip(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// api is a real server (the production router around a real service and a
// real store) and a client whose every exchange is checked against the
// contract.
type api struct {
	t   testing.TB
	srv *httptest.Server
	ct  *contractTransport
	hc  *http.Client
	svc *app.Service
	st  *store.Store
	cfg app.Config
}

// testConfig is the production configuration with cheap password hashing
// and login throttles high enough not to interfere with unrelated tests.
func testConfig() app.Config {
	cfg := app.DefaultConfig()
	cfg.Argon = app.ArgonParams{Memory: 64, Time: 1, Threads: 1}
	cfg.LoginPerPhone, cfg.LoginPerIP = 1000, 1000
	return cfg
}

// newAPI starts a server on st. tweak may adjust the service configuration
// before it is built; opt.OpenAPI is always the embedded contract.
func newAPI(t testing.TB, st *store.Store, opt httpapi.Options, tweak func(*app.Config)) *api {
	t.Helper()
	cfg := testConfig()
	if tweak != nil {
		tweak(&cfg)
	}
	svc := app.New(st, nil, cfg, nil)
	opt.OpenAPI = httpapi.Spec
	if opt.PublicRate == 0 {
		opt.PublicRate = 1_000_000
	}
	srv := httptest.NewServer(httpapi.New(svc, opt))
	t.Cleanup(srv.Close)
	ct := &contractTransport{t: t, c: loadSpec(t), next: srv.Client().Transport, ops: map[string]int{}}
	return &api{t: t, srv: srv, ct: ct, hc: &http.Client{Transport: ct}, svc: svc, st: st, cfg: cfg}
}

// req is one HTTP call.
type req struct {
	method, path string
	token        string            // bearer token, "" for none
	json         any               // marshalled as the JSON body
	raw          *string           // a body sent as is (wins over json)
	ctype        string            // Content-Type; application/json by default when there is a body
	header       map[string]string // extra headers
	invalid      bool              // breaks the contract on purpose: validate the response only
	chunked      bool              // send the body without a Content-Length
	offContract  bool              // not an API route: validate nothing
	target       string            // the stall the call acts on (for assertions; not sent)
}

// reply is a response, read in full.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (a *api) do(r req) *reply {
	a.t.Helper()
	var body io.Reader
	switch {
	case r.raw != nil:
		body = strings.NewReader(*r.raw)
	case r.json != nil:
		b, err := json.Marshal(r.json)
		if err != nil {
			a.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	if body != nil && r.chunked {
		body = io.MultiReader(body) // hides the length, so the client sends chunks
	}
	ctx := bg
	if r.invalid {
		ctx = context.WithValue(ctx, invalidRequest, true)
	}
	if r.offContract {
		ctx = context.WithValue(ctx, offContract, true)
	}
	hr, err := http.NewRequestWithContext(ctx, r.method, a.srv.URL+r.path, body)
	if err != nil {
		a.t.Fatal(err)
	}
	if body != nil {
		ct := r.ctype
		if ct == "" {
			ct = "application/json"
		}
		hr.Header.Set("Content-Type", ct)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	resp, err := a.hc.Do(hr)
	if err != nil {
		a.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return &reply{status: resp.StatusCode, header: resp.Header, body: b}
}

func raw(s string) *string { return &s }

// want fails the test unless the reply has status; it returns the reply
// for chaining.
func (r *reply) want(t testing.TB, status int) *reply {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body: %s", r.status, status, clip(r.body))
	}
	return r
}

func (r *reply) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", clip(r.body), err)
	}
}

// problem is the problem+json body.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
	Instance string `json:"instance"`
}

// wantProblem checks status, content type, code and (when given) the
// fields named, in order.
func (r *reply) wantProblem(t testing.TB, status int, code string, fields ...string) problem {
	t.Helper()
	r.want(t, status)
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json", ct)
	}
	var p problem
	r.decode(t, &p)
	if p.Code != code || p.Status != status {
		t.Fatalf("problem code/status = %s/%d, want %s/%d: %s", p.Code, p.Status, code, status, r.body)
	}
	if fields != nil {
		var got []string
		for _, e := range p.Errors {
			got = append(got, e.Field)
		}
		if strings.Join(got, ",") != strings.Join(fields, ",") {
			t.Fatalf("problem fields = %v, want %v: %s", got, fields, r.body)
		}
	}
	return p
}

// Shapes decoded from responses.
type userJSON struct {
	ID         string  `json:"id"`
	Phone      string  `json:"phone"`
	Name       string  `json:"name"`
	Role       string  `json:"role"`
	DistrictID *string `json:"district_id"`
	CreatedAt  string  `json:"created_at"`
}

type sessionJSON struct {
	Token string   `json:"token"`
	User  userJSON `json:"user"`
}

type stallJSON struct {
	ID            string  `json:"id"`
	MarketID      string  `json:"market_id"`
	DistrictID    string  `json:"district_id"`
	OwnerID       *string `json:"owner_id"`
	StallNumber   string  `json:"stall_number"`
	Name          string  `json:"name"`
	Category      string  `json:"category"`
	BankBIN       string  `json:"bank_bin"`
	BankName      string  `json:"bank_name"`
	AccountNumber string  `json:"account_number"`
	AccountName   string  `json:"account_name"`
	Status        string  `json:"status"`
	CreatedAt     string  `json:"created_at"`
	UpdatedAt     string  `json:"updated_at"`
}

type listJSON[T any] struct {
	Items     []T     `json:"items"`
	NextAfter *string `json:"next_after"`
}

type idJSON struct {
	ID string `json:"id"`
}

// world is the cast the HTTP tests share: two districts with a market
// each, two vendors, staff per district and an admin, each logged in.
type world struct {
	d1, d2 *market.District
	m1, m2 *market.Market
	users  map[string]*market.User
	tokens map[string]string
}

const worldPassword = "mật khẩu chợ phiên"

// The roles of the authorization matrix, in table order.
var roles = []string{"anonymous", "vendorA", "vendorB", "staff1", "staff2", "admin", "badToken"}

func newWorld(t testing.TB, a *api) *world {
	t.Helper()
	admin := market.Actor{Role: market.RoleAdmin}
	w := &world{users: map[string]*market.User{}, tokens: map[string]string{}}
	var err error
	if w.d1, err = a.svc.CreateDistrict(bg, admin, market.District{Name: "Vị Thủy", Province: "Hậu Giang"}); err != nil {
		t.Fatal(err)
	}
	if w.d2, err = a.svc.CreateDistrict(bg, admin, market.District{Name: "Long Mỹ", Province: "Hậu Giang"}); err != nil {
		t.Fatal(err)
	}
	if w.m1, err = a.svc.CreateMarket(bg, admin, market.Market{DistrictID: w.d1.ID, Name: "Chợ Vị Thủy"}); err != nil {
		t.Fatal(err)
	}
	if w.m2, err = a.svc.CreateMarket(bg, admin, market.Market{DistrictID: w.d2.ID, Name: "Chợ Long Mỹ"}); err != nil {
		t.Fatal(err)
	}
	for i, u := range []struct {
		label    string
		role     market.Role
		district string
	}{
		{"vendorA", market.RoleVendor, ""}, {"vendorB", market.RoleVendor, ""},
		{"staff1", market.RoleStaff, w.d1.ID}, {"staff2", market.RoleStaff, w.d2.ID}, {"admin", market.RoleAdmin, ""},
	} {
		phone := fmt.Sprintf("0901%06d", i+1)
		created, err := a.svc.CreateUser(bg, app.CreateUserInput{Phone: phone, Password: worldPassword, Name: u.label, Role: u.role, DistrictID: u.district})
		if err != nil {
			t.Fatal(err)
		}
		w.users[u.label] = created
		w.tokens[u.label] = w.login(t, a, u.label)
	}
	w.tokens["badToken"] = "m4_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	return w
}

// login opens a new session for a user of the world, through the service.
func (w *world) login(t testing.TB, a *api, label string) string {
	t.Helper()
	s, err := a.svc.Login(bg, app.LoginInput{Phone: w.users[label].Phone, Password: worldPassword})
	if err != nil {
		t.Fatal(err)
	}
	return s.Token
}

func (w *world) actor(label string) market.Actor { return app.ActorOf(w.users[label]) }

// stall registers a stall of vendor in m through the service and moves it
// to status.
func (w *world) stall(t testing.TB, a *api, vendor string, m *market.Market, number string, status market.StallStatus) *market.Stall {
	t.Helper()
	s, err := a.svc.CreateStall(bg, w.actor(vendor), app.StallInput{MarketID: m.ID, StallNumber: number, Name: "Sạp " + number,
		Category: "vegetables", BankBIN: "970436", AccountNumber: "0071000123456", AccountName: "Nguyễn Thị Ba"})
	if err != nil {
		t.Fatal(err)
	}
	if status != market.StallPending {
		if s, err = a.svc.SetStallStatus(bg, market.Actor{Role: market.RoleAdmin}, s.ID, status); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// counts is the number of rows of the tables the foundation writes.
func counts(t testing.TB, st *store.Store) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"users", "sessions", "districts", "markets", "stalls", "payments", "refunds", "journal", "transfers", "stall_daily"} {
		var n int
		if err := st.SQL().QueryRowContext(bg, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func sameCounts(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}

// stallRequest is a valid POST /v1/stalls body.
func stallRequest(marketID, number string) map[string]any {
	return map[string]any{"market_id": marketID, "stall_number": number, "name": "Sạp " + number, "category": "fruit",
		"bank_bin": "970415", "account_number": "108001234567", "account_name": "Trần Văn Hai"}
}
