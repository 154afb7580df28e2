// Command caddy is Caddy with its standard modules and every Gatehouse module.
// `./xcaddy.sh build` builds it into ./caddy.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/gatehousehq/gatehouse"
)

func main() {
	caddycmd.Main()
}
