package users

import "testing"

// FuzzParse checks that no input makes Parse, Validate or a Set panic.
func FuzzParse(f *testing.F) {
	h := "$2a$04$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
	for _, seed := range []string{
		``, `{}`, `null`, `[]`, `{"users": null}`, `{"users": [null]}`,
		`{"users": [{"username": "alice", "password": "` + h + `", "totp_secret": "jbswy3dpehpk3pxp"}]}`,
		`{"users": [{"username": "a", "password": "` + h + `"}, {"username": "A", "password": "` + h + `"}]}`,
		`{"users": [{"username": "a", "password": "$argon2id$v=19$m=1,t=1,p=1$$"}]}`,
		`{"users": [{"username": 1}]}`, `{"users": []} x`, "{\"users\": [\n{\"x\": 1}]}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		s, err := NewSet(file)
		if err != nil {
			return
		}
		for _, u := range file.Users {
			if _, ok := s.Lookup(u.Username); !ok {
				t.Fatalf("valid user %q not found", u.Username)
			}
		}
		if s.Len() != len(file.Users) || len(s.Users()) != s.Len() {
			t.Fatalf("set has %d users, file %d", s.Len(), len(file.Users))
		}
	})
}
