#!/usr/bin/env bash
# Load comparison: a Gatehouse-protected route against a plain reverse_proxy.
#
#   bench/load.sh [file|memory]          (default: file)
#
# What it measures (GATEWAY.md §7, first row): the throughput and p99 latency of a
# session-protected route (`gatehouse { allow user bench }` + reverse_proxy) next to a plain
# `reverse_proxy` to the same upstream, both served by one Caddy process, in one run, with the
# same load generator (wrk). Targets: gated/plain throughput >= 0.90, p99 within +1 ms.
#
# How:
#   1. builds ./caddy when it is missing (./xcaddy.sh build; a stale binary is used as is);
#   2. in a temporary directory (removed on exit, with Caddy stopped, whatever happens):
#      a users file with one user "bench" (random password), a random 64-hex secret, and a
#      Caddyfile with three loopback sites: the upstream (`respond "ok" 200`), the plain
#      proxy, the gated proxy; store `file <tmp>/gh.db` or `memory`. XDG_* point into the
#      temporary directory, so nothing is written to your home;
#   3. starts `./caddy run`, waits for the admin endpoint and the sites, signs in with curl
#      (GET /.gatehouse/login for the form cookie and token, POST the form) and keeps the
#      session cookie;
#   4. checks that the gated route answers 200 with the cookie and 401 without (otherwise it
#      stops: a benchmark of 401s is worthless);
#   5. a short warm-up, then alternating wrk runs (plain, gated, plain, gated, ...) against
#      127.0.0.1 only, ROUNDS rounds of DURATION each, with the cookie on the gated runs;
#   6. prints each round, then the medians (req/s and p99), the ratio gated/plain of
#      throughput and the p99 difference, next to the command line, nproc and the load
#      average before and after: the machine may be shared, so compare within one run only.
#
# Settings (environment):
#   DURATION=10s     length of each wrk run (wrk syntax: 10s, 1m; a bare number is seconds)
#   CONNECTIONS=32   open connections (wrk -c)
#   THREADS=2        wrk threads (wrk -t)
#   ROUNDS=3         runs of each route; the table shows the medians
#   WARMUP=1s        one unmeasured run of each route before the rounds; 0 to skip
#
# Example:  DURATION=5 bench/load.sh memory
#
# Needs: bash, curl, wrk, awk, od, ss (or /dev/tcp probes). Exits 0 after printing the table;
# non-zero when the setup, the sign-in, the checks or a run fails (a run with any non-2xx
# response counts as failed).
set -euo pipefail

STORE=${1:-file}
case "$STORE" in
file | memory) ;;
*)
	echo "usage: $0 [file|memory]" >&2
	exit 2
	;;
esac
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-1s}
COOKIE_NAME=gatehouse # the default session cookie name

INVOCATION="DURATION=$DURATION CONNECTIONS=$CONNECTIONS THREADS=$THREADS ROUNDS=$ROUNDS WARMUP=$WARMUP $0 $STORE"

cd "$(dirname "$0")/.."

die() {
	echo "load.sh: $*" >&2
	exit 1
}

command -v wrk >/dev/null 2>&1 || die "wrk is not installed"
command -v curl >/dev/null 2>&1 || die "curl is not installed"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer, got '$ROUNDS'"

if [ ! -x ./caddy ]; then
	echo "building ./caddy ..."
	./xcaddy.sh build
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-bench.XXXXXX")
CADDY_PID=""
cleanup() {
	local rc=$?
	if [ -n "$CADDY_PID" ] && kill -0 "$CADDY_PID" 2>/dev/null; then
		kill "$CADDY_PID" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$CADDY_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$CADDY_PID" 2>/dev/null || true
		wait "$CADDY_PID" 2>/dev/null || true
	fi
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# Keep Caddy's and the CLI's files inside the temporary directory.
export XDG_DATA_HOME="$TMP/data" XDG_CONFIG_HOME="$TMP/config" XDG_CACHE_HOME="$TMP/cache"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"

# port_in_use tells whether something listens on 127.0.0.1:$1.
port_in_use() {
	if command -v ss >/dev/null 2>&1; then
		ss -Htln "sport = :$1" 2>/dev/null | grep -q .
	else
		(: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null
	fi
}

# free_port prints a loopback port that nothing listens on and that this script has not
# handed out yet (a small race with other programs remains; Caddy then fails to start).
TAKEN=" "
free_port() {
	local p
	for _ in $(seq 200); do
		p=$((20000 + RANDOM % 40000))
		if [[ $TAKEN != *" $p "* ]] && ! port_in_use "$p"; then
			TAKEN+="$p "
			echo "$p"
			return 0
		fi
	done
	die "no free port found"
}

ADMIN_PORT=$(free_port)
UP_PORT=$(free_port)
PLAIN_PORT=$(free_port)
GATED_PORT=$(free_port)
UP_URL="http://127.0.0.1:$UP_PORT/"
PLAIN_URL="http://127.0.0.1:$PLAIN_PORT/"
GATED_URL="http://127.0.0.1:$GATED_PORT/"

# The user: random password, given on stdin so it is not in the process list.
PASSWORD=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
SECRET=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
printf '%s\n' "$PASSWORD" | ./caddy gatehouse user add --file "$TMP/users.json" bench >"$TMP/user-add.log" 2>&1 ||
	{
		cat "$TMP/user-add.log" >&2
		die "could not create the users file"
	}

if [ "$STORE" = file ]; then
	STORE_LINE="store file $TMP/gh.db"
else
	STORE_LINE="store memory"
fi

cat >"$TMP/Caddyfile" <<EOF
{
	admin localhost:$ADMIN_PORT
	default_bind 127.0.0.1
	auto_https off
	gatehouse {
		users $TMP/users.json
		$STORE_LINE
		secret $SECRET
	}
}

# The upstream.
http://127.0.0.1:$UP_PORT {
	respond "ok" 200
}

# Plain proxy.
http://127.0.0.1:$PLAIN_PORT {
	reverse_proxy 127.0.0.1:$UP_PORT
}

