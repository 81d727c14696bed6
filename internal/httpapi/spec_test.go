package httpapi_test

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/httpapi"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/store/storetest"
)

// TestSpecMatchesRoot: the binary serves an embedded copy of the
// repository's openapi.yaml (go:embed cannot reach ../..); they must not drift.
func TestSpecMatchesRoot(t *testing.T) {
	root, err := os.ReadFile("../../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(root, httpapi.Spec) {
		t.Fatal("internal/httpapi/openapi.yaml differs from the root openapi.yaml; run: cp openapi.yaml internal/httpapi/openapi.yaml")
	}
}

// notYetSpecified lists routes registered in server.go whose operations are
// not yet written into openapi.yaml. Remove an entry when its path is
// documented: the test fails on an entry that is documented or no longer
// routed, so the list cannot rot. Every other route must be in the spec and
// every spec operation must be routed.
var notYetSpecified = []string{}

// providerProtocol lists operations that speak a payment provider's
// protocol rather than ours: their JSON request bodies are the provider's
// (open, unknown fields ignored) and a failure to record is answered in the
// provider's own format so it retries, next to the usual problem.
var providerProtocol = map[string]bool{
	"POST /v1/webhooks/{provider}": true,
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z_]+)`)

// apiRoute reports whether a route belongs to the API contract: everything
// under /v1 and the operational endpoints. Other routes are web pages
// (internal/web), which the contract may but need not describe.
func apiRoute(r string) bool {
	_, path, _ := strings.Cut(r, " ")
	switch path {
	case "/healthz", "/readyz", "/metrics", "/openapi.yaml":
		return true
	}
	return strings.HasPrefix(path, "/v1/")
}

// ginRoutes lists the routes of the production router as "METHOD /path"
// with OpenAPI-style {params}.
func ginRoutes(t *testing.T) []string {
	t.Helper()
	st := storetest.Open(t, store.SQLite)
	h := httpapi.New(app.New(st, nil, testConfig(), nil), httpapi.Options{OpenAPI: httpapi.Spec})
	eng, ok := h.(*gin.Engine)
	if !ok {
		t.Fatalf("httpapi.New returns %T, not *gin.Engine; update this test to list routes another way", h)
	}
	var out []string
	for _, r := range eng.Routes() {
		out = append(out, r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}"))
	}
	sort.Strings(out)
	return out
}

// specOps lists the operations of openapi.yaml as "METHOD /path".
func specOps(t *testing.T) []string {
	t.Helper()
	var out []string
	for path, item := range loadSpec(t).doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	sort.Strings(out)
	return out
}

func TestRoutesMatchSpec(t *testing.T) {
	routes, ops := ginRoutes(t), specOps(t)
	for _, r := range routes {
		if apiRoute(r) && !slices.Contains(ops, r) && !slices.Contains(notYetSpecified, r) {
			t.Errorf("route %s is served but not in openapi.yaml", r)
		}
	}
	for _, op := range ops {
		// Pages may be served by a catch-all route (e.g. /01/*link for GS1
		// Digital Links); TestSpecOperationsAreRouted requests those.
		if apiRoute(op) && !slices.Contains(routes, op) {
			t.Errorf("openapi.yaml documents %s but no route serves it", op)
		}
	}
	for _, p := range notYetSpecified {
		if slices.Contains(ops, p) {
			t.Errorf("%s is now in openapi.yaml: remove it from notYetSpecified", p)
		}
		if !slices.Contains(routes, p) {
			t.Errorf("%s is in notYetSpecified but no longer routed: remove it", p)
		}
	}
}

// TestSpecOperationsAreRouted asks the real handler for every documented
// operation and checks it is not answered by the router's fallbacks.
func TestSpecOperationsAreRouted(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	h := httpapi.New(app.New(st, nil, testConfig(), nil), httpapi.Options{OpenAPI: httpapi.Spec})
	for _, op := range specOps(t) {
		method, path, _ := strings.Cut(op, " ")
		path = strings.NewReplacer("{id}", "0190c4f5-7d1e-7c3a-9d1b-2f6f1f0e5a11").Replace(path)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader("{}")))
		var p struct{ Detail string }
		_ = json.Unmarshal(rec.Body.Bytes(), &p)
		if (rec.Code == http.StatusNotFound && p.Detail == "no such endpoint") || rec.Code == http.StatusMethodNotAllowed {
			t.Errorf("%s: %s", op, p.Detail)
		}
	}
}

// errsCodes reads the Code constants declared in internal/errs.
func errsCodes(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../errs/errs.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
				continue
			}
			for _, v := range vs.Values {
				lit := v.(*ast.BasicLit)
				s, _ := strconv.Unquote(lit.Value)
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestSpecErrorCodesMatchErrs(t *testing.T) {
	codes := errsCodes(t)
	if len(codes) < 10 {
		t.Fatalf("found only %d codes in errs.go: %v", len(codes), codes)
	}
	var enum []string
	for _, v := range loadSpec(t).doc.Components.Schemas["ErrorCode"].Value.Enum {
		enum = append(enum, v.(string))
	}
	sort.Strings(enum)
	if !slices.Equal(codes, enum) {
		t.Fatalf("ErrorCode enum = %v\nerrs codes     = %v", enum, codes)
	}
}

// TestSpecConventions checks what the house rules ask of every operation:
// an id, a tag, problem+json for every error status, a documented 500, and
// closed request bodies.
func TestSpecConventions(t *testing.T) {
	c := loadSpec(t)
	tags := map[string]bool{}
	for _, tg := range c.doc.Tags {
		tags[tg.Name] = true
	}
	ids := map[string]string{}
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			if op.OperationID == "" {
				t.Errorf("%s: no operationId", name)
			} else if prev, dup := ids[op.OperationID]; dup {
				t.Errorf("%s: operationId %s also used by %s", name, op.OperationID, prev)
			}
			ids[op.OperationID] = name
			if len(op.Tags) == 0 {
				t.Errorf("%s: no tag", name)
			}
			for _, tg := range op.Tags {
				if !tags[tg] {
					t.Errorf("%s: tag %q is not declared", name, tg)
				}
			}
			if op.Responses.Status(500) == nil {
				t.Errorf("%s: no 500 response", name)
			}
			for code, ref := range op.Responses.Map() {
				n, _ := strconv.Atoi(code)
				if n < 400 || !apiRoute(name) {
					continue // web pages answer errors in HTML
				}
				if !strings.HasPrefix(ref.Ref, "#/components/responses/") {
					t.Errorf("%s %s: error responses must use a shared problem response, not %q", name, code, ref.Ref)
					continue
				}
				mt := ref.Value.Content.Get("application/problem+json")
				if mt == nil || (len(ref.Value.Content) != 1 && !providerProtocol[name]) {
					t.Errorf("%s %s: error response is not application/problem+json only", name, code)
					continue
				}
				if !refersTo(mt.Schema, "#/components/schemas/Problem") {
					t.Errorf("%s %s: error schema does not use Problem", name, code)
				}
				if !pinsStatus(mt.Schema, n) {
					t.Errorf("%s %s: response %s does not pin status %d", name, code, ref.Ref, n)
				}
			}
			if op.RequestBody != nil {
				for ctype, mt := range op.RequestBody.Value.Content {
					if ctype == "application/json" && !providerProtocol[name] {
						if ap := mt.Schema.Value.AdditionalProperties.Has; ap == nil || *ap {
							t.Errorf("%s: JSON request body allows unknown properties", name)
						}
					}
				}
			}
		}
	}
	if len(ids) < 27 {
		t.Fatalf("only %d operations in openapi.yaml", len(ids))
	}
}

// pinsStatus reports whether a problem schema restricts status to exactly n.
func pinsStatus(s *openapi3.SchemaRef, n int) bool {
	for _, sub := range s.Value.AllOf {
		if st := sub.Value.Properties["status"]; st != nil && len(st.Value.Enum) == 1 && st.Value.Enum[0] == float64(n) {
			return true
		}
	}
	return false
}

func refersTo(s *openapi3.SchemaRef, ref string) bool {
	if s == nil || s.Value == nil {
		return false
	}
	if s.Ref == ref {
		return true
	}
	for _, sub := range s.Value.AllOf {
		if refersTo(sub, ref) {
			return true
		}
	}
	return false
}

// TestServedSpec: /openapi.yaml serves the contract byte for byte.
func TestServedSpec(t *testing.T) {
	a := newAPI(t, storetest.Open(t, store.SQLite), httpapi.Options{}, nil)
	r := a.do(req{method: "GET", path: "/openapi.yaml"}).want(t, 200)
	if !bytes.Equal(r.body, httpapi.Spec) {
		t.Fatal("/openapi.yaml is not the embedded contract")
	}
	if ct := r.header.Get("Content-Type"); ct != "application/yaml" {
		t.Fatalf("Content-Type = %q", ct)
	}
}
