package redirect

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehousehq/gatehouse/internal/sharedtestdata"
)

// sharedTestdata returns the path of a file in the shared test vectors.
func sharedTestdata(tb testing.TB, name string) string {
	tb.Helper()
	return sharedtestdata.Path(tb, name)
}

// payload is one row of open_redirect_payloads_classified.tsv.
type payload struct {
	line    int
	verdict string // MUST_REJECT or POLICY
	https   string // where a browser goes from an https origin
	value   string // the decoded return URL
}

const (
	payloadFile = "open_redirect_payloads_classified.tsv"
	// payloadHost is the file's placeholder for the allowed (current) host.
	payloadHost = "www.whitelisteddomain.tld"
)

// loadPayloads reads the classified open-redirect payloads; a missing file is a failure.
func loadPayloads(tb testing.TB) []payload {
	tb.Helper()
	path := sharedTestdata(tb, payloadFile)
	f, err := os.Open(path)
	if err != nil {
		tb.Fatalf("opening payloads: %v", err)
	}
	defer f.Close()

	var rows []payload
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	header := false
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 5 {
			tb.Fatalf("%s:%d: %d columns, want 5", payloadFile, n, len(cols))
		}
		if !header {
			if cols[0] != "verdict" || cols[4] != "value_escaped" {
				tb.Fatalf("%s:%d: unexpected header %q", payloadFile, n, line)
			}
			header = true
			continue
		}
		value, err := unescapeTSV(cols[4])
		if err != nil {
			tb.Fatalf("%s:%d: %v", payloadFile, n, err)
		}
		if cols[0] != "MUST_REJECT" && cols[0] != "POLICY" {
			tb.Fatalf("%s:%d: unknown verdict %q", payloadFile, n, cols[0])
		}
		rows = append(rows, payload{line: n, verdict: cols[0], https: cols[1], value: value})
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("reading payloads: %v", err)
	}
	return rows
}

// unescapeTSV undoes the file's escaping: \\, \t, \n, \r and \xNN.
func unescapeTSV(s string) (string, error) {
	if strings.IndexByte(s, '\\') < 0 {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 >= len(s) {
			return "", fmt.Errorf("trailing backslash in %q", s)
		}
		i++
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'x':
			if i+2 >= len(s) {
				return "", fmt.Errorf("short \\x escape in %q", s)
			}
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return "", fmt.Errorf("bad \\x escape in %q: %w", s, err)
			}
			b.WriteByte(byte(v))
			i += 2
		default:
			return "", fmt.Errorf("unknown escape \\%c in %q", s[i], s)
		}
	}
	return b.String(), nil
}

func TestUnescapeTSV(t *testing.T) {
	tests := []struct{ in, want string }{
		{`plain`, "plain"},
		{`/\\evil`, `/\evil`},
		{`/\t/x\n\r`, "/\t/x\n\r"},
		{`\x19J\x7f`, "\x19J\x7f"},
	}
	for _, tt := range tests {
		got, err := unescapeTSV(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("unescapeTSV(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{`x\`, `\q`, `\x1`, `\xzz`} {
		if _, err := unescapeTSV(bad); err == nil {
			t.Errorf("unescapeTSV(%q): no error", bad)
		}
	}
}
