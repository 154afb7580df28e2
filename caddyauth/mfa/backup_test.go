package mfa

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var backupFormat = regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{2}$`)

func TestNewBackupCodes(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	codes, hashes := NewBackupCodes(key, 10)
	if len(codes) != 10 || len(hashes) != 10 {
		t.Fatalf("got %d codes, %d hashes; want 10 each", len(codes), len(hashes))
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if !backupFormat.MatchString(c) {
			t.Errorf("code %q does not have the format xxxx-xxxx-xx", c)
		}
		if seen[c] || seen[hashes[i]] {
			t.Errorf("duplicate code or hash")
		}
		seen[c], seen[hashes[i]] = true, true
		if strings.Contains(hashes[i], strings.ReplaceAll(c, "-", "")) {
			t.Errorf("hash contains the code")
		}
	}
	if c, h := NewBackupCodes(key, 0); c != nil || h != nil {
		t.Errorf("NewBackupCodes(0) = %v, %v", c, h)
	}
}

func TestUseBackupCode(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	codes, hashes := NewBackupCodes(key, 5)
	// Every code is usable once, in any order.
	remaining := slices.Clone(hashes)
	for _, i := range []int{3, 0, 4, 1, 2} {
		var ok bool
		before := len(remaining)
		remaining, ok = UseBackupCode(key, remaining, codes[i])
		if !ok || len(remaining) != before-1 {
			t.Fatalf("first use of code %d: ok %v, %d hashes left (had %d)", i, ok, len(remaining), before)
		}
		if again, ok := UseBackupCode(key, remaining, codes[i]); ok || len(again) != len(remaining) {
			t.Fatalf("second use of code %d accepted", i)
		}
	}
	if len(remaining) != 0 {
		t.Fatalf("%d hashes left after using every code", len(remaining))
	}
}

func TestUseBackupCodeNormalisation(t *testing.T) {
	key := []byte("k")
	codes, hashes := NewBackupCodes(key, 1)
	c := codes[0]
	raw := strings.ReplaceAll(c, "-", "")
	lookalike := strings.NewReplacer("1", "l", "0", "O").Replace(raw)
	cases := []struct {
		name string
		code string
		ok   bool
	}{
		{"as shown", c, true},
		{"upper case", strings.ToUpper(c), true},
		{"no dashes", raw, true},
		{"spaces", raw[:4] + " " + raw[4:8] + " " + raw[8:], true},
		{"surrounding spaces", "  " + c + " ", true},
		{"look-alikes", lookalike, true},
		{"one symbol changed", flipSymbol(raw), false},
		{"too short", raw[:9], false},
		{"too long", raw + "a", false},
		{"empty", "", false},
		{"forbidden letter", raw[:9] + "u", false},
		{"other key", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := UseBackupCode(key, hashes, tc.code)
			if ok != tc.ok {
				t.Fatalf("UseBackupCode(%q) = %v, want %v", tc.code, ok, tc.ok)
			}
			if !ok && !slices.Equal(got, hashes) {
				t.Fatalf("a refused code changed the hashes")
			}
		})
	}
	if _, ok := UseBackupCode([]byte("other"), hashes, c); ok {
		t.Fatalf("code accepted under another key")
	}
}

// flipSymbol changes the first symbol of raw to another symbol of the alphabet.
func flipSymbol(raw string) string {
	i := strings.IndexByte(backupAlphabet, raw[0])
	return string(backupAlphabet[(i+1)%len(backupAlphabet)]) + raw[1:]
}

func TestUseBackupCodeDoesNotAliasInput(t *testing.T) {
	key := []byte("k")
	codes, hashes := NewBackupCodes(key, 3)
	orig := slices.Clone(hashes)
	if _, ok := UseBackupCode(key, hashes, codes[0]); !ok {
		t.Fatal("code refused")
	}
	if !slices.Equal(hashes, orig) {
		t.Fatalf("UseBackupCode modified its input slice")
	}
}

func TestUsedBackupCode(t *testing.T) {
	ctx := context.Background()
	st := newStore(t, nil)
	key := []byte("k")
	codes, _ := NewBackupCodes(key, 2)
	steps := []struct {
		user, code string
		first      bool
	}{
		{"alice", codes[0], true},
		{"alice", strings.ToUpper(codes[0]), false},
		{"alice", codes[1], true},
		{"bob", codes[0], true},
		{"alice", "not a code", false},
	}
	for i, s := range steps {
		first, err := UsedBackupCode(ctx, st, key, s.user, s.code)
		if err != nil || first != s.first {
			t.Fatalf("step %d: first = %v, %v; want %v", i, first, err, s.first)
		}
	}
}
