package mfa

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/store"
	"github.com/gatehousehq/gatehouse/internal/sharedtestdata"
)

// sharedTestdata returns the path of a file in the shared test vectors.
func sharedTestdata(tb testing.TB, name string) string {
	tb.Helper()
	return sharedtestdata.Path(tb, name)
}

// rfcVectors is totp_hotp_rfc_vectors.json.
type rfcVectors struct {
	HOTP struct {
		SecretBase32 string `json:"secret_base32"`
		Algorithm    string `json:"algorithm"`
		Digits       int    `json:"digits"`
		Rows         []struct {
			Counter int64  `json:"counter"`
			HOTP6   string `json:"hotp_6"`
		} `json:"rows"`
	} `json:"hotp_rfc4226"`
	TOTP struct {
		TimeStep int   `json:"time_step_seconds"`
		T0       int64 `json:"t0"`
		Digits   int   `json:"digits"`
		Seeds    map[string]struct {
			Base32 string `json:"base32"`
			Bytes  int    `json:"bytes"`
		} `json:"seeds"`
		Rows []struct {
			UnixTime int64  `json:"unix_time"`
			THex     string `json:"T_hex"`
			Mode     string `json:"mode"`
			TOTP8    string `json:"totp_8"`
			TOTP6    string `json:"totp_6_derived"`
		} `json:"rows"`
	} `json:"totp_rfc6238"`
}

// loadRFCVectors reads the RFC 4226 / RFC 6238 vectors; a missing file is a failure.
func loadRFCVectors(tb testing.TB) rfcVectors {
	tb.Helper()
	raw, err := os.ReadFile(sharedTestdata(tb, "totp_hotp_rfc_vectors.json"))
	if err != nil {
		tb.Fatalf("reading rfc vectors: %v", err)
	}
	var v rfcVectors
	if err := json.Unmarshal(raw, &v); err != nil {
		tb.Fatalf("decoding rfc vectors: %v", err)
	}
	if len(v.HOTP.Rows) == 0 || len(v.TOTP.Rows) == 0 {
		tb.Fatalf("rfc vectors file has no rows")
	}
	return v
}

// clock is a settable fake clock.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

// newStore returns a memory store on clk (a fixed clock when nil), closed at the end.
func newStore(tb testing.TB, clk *clock) store.Store {
	tb.Helper()
	if clk == nil {
		clk = &clock{t: time.Unix(1_700_000_000, 0)}
	}
	st := store.NewMemory(store.Options{Now: clk.Now})
	tb.Cleanup(func() { _ = st.Close() })
	return st
}
