package gatehousecli

import (
	"errors"
	"strings"
	"testing"
)

func TestHashPassword(t *testing.T) {
	tests := []struct {
		name     string
		flag     *string
		stdin    string
		terminal []string // lines typed on a fake terminal; nil for a pipe
		want     string   // the password the hash must verify; "" when an error is expected
		wantErr  string
	}{
		{name: "flag", flag: ptr("s3cret"), want: "s3cret"},
		{name: "flag wins over stdin", flag: ptr("s3cret"), stdin: "other\n", want: "s3cret"},
		{name: "stdin line", stdin: "s3cret\n", want: "s3cret"},
		{name: "stdin CRLF", stdin: "s3cret\r\nignored\n", want: "s3cret"},
		{name: "stdin without newline", stdin: "s3 cret ", want: "s3 cret "},
		{name: "terminal twice", terminal: []string{"s3cret", "s3cret"}, want: "s3cret"},
		{name: "terminal mismatch", terminal: []string{"s3cret", "s3cre7"}, wantErr: "the passwords do not match"},
		{name: "empty stdin", stdin: "", wantErr: "the password is empty"},
		{name: "empty line", stdin: "\n", wantErr: "the password is empty"},
		{name: "empty flag", flag: ptr(""), wantErr: "the password is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, out, errOut := testStreams(tt.stdin)
			if tt.terminal != nil {
				typed := tt.terminal
				s.readHidden = func() (string, error) {
					if len(typed) == 0 {
						return "", errors.New("no more input")
					}
					line := typed[0]
					typed = typed[1:]
					return line, nil
				}
			}
			err := runHashPassword(s, tt.flag)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "hash-password: ") {
					t.Fatalf("err = %v; want one containing %q", err, tt.wantErr)
				}
				if out.Len() != 0 {
					t.Fatalf("printed %q despite the error", out)
				}
				return
			}
			if err != nil {
				t.Fatalf("runHashPassword: %v", err)
			}
			hash, ok := strings.CutSuffix(out.String(), "\n")
			if !ok || !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
				t.Fatalf("output %q is not one argon2id hash line", out)
			}
			mustVerify(t, hash, tt.want)
			if tt.terminal != nil && !strings.Contains(errOut.String(), "Confirm password: ") {
				t.Fatalf("no confirmation prompt on stderr: %q", errOut)
			}
			if strings.Contains(errOut.String(), tt.want) {
				t.Fatalf("the password was echoed: %q", errOut)
			}
		})
	}
}
