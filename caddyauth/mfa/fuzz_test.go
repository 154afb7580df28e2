package mfa

import (
	"slices"
	"testing"
	"time"
)

// FuzzCheck: arbitrary secrets, codes, times and configurations never panic, and whatever
// is accepted is a code of the right length within one step of now.
func FuzzCheck(f *testing.F) {
	f.Add("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "287082", int64(59), 6, int64(30), "SHA1")
	f.Add("JBSWY3DPEHPK3PXP", "12345678", int64(1_111_111_109), 8, int64(60), "SHA512")
	f.Add("", "", int64(-1), 0, int64(0), "")
	f.Add("====", "١٢٣٤٥٦", int64(1<<62), 7, int64(-5), "md5")
	f.Fuzz(func(t *testing.T, secret, code string, unix int64, digits int, period int64, alg string) {
		cfg := TOTP{Digits: digits, Period: time.Duration(period) * time.Second, Algorithm: alg}
		now := time.Unix(unix, 0)
		counter, ok := cfg.Check(secret, code, now)
		if !ok {
			return
		}
		cfg = cfg.withDefaults()
		step := now.Unix() / int64(cfg.Period/time.Second)
		if counter < step-1 || counter > step+1 {
			t.Fatalf("accepted counter %d, current step %d", counter, step)
		}
	})
}

// FuzzUseBackupCode: arbitrary input never panics, never matches a code it should not and
// leaves the hashes unchanged when refused.
func FuzzUseBackupCode(f *testing.F) {
	key := []byte("fuzz key")
	codes, hashes := NewBackupCodes(key, 3)
	f.Add(codes[0])
	f.Add("ABCD-EFGH-JK")
	f.Add("")
	f.Add("  --  ")
	f.Add("iiii-llll-oo")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, code string) {
		got, ok := UseBackupCode(key, hashes, code)
		if !ok {
			if !slices.Equal(got, hashes) {
				t.Fatalf("refused code %q changed the hashes", code)
			}
			return
		}
		if len(got) != len(hashes)-1 {
			t.Fatalf("accepted code %q removed %d hashes", code, len(hashes)-len(got))
		}
		raw, _ := normalizeBackupCode(code)
		if !slices.ContainsFunc(codes, func(c string) bool { n, _ := normalizeBackupCode(c); return n == raw }) {
			t.Fatalf("accepted %q, which is none of the codes", code)
		}
	})
}
