package gatehouse

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

func TestStripHeaders(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   http.Header
		want http.Header
	}{
		{"canonical", http.Header{"Remote-User": {"evil"}, "Accept": {"*/*"}}, http.Header{"Accept": {"*/*"}}},
		{"underscore", http.Header{"Remote_user": {"evil"}}, http.Header{}},
		{"dot", http.Header{"Remote.groups": {"admins"}}, http.Header{}},
		{"mixed", http.Header{"REMOTE_EMAIL": {"x"}, "remote.Name": {"y"}, "Remote-Roles": {"admin"}}, http.Header{}},
		{"assertion", http.Header{"Gatehouse_assertion": {"forged"}}, http.Header{}},
		{"look-alike kept", http.Header{"Remote-Userx": {"1"}, "X-Remote-User": {"2"}}, http.Header{"Remote-Userx": {"1"}, "X-Remote-User": {"2"}}},
		{"connection tokens", http.Header{"Connection": {"keep-alive, Remote-User", "remote_groups, Cookie"}}, http.Header{"Connection": {"keep-alive"}}},
		{"connection only ours", http.Header{"Connection": {"Remote-User"}}, http.Header{}},
		{"connection untouched", http.Header{"Connection": {"keep-alive"}}, http.Header{"Connection": {"keep-alive"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.in.Clone()
			stripHeaders(h, identityHeaders)
			if !reflect.DeepEqual(h, tc.want) {
				t.Fatalf("got %v, want %v", h, tc.want)
			}
		})
	}
}

func TestSameOrigin(t *testing.T) {
	for _, tc := range []struct {
		headers map[string]string
		want    bool
	}{
		{nil, true},
		{map[string]string{"Origin": "http://app.example.com"}, true},
		{map[string]string{"Origin": "https://APP.example.com"}, true},
		{map[string]string{"Origin": "https://evil.example.com"}, false},
		{map[string]string{"Origin": "null"}, false},
		{map[string]string{"Origin": "https://app.example.com.evil.com"}, false},
		{map[string]string{"Sec-Fetch-Site": "same-origin"}, true},
		{map[string]string{"Sec-Fetch-Site": "same-site"}, false},
		{map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://app.example.com"}, false},
	} {
		r := httptest.NewRequest(http.MethodPost, "http://app.example.com/.gatehouse/login", nil)
		for k, v := range tc.headers {
			r.Header.Set(k, v)
		}
		if got := sameOrigin(r); got != tc.want {
			t.Errorf("sameOrigin with %v = %v, want %v", tc.headers, got, tc.want)
		}
	}
}

func TestSecureCookies(t *testing.T) {
	for _, tc := range []struct {
		host string
		tls  bool
		want bool
	}{
		{"localhost:8080", false, false},
		{"127.0.0.1:8080", false, false},
		{"[::1]:8080", false, false},
		{"app.localhost", false, false},
		{"app.example.com", false, true},
		{"192.168.1.10", false, true},
		{"localhost:8443", true, true},
	} {
		r := httptest.NewRequest(http.MethodGet, "http://x/", nil)
		r.Host = tc.host
		if tc.tls {
			r.TLS = &tls.ConnectionState{}
		}
		if got := secureCookies(r); got != tc.want {
			t.Errorf("secureCookies(%s, tls=%v) = %v, want %v", tc.host, tc.tls, got, tc.want)
		}
	}
}

func TestSetIdentityHeadersSkipsEmpty(t *testing.T) {
	h := http.Header{}
	setIdentityHeaders(h, &view{user: "alice", email: "", name: "Alice", groups: "", rolesCSV: "admin"})
	want := http.Header{"Remote-User": {"alice"}, "Remote-Name": {"Alice"}, "Remote-Roles": {"admin"}}
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("got %v, want %v", h, want)
	}
}
