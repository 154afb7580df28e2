package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// staticFile is one embedded file under static/, ready to serve.
type staticFile struct {
	body        []byte
	contentType string
	version     string // a short hash of body, used in ?v= and the ETag
}

// Cache lifetimes of static files: a versioned URL (?v=<hash>, as the layout writes it) never
// changes; an unversioned one may change with the next Gatehouse release.
const (
	cacheVersioned   = "public, max-age=31536000, immutable"
	cacheUnversioned = "public, max-age=86400"
)

// contentTypes are the types of the files we ship, fixed here rather than taken from the
// system's mime.types, which may name JavaScript differently from one machine to the next.
var contentTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
	".png": "image/png",
}

// loadStatic reads every embedded static file into memory.
func loadStatic() (map[string]staticFile, error) {
	assets := make(map[string]staticFile)
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		ctype := contentTypes[path.Ext(p)]
		if ctype == "" {
			ctype = mime.TypeByExtension(path.Ext(p))
		}
		if ctype == "" {
			ctype = http.DetectContentType(body)
		}
		sum := sha256.Sum256(body)
		assets[strings.TrimPrefix(p, "static/")] = staticFile{
			body:        body,
			contentType: ctype,
			version:     hex.EncodeToString(sum[:6]),
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading embedded static files: %w", err)
	}
	return assets, nil
}

// Static returns a handler for the embedded static files. The caller strips the
// "/.gatehouse/static/" prefix, so the handler sees paths like "/gatehouse.css". Only the
// embedded files are served (GET and HEAD), with their content type, an ETag and a long
// Cache-Control; any other path is a 404 and there are no directory listings.
func (r *Renderer) Static() http.Handler {
	return http.HandlerFunc(r.serveStatic)
}

func (r *Renderer) serveStatic(w http.ResponseWriter, req *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	f, ok := r.static[strings.TrimPrefix(req.URL.Path, "/")]
	if !ok {
		http.NotFound(w, req)
		return
	}
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h.Set("Content-Type", f.contentType)
	h.Set("Content-Security-Policy", "default-src 'none'")
	h.Set("ETag", `"`+f.version+`"`)
	if req.URL.Query().Get("v") == f.version {
		h.Set("Cache-Control", cacheVersioned)
	} else {
		h.Set("Cache-Control", cacheUnversioned)
	}
	http.ServeContent(w, req, "", time.Time{}, bytes.NewReader(f.body))
}
