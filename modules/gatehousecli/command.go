// Package gatehousecli registers the `caddy gatehouse` subcommands: hash-password and
// user add / remove / list / passwd, which edit the local users file.
//
// The cobra wiring here is thin: each command reads its flags and calls a function that
// takes readers and writers, so that the work is tested without a terminal or a process.
package gatehousecli

import (
	"github.com/spf13/cobra"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "gatehouse",
		Usage: "<hash-password|user> [args]",
		Short: "Hashes passwords and manages Gatehouse's local users file",
		Long: `
Tools for Gatehouse, the authentication gateway.

  caddy gatehouse hash-password [--password <p>]
  caddy gatehouse user add    --file <users.json> <username> [--email <e>] [--name <n>]
                              [--group <g>]... [--role <r>]... [--password <p>] [--totp-secret <s>]
  caddy gatehouse user remove --file <users.json> <username>
  caddy gatehouse user list   --file <users.json>
  caddy gatehouse user passwd --file <users.json> <username> [--password <p>]

When --password is omitted the password is asked twice on a terminal (not echoed), or read
as one line from standard input otherwise. A password given with --password may be seen
in the process list and the shell history.

The users file is checked before it is written: a change that would make it invalid is
refused and the file is left as it was. Caddy reads the file when its config is loaded.
`,
		CobraFunc: configure,
	})
}

// configure adds the subcommands to the `gatehouse` command.
func configure(cmd *cobra.Command) {
	cmd.AddCommand(hashPasswordCommand(), userCommand())
}

// hashPasswordCommand is `gatehouse hash-password`.
func hashPasswordCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "hash-password [--password <p>]",
		Short: "Prints the argon2id hash of a password, for the users file",
		Args:  cobra.NoArgs,
	}
	c.Flags().String("password", "", "the password (default: asked on the terminal or read from stdin)")
	c.RunE = func(c *cobra.Command, _ []string) error {
		return runHashPassword(streamsOf(c), passwordFlag(c))
	}
	return c
}

// userCommand is `gatehouse user` with its subcommands.
func userCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "user <add|remove|list|passwd>",
		Short: "Edits the local users file",
	}
	c.AddCommand(userAddCommand(), userRemoveCommand(), userListCommand(), userPasswdCommand())
	return c
}

// userAddCommand is `gatehouse user add`.
func userAddCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "add --file <users.json> <username> [flags]",
		Short: "Adds a user (the file is created if missing)",
		Args:  cobra.ExactArgs(1),
	}
	fileFlag(c)
	c.Flags().String("email", "", "email address")
	c.Flags().String("name", "", "display name")
	c.Flags().StringArray("group", nil, "group the user belongs to (repeatable)")
	c.Flags().StringArray("role", nil, "role given to the user (repeatable)")
	c.Flags().String("password", "", "the password (default: asked on the terminal or read from stdin)")
	c.Flags().String("totp-secret", "", "base32 TOTP secret provisioned for the user")
	c.RunE = func(c *cobra.Command, args []string) error {
		f := c.Flags()
		u := addRequest{Username: args[0], Password: passwordFlag(c)}
		u.Email, _ = f.GetString("email")
		u.Name, _ = f.GetString("name")
		u.Groups, _ = f.GetStringArray("group")
		u.Roles, _ = f.GetStringArray("role")
		u.TOTPSecret, _ = f.GetString("totp-secret")
		return runUserAdd(streamsOf(c), filePath(c), u)
	}
	return c
}

// userRemoveCommand is `gatehouse user remove`.
func userRemoveCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "remove --file <users.json> <username>",
		Short: "Removes a user",
		Args:  cobra.ExactArgs(1),
	}
	fileFlag(c)
	c.RunE = func(c *cobra.Command, args []string) error {
		return runUserRemove(streamsOf(c), filePath(c), args[0])
	}
	return c
}

// userListCommand is `gatehouse user list`.
func userListCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "list --file <users.json>",
		Short: "Lists the users (never their hashes or secrets)",
		Args:  cobra.NoArgs,
	}
	fileFlag(c)
	c.RunE = func(c *cobra.Command, _ []string) error {
		return runUserList(streamsOf(c), filePath(c))
	}
	return c
}

// userPasswdCommand is `gatehouse user passwd`.
func userPasswdCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "passwd --file <users.json> <username> [--password <p>]",
		Short: "Sets a user's password",
		Args:  cobra.ExactArgs(1),
	}
	fileFlag(c)
	c.Flags().String("password", "", "the new password (default: asked on the terminal or read from stdin)")
	c.RunE = func(c *cobra.Command, args []string) error {
		return runUserPasswd(streamsOf(c), filePath(c), args[0], passwordFlag(c))
	}
	return c
}

// fileFlag adds the required --file flag.
func fileFlag(c *cobra.Command) {
	c.Flags().String("file", "", "path of the users file (required)")
	_ = c.MarkFlagRequired("file")
}

// filePath returns --file.
func filePath(c *cobra.Command) string {
	p, _ := c.Flags().GetString("file")
	return p
}

// passwordFlag returns --password, telling apart "not given" (nil) from "given".
func passwordFlag(c *cobra.Command) *string {
	if !c.Flags().Changed("password") {
		return nil
	}
	p, _ := c.Flags().GetString("password")
	return &p
}

// streamsOf returns the command's standard streams.
func streamsOf(c *cobra.Command) streams {
	return streams{in: c.InOrStdin(), out: c.OutOrStdout(), errOut: c.ErrOrStderr()}
}
