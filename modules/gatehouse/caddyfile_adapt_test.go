package gatehouse

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/caddytest"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

// Golden Caddyfile → JSON tests. Each testdata/caddyfile_adapt/*.caddyfiletest file holds a
// Caddyfile, a line of ten dashes, then what adapting it must give:
//
//   - for files named error_*.caddyfiletest, two lines:
//     "message: <substring of the error>" and "line: <N>", the Caddyfile line that the error
//     must name (as ", at Caddyfile:N", exactly once);
//   - for any other file, the JSON config, compared with caddytest.CompareAdapt; the
//     Caddyfile must also adapt without warnings (so it is `caddy fmt` clean).
//
// `go test -run TestAdaptCaddyfiles ./modules/gatehouse/ -adapt-update` rewrites the JSON
// of the non-error files from the current adapter; read the diff before keeping it.

var adaptUpdate = flag.Bool("adapt-update", false, "rewrite the JSON of the Caddyfile golden files")

const (
	adaptDir       = "testdata/caddyfile_adapt"
	adaptSeparator = "\n----------\n"
	adaptMinCases  = 30
)

// adaptCase is one parsed golden file.
type adaptCase struct {
	caddyfile string
	want      string // JSON, or the error substring for error cases
	line      int    // error cases: the Caddyfile line the error must name
	isError   bool
}

func adaptReadCase(t *testing.T, path string) adaptCase {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	before, after, ok := strings.Cut(text, adaptSeparator)
	if !ok {
		t.Fatalf("%s: no %q line between the Caddyfile and the expected result", path, strings.TrimSpace(adaptSeparator))
	}
	c := adaptCase{
		caddyfile: strings.TrimSpace(before) + "\n",
		want:      strings.TrimSpace(after),
		isError:   strings.HasPrefix(filepath.Base(path), "error_"),
	}
	if !c.isError {
		return c
	}
	lines := strings.Split(c.want, "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "message: ") || !strings.HasPrefix(lines[1], "line: ") {
		t.Fatalf("%s: want two lines after the separator, \"message: <text>\" and \"line: <N>\"; got %q", path, c.want)
	}
	c.want = strings.TrimPrefix(lines[0], "message: ")
	if c.line, err = strconv.Atoi(strings.TrimPrefix(lines[1], "line: ")); err != nil || c.line < 1 {
		t.Fatalf("%s: bad line number %q", path, lines[1])
	}
	return c
}

// adaptLineRe finds the position that Caddyfile errors end with.
var adaptLineRe = regexp.MustCompile(`, at Caddyfile:(\d+)`)

func TestAdaptCaddyfiles(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(adaptDir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, path := range paths {
		name := filepath.Base(path)
		if !strings.HasSuffix(name, ".caddyfiletest") {
			t.Errorf("%s: not a .caddyfiletest file (a misnamed case would never run)", path)
			continue
		}
		t.Run(strings.TrimSuffix(name, ".caddyfiletest"), func(t *testing.T) {
			ran++
			c := adaptReadCase(t, path)
			if c.isError {
				adaptCheckError(t, c)
				return
			}
			if *adaptUpdate {
				adaptRewrite(t, path, c)
				return
			}
			if !caddytest.CompareAdapt(t, name, c.caddyfile, "caddyfile", c.want) {
				t.Errorf("adapting %s did not give the expected JSON (diff above)", name)
			}
			if _, warnings, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(c.caddyfile), nil); err == nil && len(warnings) > 0 {
				t.Errorf("adapting %s gave warnings: %+v", name, warnings)
			}
		})
	}
	// A -run pattern naming subtests skips the others on purpose.
	if f := flag.Lookup("test.run"); f != nil && strings.Contains(f.Value.String(), "/") {
		return
	}
	if ran != len(paths) {
		t.Errorf("ran %d of %d golden files", ran, len(paths))
	}
	if ran <= adaptMinCases {
		t.Errorf("ran %d golden files, want more than %d: is %s complete?", ran, adaptMinCases, adaptDir)
	}
}

func adaptCheckError(t *testing.T, c adaptCase) {
	t.Helper()
	_, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(c.caddyfile), nil)
	if err == nil {
		t.Fatalf("adapting gave no error, want one containing %q at line %d", c.want, c.line)
	}
	msg := err.Error()
	if !strings.Contains(msg, c.want) {
		t.Errorf("error:\n\t%s\nwant it to contain:\n\t%s", msg, c.want)
	}
	at := adaptLineRe.FindAllStringSubmatch(msg, -1)
	if len(at) != 1 {
		t.Fatalf("error:\n\t%s\nwant exactly one \", at Caddyfile:<line>\"", msg)
	}
	if got, _ := strconv.Atoi(at[0][1]); got != c.line {
		t.Errorf("error names Caddyfile line %d, want %d (%q):\n\t%s", got, c.line, adaptLine(c.caddyfile, c.line), msg)
	}
}

// adaptLine returns line n (1-based) of text, to show which token an error should name.
func adaptLine(text string, n int) string {
	lines := strings.Split(text, "\n")
	if n < 1 || n > len(lines) {
		return ""
	}
	return strings.TrimSpace(lines[n-1])
}

func adaptRewrite(t *testing.T, path string, c adaptCase) {
	t.Helper()
	result, warnings, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(c.caddyfile), nil)
	if err != nil {
		t.Fatalf("adapting: %v", err)
	}
	if len(warnings) > 0 {
		t.Errorf("warnings: %+v", warnings)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, result, "", "\t"); err != nil {
		t.Fatal(err)
	}
	out := c.caddyfile + strings.TrimPrefix(adaptSeparator, "\n") + pretty.String() + "\n"
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestAdaptExampleCaddyfile checks that the Caddyfile shipped at the repository root adapts
// cleanly (no error, no warning) and uses Gatehouse.
func TestAdaptExampleCaddyfile(t *testing.T) {
	const path = "../../Caddyfile.example"
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	result, warnings, err := caddyconfig.GetAdapter("caddyfile").Adapt(body, map[string]any{"filename": path})
	if err != nil {
		t.Fatalf("adapting %s: %v", path, err)
	}
	for _, w := range warnings {
		t.Errorf("%s:%d: %s: %s", w.File, w.Line, w.Directive, w.Message)
	}
	var cfg struct {
		Apps map[string]json.RawMessage `json:"apps"`
	}
	if err := json.Unmarshal(result, &cfg); err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.Apps["gatehouse"]; !ok {
		t.Errorf("%s: no gatehouse app in the adapted config", path)
	}
	if !bytes.Contains(result, []byte(`"handler":"gatehouse"`)) {
		t.Errorf("%s: no gatehouse handler in the adapted config", path)
	}
}
