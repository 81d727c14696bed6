package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"
)

//go:embed static templates
var files embed.FS

// asset is one static file, held in memory with its content hash and, when
// it compresses, a gzipped copy made once at start-up (the vendor's phone is
// on 3G: every byte counts, and compressing per request would waste the
// server's two cores).
type asset struct {
	name   string // e.g. "app.css"
	hashed string // e.g. "app.3f9a1c2b7d.css": the URL name, immutable
	ctype  string
	body   []byte
	gz     []byte // nil when gzip does not help (PNG) or the file is tiny
	etag   string // strong, from the content hash
}

// assets is the static file table: by plain name and by hashed name.
type assets struct {
	byName   map[string]*asset
	byHashed map[string]*asset
}

// contentTypes is fixed here rather than taken from the OS mime table, so
// the answers do not depend on the machine (and .webmanifest is known).
var contentTypes = map[string]string{
	".css":         "text/css; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".webmanifest": "application/manifest+json",
	".json":        "application/json",
	".html":        "text/html; charset=utf-8",
	".txt":         "text/plain; charset=utf-8",
}

func newAsset(name string, body []byte) *asset {
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:])[:10]
	ext := path.Ext(name)
	a := &asset{name: name, hashed: strings.TrimSuffix(name, ext) + "." + h + ext, body: body,
		ctype: contentTypes[ext], etag: `"` + h + `"`}
	if a.ctype == "" {
		a.ctype = "application/octet-stream"
	}
	if ext != ".png" && len(body) > 512 {
		if gz := gzipBytes(body, gzip.BestCompression); len(gz) < len(body)*9/10 {
			a.gz = gz
		}
	}
	return a
}

func gzipBytes(b []byte, level int) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, level)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// loadAssets reads the embedded static folder and adds the generated icons.
var loadAssets = sync.OnceValue(func() *assets {
	as := &assets{byName: map[string]*asset{}, byHashed: map[string]*asset{}}
	add := func(a *asset) {
		as.byName[a.name] = a
		as.byHashed[a.hashed] = a
	}
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		add(newAsset(strings.TrimPrefix(p, "static/"), b))
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("web: read embedded assets: %v", err))
	}
	for _, size := range []int{192, 512} {
		add(newAsset(fmt.Sprintf("icon-%d.png", size), iconPNG(size)))
	}
	add(newAsset("icon.svg", iconSVG()))
	return as
})

// url returns the content-hashed URL of a static file; a missing name is a
// programming error caught by the tests (templates fail to render).
func (as *assets) url(name string) (string, error) {
	a, ok := as.byName[name]
	if !ok {
		return "", fmt.Errorf("web: no static asset %q", name)
	}
	return "/static/" + a.hashed, nil
}

// names lists the plain names, sorted (for the service worker's cache list).
func (as *assets) names() []string {
	out := make([]string, 0, len(as.byName))
	for n := range as.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// serveStatic answers /static/<name>. A content-hashed name never changes,
// so it is cached for a year as immutable; a plain name (for tools and old
// links) must be revalidated, cheaply, with its ETag.
func (as *assets) serveStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	a, immutable := as.byHashed[name]
	if !immutable {
		if a = as.byName[name]; a == nil {
			http.NotFound(w, r)
			return
		}
	}
	if immutable {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	serveBytes(w, r, a.ctype, a.etag, a.body, a.gz)
}

// serveBytes writes a body with its ETag, answering 304 when the client
// already has it and sending the gzipped copy when one exists and the
// client accepts it.
func serveBytes(w http.ResponseWriter, r *http.Request, ctype, etag string, body, gz []byte) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Add("Vary", "Accept-Encoding")
	useGz := gz != nil && acceptsGzip(r)
	if useGz {
		etag = strings.TrimSuffix(etag, `"`) + `-gz"`
	}
	h.Set("ETag", etag)
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if useGz {
		h.Set("Content-Encoding", "gzip")
		body = gz
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// etagMatch implements If-None-Match's weak comparison over a list.
func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
