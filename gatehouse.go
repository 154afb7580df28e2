// Package gatehouse registers every Gatehouse Caddy module. Import it (or build with
// xcaddy --with github.com/gatehousehq/gatehouse) to get the `gatehouse` app, the
// `gatehouse` HTTP handler and directive, and the `caddy gatehouse` subcommands.
package gatehouse

import (
	_ "github.com/gatehousehq/gatehouse/modules/gatehouse"
	_ "github.com/gatehousehq/gatehouse/modules/gatehousecli"
)