# Gated proxy.
http://127.0.0.1:$GATED_PORT {
	gatehouse {
		allow user bench
	}
	reverse_proxy 127.0.0.1:$UP_PORT
}
EOF

./caddy run --config "$TMP/Caddyfile" --adapter caddyfile >"$TMP/caddy.log" 2>&1 &
CADDY_PID=$!

# wait_for polls a URL until it answers (any HTTP status), for at most 15 s.
wait_for() {
	for _ in $(seq 150); do
		if ! kill -0 "$CADDY_PID" 2>/dev/null; then
			tail -n 20 "$TMP/caddy.log" >&2
			die "caddy exited during start-up"
		fi
		if curl -s -o /dev/null --max-time 1 "$1"; then
			return 0
		fi
		sleep 0.1
	done
	tail -n 20 "$TMP/caddy.log" >&2
	die "no answer from $1 after 15 s"
}
wait_for "http://localhost:$ADMIN_PORT/config/"
wait_for "$UP_URL"
wait_for "$PLAIN_URL"
wait_for "$GATED_URL"

# Sign in: the login page sets the form-binding cookie and carries the token in a hidden field.
LOGIN_URL="http://127.0.0.1:$GATED_PORT/.gatehouse/login"
curl -s --max-time 10 -c "$TMP/jar" -o "$TMP/login.html" "$LOGIN_URL?rd=/" || die "GET $LOGIN_URL failed"
CSRF=$(grep -o 'name="csrf" value="[^"]*"' "$TMP/login.html" | head -n 1 | sed 's/.*value="\([^"]*\)"/\1/')
[ -n "$CSRF" ] || die "no csrf field in the login page"
STATUS=$(curl -s --max-time 30 -b "$TMP/jar" -D "$TMP/login.headers" -o /dev/null -w '%{http_code}' \
	--data-urlencode "username=bench" --data-urlencode "password=$PASSWORD" \
	--data-urlencode "csrf=$CSRF" --data-urlencode "rd=/" "$LOGIN_URL") || die "POST $LOGIN_URL failed"
SESSION=$(tr -d '\r' <"$TMP/login.headers" | grep -i "^set-cookie: $COOKIE_NAME=" | head -n 1 |
	sed "s/^[^=]*=\([^;]*\).*/\1/" || true)
[ -n "$SESSION" ] || die "sign-in gave no session cookie (HTTP $STATUS)"
COOKIE="Cookie: $COOKIE_NAME=$SESSION"

# A benchmark of 401s is worthless: check both sides of the gate first.
code() { curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$@"; }
c=$(code "$PLAIN_URL")
[ "$c" = 200 ] || die "plain route answered $c, want 200"
c=$(code -H "$COOKIE" "$GATED_URL")
[ "$c" = 200 ] || die "gated route with the session cookie answered $c, want 200"
c=$(code "$GATED_URL")
[ "$c" = 401 ] || die "gated route without a cookie answered $c, want 401"

# to_ms converts a wrk latency (850.00us, 1.23ms, 1.02s, 1.50m) to milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n /= 1000
		else if (v ~ /ms$/) n = n
		else if (v ~ /m$/) n *= 60000
		else if (v ~ /s$/) n *= 1000
		printf "%.3f", n
	}'
}

