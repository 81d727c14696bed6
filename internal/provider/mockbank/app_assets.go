package mockbank

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/market4/market4/pkg/money"
	"github.com/market4/market4/pkg/vietqr"
)

// The banking app's files: one layout plus one template per screen, and a
// stylesheet and a script served under /mockbank/static/. Everything is in
// the binary, so the simulator needs no CDN or network (the demo runs on a
// laptop in a market with no internet).
//
//go:embed templates static
var appFiles embed.FS

// appCSP is the Content-Security-Policy of the app's pages and files: this
// origin only, no inline script or style, no plugins, no framing. It is the
// vendor app's policy (internal/web.CSP), repeated here rather than
// imported because the simulator must not depend on the platform's pages.
const appCSP = "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'"

// appAsset is one static file with its content hash, which versions its URL.
type appAsset struct {
	body  []byte
	ctype string
	hash  string // first 10 hex digits of its SHA-256
}

var appContentTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
}

// appAssets reads the static folder once.
var appAssets = sync.OnceValue(func() map[string]*appAsset {
	out := map[string]*appAsset{}
	err := fs.WalkDir(appFiles, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := appFiles.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ct := appContentTypes[path.Ext(p)]
		if ct == "" {
			ct = "application/octet-stream"
		}
		out[strings.TrimPrefix(p, "static/")] = &appAsset{body: body, ctype: ct, hash: hex.EncodeToString(sum[:])[:10]}
		return nil
	})
	if err != nil { // the folder is embedded: a failure is a build defect
		panic("mockbank: read embedded static files: " + err.Error())
	}
	return out
})

// assetURL is a static file's URL, versioned by its content so that a new
// build is never hidden by a cached old file.
func assetURL(name string) (string, error) {
	a, ok := appAssets()[name]
	if !ok {
		return "", fmt.Errorf("mockbank: no static file %q", name)
	}
	return "/mockbank/static/" + name + "?v=" + a.hash, nil
}

// serveAppStatic answers GET /mockbank/static/{name}. The versioned URL the
// pages use is cached for a year; any other request must revalidate.
func serveAppStatic(w http.ResponseWriter, r *http.Request) {
	a, ok := appAssets()[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	setPageHeaders(h)
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", `"`+a.hash+`"`)
	if r.URL.Query().Get("v") == a.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, `"`+a.hash+`"`) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(a.body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(a.body)
	}
}

// setPageHeaders sets the security headers of every page and file of the app.
func setPageHeaders(h http.Header) {
	h.Set("Content-Security-Policy", appCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// The confirmation URL carries the scanned payload: keep it on this origin.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
}

// appFuncs are the templates' helpers: money the Vietnamese way, times in
// Vietnam whatever the server's zone, bank names from the NAPAS directory.
var appFuncs = template.FuncMap{
	"vnd":   func(n int64) string { return money.FromDong(n).Format() },
	"asset": assetURL,
	"when":  func(t time.Time) string { return t.In(hcm).Format("15:04:05 02/01/2006") },
	"iso":   func(t time.Time) string { return t.In(hcm).Format(time.RFC3339) },
	"bank": func(bin string) string {
		if b, ok := vietqr.LookupBank(bin); ok {
			return b.ShortName
		}
		return "BIN " + bin
	},
	"bankFull": func(bin string) string {
		if b, ok := vietqr.LookupBank(bin); ok {
			return b.Name
		}
		return ""
	},
	"delivery": deliveryText,
	"add1":     func(i int) int { return i + 1 },
}

// deliveryText says in Vietnamese where the notification to the platform is.
func deliveryText(state string) string {
	switch state {
	case DeliveryPending:
		return "Đang báo cho Market4…"
	case DeliveryHeld:
		return "Đang tạm giữ thông báo (mô phỏng lỗi: sai thứ tự)"
	case DeliveryDelivered:
		return "Market4 đã nhận thông báo"
	case DeliveryFailed:
		return "Không báo được cho Market4 (đối soát sẽ tìm lại)"
	case DeliveryNone:
		return "Không gửi thông báo"
	}
	return state
}

// appPages are the screens, each the layout plus its own template, parsed
// once. A template error is a build defect caught by the tests.
var appPages = sync.OnceValue(func() map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, name := range []string{"home", "confirm", "receipt", "history", "notfound"} {
		t := template.Must(template.New("layout.html").Funcs(appFuncs).ParseFS(appFiles,
			"templates/layout.html", "templates/parts.html", "templates/"+name+".html"))
		out[name] = t
	}
	return out
})
