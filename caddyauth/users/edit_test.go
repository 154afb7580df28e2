package users

import (
	"errors"
	"testing"
)

func TestFileEdits(t *testing.T) {
	f := sampleFile()
	if err := f.Add(User{Username: "Carol", Password: testHash()}); err != nil {
		t.Fatalf("Add(Carol): %v", err)
	}
	if err := f.Add(User{Username: "ALICE", Password: testHash()}); !errors.Is(err, ErrUserExists) {
		t.Fatalf("Add(ALICE) = %v; want ErrUserExists", err)
	}
	if err := f.Add(User{Username: "dave", Password: "plain"}); err == nil {
		t.Fatalf("Add(dave with a plain-text password) succeeded")
	}
	if err := f.Add(User{Username: "d ave", Password: testHash()}); err == nil {
		t.Fatalf("Add(d ave) succeeded")
	}
	if len(f.Users) != 3 {
		t.Fatalf("%d users after edits, want 3", len(f.Users))
	}

	if err := f.SetPassword("carol", "$2a$04$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"); err != nil {
		t.Fatalf("SetPassword(carol): %v", err)
	}
	if f.Users[2].Password[:4] != "$2a$" {
		t.Fatalf("SetPassword did not change the hash")
	}
	if err := f.SetPassword("carol", "plain"); err == nil {
		t.Fatalf("SetPassword(plain text) succeeded")
	}
	if err := f.SetPassword("zed", testHash()); !errors.Is(err, ErrNoSuchUser) {
		t.Fatalf("SetPassword(zed) = %v; want ErrNoSuchUser", err)
	}

	if err := f.Remove(" Bob "); err != nil {
		t.Fatalf("Remove(Bob): %v", err)
	}
	if err := f.Remove("bob"); !errors.Is(err, ErrNoSuchUser) {
		t.Fatalf("Remove(bob) twice = %v; want ErrNoSuchUser", err)
	}
	if len(f.Users) != 2 || f.Users[0].Username != "alice" || f.Users[1].Username != "Carol" {
		t.Fatalf("users after Remove = %+v", f.Users)
	}
	if err := Validate(f); err != nil {
		t.Fatalf("edited file does not validate: %v", err)
	}
}