# run_wrk LABEL URL [HEADER] runs wrk once and prints "req/s p99ms socket-errors".
run_wrk() {
	local label=$1 url=$2 out="$TMP/wrk-$1-$RANDOM.txt"
	local args=(-t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency)
	[ $# -ge 3 ] && args+=(-H "$3")
	wrk "${args[@]}" "$url" >"$out" 2>&1 || {
		cat "$out" >&2
		die "wrk failed on the $label route"
	}
	if grep -q 'Non-2xx or 3xx responses' "$out"; then
		cat "$out" >&2
		die "the $label route gave non-2xx responses during the run"
	fi
	local rps p99 errs
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
	p99=$(awk '$1 == "99%" {print $2}' "$out")
	errs=$(awk '/Socket errors:/ {sub(/.*Socket errors: */, ""); gsub(/,/, ""); print}' "$out")
	[ -n "$rps" ] && [ -n "$p99" ] || {
		cat "$out" >&2
		die "could not read wrk's output for the $label route"
	}
	echo "$rps $(to_ms "$p99") ${errs:-none}"
}

# median prints the median of its arguments.
median() {
	printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {
		if (NR % 2) printf "%.3f", v[(NR + 1) / 2]
		else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2
	}'
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)

if [ "$WARMUP" != 0 ] && [ "$WARMUP" != 0s ]; then
	DURATION=$WARMUP run_wrk plain "$PLAIN_URL" >/dev/null
	DURATION=$WARMUP run_wrk gated "$GATED_URL" "$COOKIE" >/dev/null
fi

PLAIN_RPS=() PLAIN_P99=() GATED_RPS=() GATED_P99=() ROWS=()
for round in $(seq "$ROUNDS"); do
	line=$(run_wrk plain "$PLAIN_URL")
	read -r rps p99 errs <<<"$line"
	PLAIN_RPS+=("$rps") PLAIN_P99+=("$p99")
	ROWS+=("$(printf '%-6s %-6s %12.1f %10.3f  %s' "$round" plain "$rps" "$p99" "$errs")")
	line=$(run_wrk gated "$GATED_URL" "$COOKIE")
	read -r rps p99 errs <<<"$line"
	GATED_RPS+=("$rps") GATED_P99+=("$p99")
	ROWS+=("$(printf '%-6s %-6s %12.1f %10.3f  %s' "$round" gated "$rps" "$p99" "$errs")")
done

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)

P_RPS=$(median "${PLAIN_RPS[@]}")
P_P99=$(median "${PLAIN_P99[@]}")
G_RPS=$(median "${GATED_RPS[@]}")
G_P99=$(median "${GATED_P99[@]}")
RATIO=$(awk -v g="$G_RPS" -v p="$P_RPS" 'BEGIN {printf "%.3f", (p > 0 ? g / p : 0)}')
DIFF=$(awk -v g="$G_P99" -v p="$P_P99" 'BEGIN {printf "%+.3f", g - p}')
RATIO_OK=$(awk -v r="$RATIO" 'BEGIN {print (r >= 0.90 ? "met" : "NOT met")}')
DIFF_OK=$(awk -v d="$DIFF" 'BEGIN {print (d <= 1.0 ? "met" : "NOT met")}')

echo
echo "Gatehouse load comparison, store: $STORE"
echo "command : $INVOCATION"
echo "wrk     : wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency [-H 'Cookie: $COOKIE_NAME=<session>' on gated] http://127.0.0.1:<port>/"
echo "caddy   : $(./caddy version 2>/dev/null | head -n 1), binary built $(date -r ./caddy '+%Y-%m-%d %H:%M:%S')"
echo "machine : nproc $(nproc), load average before $LOAD_BEFORE, after $LOAD_AFTER"
if awk -v a="${LOAD_BEFORE%% *}" -v b="${LOAD_AFTER%% *}" -v n="$(nproc)" 'BEGIN {exit !(a > n || b > n)}'; then
	echo "warning : the 1-minute load average exceeded nproc: other work competed for the CPUs, the"
	echo "          figures below are noisy; re-run on a quieter machine before drawing conclusions"
fi
echo
printf '%-6s %-6s %12s %10s  %s\n' round route "req/s" "p99 ms" "socket errors"
printf '%s\n' "${ROWS[@]}"
echo
printf '%-16s %14s %14s\n' "median of $ROUNDS" "req/s" "p99 ms"
printf '%-16s %14.1f %14.3f\n' plain "$P_RPS" "$P_P99"
printf '%-16s %14.1f %14.3f\n' gated "$G_RPS" "$G_P99"
echo
echo "throughput gated/plain : $RATIO   (target >= 0.90: $RATIO_OK)"
echo "p99 gated - plain      : $DIFF ms   (target <= +1 ms: $DIFF_OK)"
exit 0
