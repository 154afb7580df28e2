package gatehousecli

import (
	"fmt"

	"github.com/gatehousehq/gatehouse/caddyauth/password"
)

// runHashPassword prints the argon2id hash of the password given by flag or asked for.
func runHashPassword(s streams, flag *string) error {
	pw, err := s.newPassword(flag)
	if err != nil {
		return fmt.Errorf("hash-password: %w", err)
	}
	hash, err := password.Hash(pw)
	if err != nil {
		return fmt.Errorf("hash-password: %w", err)
	}
	_, err = fmt.Fprintln(s.out, hash)
	return err
}
