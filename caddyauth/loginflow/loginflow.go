// Package loginflow keeps the state of sign-ins in progress at an identity provider (state,
// nonce, PKCE verifier, return URL) in the Store, so that a flow started on one instance can
// finish on another. Each state is used once, within its lifetime, by the browser that
// started it.
package loginflow

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gatehousehq/gatehouse/caddyauth/session"
	"github.com/gatehousehq/gatehouse/caddyauth/store"
)

// Lifetime is how long a started sign-in may take.
const Lifetime = 10 * time.Minute

// Errors of Finish.
var (
	// ErrUnknownState: no flow has this state (never started, already used, or expired).
	ErrUnknownState = errors.New("unknown or used sign-in state")
	// ErrOtherBrowser: the flow was started by another browser (its binding cookie differs).
	ErrOtherBrowser = errors.New("sign-in started in another browser")
)

// Flow is one sign-in in progress.
type Flow struct {
	Provider    string `json:"p"`
	Nonce       string `json:"n"`
	Verifier    string `json:"v"`
	RD          string `json:"rd"`
	RedirectURL string `json:"r"`
	// Binding is the SHA-256 of the starting browser's flow cookie.
	Binding []byte `json:"b"`
}

// Flows keeps flows in a store.
type Flows struct {
	store store.Store
}

// New returns Flows on st.
func New(st store.Store) *Flows { return &Flows{store: st} }

// Begin records a new flow for provider started by the browser holding binding (its flow
// cookie's value) and returns its state, nonce and PKCE verifier (in f).
func (fl *Flows) Begin(ctx context.Context, provider, rd, redirectURL, binding string) (state string, f Flow, err error) {
	state = session.NewToken()
	f = Flow{
		Provider: provider, Nonce: session.NewToken(), Verifier: session.NewToken() + session.NewToken()[:21],
		RD: rd, RedirectURL: redirectURL, Binding: hash(binding),
	}
	raw, err := json.Marshal(f)
	if err != nil {
		return "", Flow{}, fmt.Errorf("encoding sign-in state: %w", err)
	}
	if err := fl.store.Set(ctx, key(state), raw, Lifetime); err != nil {
		return "", Flow{}, fmt.Errorf("saving sign-in state: %w", err)
	}
	return state, f, nil
}

// Finish takes the flow of state (it cannot be used again) and checks that the browser
// holding binding started it. Store failures are returned as they are (the caller answers
// 503); ErrUnknownState and ErrOtherBrowser mean the callback is refused.
func (fl *Flows) Finish(ctx context.Context, state, binding string) (Flow, error) {
	if !session.ValidToken(state) {
		return Flow{}, ErrUnknownState
	}
	raw, err := fl.store.Take(ctx, key(state))
	if errors.Is(err, store.ErrNotFound) {
		return Flow{}, ErrUnknownState
	}
	if err != nil {
		return Flow{}, fmt.Errorf("reading sign-in state: %w", err)
	}
	var f Flow
	if err := json.Unmarshal(raw, &f); err != nil {
		return Flow{}, fmt.Errorf("decoding sign-in state: %w", err)
	}
	if binding == "" || subtle.ConstantTimeCompare(f.Binding, hash(binding)) != 1 {
		return Flow{}, ErrOtherBrowser
	}
	return f, nil
}

func hash(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// key is the store key of a state: its hash, so the store does not hold usable states.
func key(state string) string {
	sum := sha256.Sum256([]byte(state))
	return "flow:" + base64.RawURLEncoding.EncodeToString(sum[:])
}
