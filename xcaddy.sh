#!/usr/bin/env bash
# Build, run and test Caddy with Gatehouse.
#
#   ./xcaddy.sh build   build ./caddy (Caddy v2.11.9 + standard modules + Gatehouse)
#   ./xcaddy.sh run     build when stale, then run Caddyfile.example on 127.0.0.1
#   ./xcaddy.sh test    install what the tests need (chromium, redis-server), vet, test -race,
#                       then the memory-bound tests without -race
#
# The binary is built from cmd/caddy, a plain main that imports caddycmd, Caddy's standard
# modules and this module: the same result as
#   xcaddy build v2.11.9 --with github.com/gatehousehq/gatehouse@v0.0.0=.
set -euo pipefail
cd "$(dirname "$0")"

build() {
	go build -trimpath -o caddy ./cmd/caddy
}

stale() {
	[ ! -x caddy ] && return 0
	[ -n "$(find . -path ./.git -prune -o \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' -o -path './web/*' \) -newer caddy -print -quit)" ]
}

install_test_deps() {
	local missing=()
	command -v chromium >/dev/null 2>&1 || missing+=(chromium)
	command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
	if [ ${#missing[@]} -gt 0 ]; then
		echo "installing ${missing[*]}"
		local sudo=""
		[ "$(id -u)" -ne 0 ] && sudo=sudo
		$sudo apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
}

case "${1:-}" in
build)
	build
	;;
run)
	shift
	if stale; then
		echo "building ./caddy ..."
		build
	fi
	exec ./caddy run --config Caddyfile.example --adapter caddyfile "$@"
	;;
test)
	shift
	install_test_deps
	go vet ./...
	go test -race -count=1 "$@" ./...
	# The million-key memory tests are built without -race (the race detector's shadow
	# memory would swamp what they measure).
	go test -count=1 -run 'Million' "$@" ./caddyauth/store/ ./caddyauth/ratelimit/
	;;
*)
	echo "usage: $0 build|run|test" >&2
	exit 2
	;;
esac
