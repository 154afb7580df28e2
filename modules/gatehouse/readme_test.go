package gatehouse

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
)

// TestREADMECaddyfilesAdapt keeps the README true to the parser: every complete Caddyfile
// it shows (a block that starts with the global options) must adapt.
func TestREADMECaddyfilesAdapt(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```caddyfile\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	complete := 0
	for i, b := range blocks {
		if !strings.HasPrefix(b[1], "{") {
			continue // a fragment of a site block
		}
		complete++
		if _, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(b[1]), map[string]any{"filename": "README.md"}); err != nil {
			t.Errorf("README Caddyfile block %d does not adapt: %v", i, err)
		}
	}
	if complete == 0 {
		t.Fatal("no complete Caddyfile found in the README")
	}
}
