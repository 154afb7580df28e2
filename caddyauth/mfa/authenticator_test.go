package mfa

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// softKey is a software security key for tests: it answers navigator.credentials.create
// and .get the way a browser would post them (JSON, binary fields base64url), with "none"
// attestation and an ES256 key. The lead's browser tests use Chrome's virtual authenticator.
type softKey struct {
	t         *testing.T
	key       *ecdsa.PrivateKey
	id        []byte
	signCount uint32
	origin    string
}

func newSoftKey(t *testing.T, origin string) *softKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	return &softKey{t: t, key: key, id: id, origin: origin}
}

var b64u = base64.RawURLEncoding

// Authenticator data flags.
const (
	flagUP = 0x01
	flagUV = 0x04
	flagAT = 0x40
)

// options decodes the challenge and rp id from options JSON (creation or assertion).
func (k *softKey) options(optionsJSON []byte) (challenge, rpID string, userID []byte) {
	k.t.Helper()
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			RP        struct {
				ID string `json:"id"`
			} `json:"rp"`
			RPID string `json:"rpId"`
			User struct {
				ID string `json:"id"`
			} `json:"user"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		k.t.Fatalf("decoding options: %v", err)
	}
	rpID = o.PublicKey.RP.ID
	if rpID == "" {
		rpID = o.PublicKey.RPID
	}
	if o.PublicKey.User.ID != "" {
		var err error
		if userID, err = b64u.DecodeString(o.PublicKey.User.ID); err != nil {
			k.t.Fatalf("decoding user id: %v", err)
		}
	}
	return o.PublicKey.Challenge, rpID, userID
}

func (k *softKey) clientData(typ, challenge string) []byte {
	raw, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": k.origin, "crossOrigin": false})
	return raw
}

func (k *softKey) authData(rpID string, flags byte, attested []byte) []byte {
	rpHash := sha256.Sum256([]byte(rpID))
	out := append([]byte(nil), rpHash[:]...)
	out = append(out, flags)
	out = binary.BigEndian.AppendUint32(out, k.signCount)
	return append(out, attested...)
}

// create answers creation options with a registration response body.
func (k *softKey) create(optionsJSON []byte) []byte {
	k.t.Helper()
	challenge, rpID, _ := k.options(optionsJSON)
	cose, err := webauthncbor.Marshal(map[int]any{
		1: 2, 3: -7, -1: 1,
		-2: k.key.X.FillBytes(make([]byte, 32)),
		-3: k.key.Y.FillBytes(make([]byte, 32)),
	})
	if err != nil {
		k.t.Fatal(err)
	}
	attested := make([]byte, 16) // AAGUID: zero
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(k.id)))
	attested = append(attested, k.id...)
	attested = append(attested, cose...)
	attObj, err := webauthncbor.Marshal(map[string]any{
		"fmt":      "none",
		"attStmt":  map[string]any{},
		"authData": k.authData(rpID, flagUP|flagUV|flagAT, attested),
	})
	if err != nil {
		k.t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{
		"id":    b64u.EncodeToString(k.id),
		"rawId": b64u.EncodeToString(k.id),
		"type":  "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64u.EncodeToString(k.clientData("webauthn.create", challenge)),
			"attestationObject": b64u.EncodeToString(attObj),
		},
		"clientExtensionResults": map[string]any{},
	})
	return body
}

// get answers assertion options with a login response body, counting one use.
func (k *softKey) get(optionsJSON []byte, userHandle []byte) []byte {
	k.t.Helper()
	challenge, rpID, _ := k.options(optionsJSON)
	k.signCount++
	authData := k.authData(rpID, flagUP|flagUV, nil)
	cd := k.clientData("webauthn.get", challenge)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte(nil), authData...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	if err != nil {
		k.t.Fatal(err)
	}
	response := map[string]any{
		"clientDataJSON":    b64u.EncodeToString(cd),
		"authenticatorData": b64u.EncodeToString(authData),
		"signature":         b64u.EncodeToString(sig),
	}
	if userHandle != nil {
		response["userHandle"] = b64u.EncodeToString(userHandle)
	}
	body, _ := json.Marshal(map[string]any{
		"id":                     b64u.EncodeToString(k.id),
		"rawId":                  b64u.EncodeToString(k.id),
		"type":                   "public-key",
		"response":               response,
		"clientExtensionResults": map[string]any{},
	})
	return body
}
