#!/usr/bin/env bash
# Two tenantkit instances behind PgBouncer (transaction mode) and nginx, on
# one PostgreSQL, everything on 127.0.0.1 in a temporary directory:
#
#   PostgreSQL <- PgBouncer (transaction) <- tenantkit serve x2 <- nginx
#
# It seeds the demo tenants, runs a bounded mixed multi-tenant load with
# canary markers (cmd/tenantkit-scaleload) through nginx to both instances
# and to one, alternating, and prints each run's figures: zero foreign rows
# is required, throughput is reported as measured. Everything it starts is
# stopped by process id when it exits.
#
#   scripts/scaleout.sh            # 3 rounds of 30 s (or 40,000 requests) per setup
#   SHORT=1 scripts/scaleout.sh    # 1 round of 8 s (or 3,000 requests): under 90 s, for CI
#
# Needs the PostgreSQL server binaries, pgbouncer and nginx (Debian:
# apt-get install -y postgresql pgbouncer nginx-light; scripts/ensure-test-tools.sh).
# As root, PostgreSQL, PgBouncer and nginx run as the postgres user.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SHORT=${SHORT:-0}
if [ "$SHORT" = 1 ]; then ROUNDS=1 SECONDS_PER_RUN=8s REQUESTS=3000; else ROUNDS=3 SECONDS_PER_RUN=30s REQUESTS=40000; fi
CONCURRENCY=${CONCURRENCY:-16}

find_bin() {
	for c in "$@"; do
		if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
		if [ -x "$c" ]; then echo "$c"; return 0; fi
	done
	return 1
}
PG_BIN=$(dirname "$(find_bin $(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1) initdb)") ||
	{ echo "scaleout: PostgreSQL server binaries missing (scripts/ensure-postgres.sh)" >&2; exit 1; }
PGBOUNCER=$(find_bin pgbouncer /usr/sbin/pgbouncer) || { echo "scaleout: pgbouncer missing (apt-get install -y pgbouncer)" >&2; exit 1; }
NGINX=$(find_bin nginx /usr/sbin/nginx) || { echo "scaleout: nginx missing (apt-get install -y nginx-light)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/tenantkit-scaleout.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

# AS_SERVICE runs a server as the postgres user when this script is root
# (initdb, postgres and PgBouncer refuse root); setpriv execs it, so that
# $! is the server's own pid.
AS_SERVICE=()
if [ "$(id -u)" -eq 0 ]; then
	chown postgres: "$WORK"
	AS_SERVICE=(setpriv --reuid=postgres --regid=postgres --init-groups)
fi

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		(echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}
wait_port() {
	for _ in $(seq 200); do (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
	echo "scaleout: nothing listens on 127.0.0.1:$1 ($2); logs in $WORK:" >&2
	tail -n 20 "$WORK"/*.log >&2 || true
	exit 1
}

echo "building…" >&2
go build -o "$WORK/tenantkit" ./cmd/tenantkit
go build -o "$WORK/scaleload" ./cmd/tenantkit-scaleload

PG_PORT=$(free_port)
"${AS_SERVICE[@]}" "$PG_BIN/initdb" -D "$WORK/pg" -U postgres -A trust --no-sync >"$WORK/initdb.log" 2>&1
mkdir -p "$WORK/sock" && { [ "$(id -u)" -ne 0 ] || chown postgres: "$WORK/sock"; }
"${AS_SERVICE[@]}" "$PG_BIN/postgres" -D "$WORK/pg" -c listen_addresses=127.0.0.1 -p "$PG_PORT" -k "$WORK/sock" \
	-c fsync=off -c synchronous_commit=off -c max_connections=100 >"$WORK/postgres.log" 2>&1 &
PIDS+=($!)
wait_port "$PG_PORT" postgres
for _ in $(seq 100); do "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break; sleep 0.1; done

DIRECT="127.0.0.1:$PG_PORT"
"$WORK/tenantkit" bootstrap -admin-url "postgres://postgres@$DIRECT/postgres?sslmode=disable" >/dev/null
OWNER_DATABASE_URL="postgres://tenantkit_owner@$DIRECT/tenantkit?sslmode=disable" LOG_LEVEL=warn "$WORK/tenantkit" migrate

BOUNCER_PORT=$(free_port)
cat >"$WORK/pgbouncer.ini" <<EOF
[databases]
tenantkit = host=127.0.0.1 port=$PG_PORT dbname=tenantkit

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $WORK/users.txt
pool_mode = transaction
default_pool_size = 16
max_client_conn = 400
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
logfile = $WORK/pgbouncer.log
pidfile =
EOF
printf '"tenantkit_app" ""\n' >"$WORK/users.txt"
"${AS_SERVICE[@]}" "$PGBOUNCER" "$WORK/pgbouncer.ini" >"$WORK/pgbouncer-stderr.log" 2>&1 &
PIDS+=($!)
wait_port "$BOUNCER_PORT" pgbouncer

APP_URL="postgres://tenantkit_app@127.0.0.1:$BOUNCER_PORT/tenantkit?sslmode=disable&default_query_exec_mode=exec"
PLATFORM_URL="postgres://tenantkit_platform@$DIRECT/tenantkit?sslmode=disable"
"$WORK/scaleload" -seed -app-url "$APP_URL" -platform-url "$PLATFORM_URL"

A1=$(free_port) A2=$(free_port)
while [ "$A2" = "$A1" ]; do A2=$(free_port); done
P2=$(free_port) P1=$(free_port)
SESSION_KEYS="k1:$(head -c 32 /dev/urandom | base64 -w0)"
TENANT_SIG_KEYS="s1:$(head -c 32 /dev/urandom | base64 -w0)"
for port in "$A1" "$A2"; do
	# Limits off, as in the benchmarks: the load measures throughput. The
	# instances still share them (TENANT_LIMITS_SHARED), so their
	# heartbeats go through PgBouncer as well.
	env -i PATH="$PATH" DATABASE_URL="$APP_URL" PLATFORM_DATABASE_URL="$PLATFORM_URL" \
		ADDR="127.0.0.1:$port" BASE_DOMAIN=localhost PUBLIC_URL="http://localhost:$P2" \
		SESSION_KEYS="$SESSION_KEYS" TENANT_SIG_KEYS="$TENANT_SIG_KEYS" LOG_LEVEL=warn DB_MAX_CONNS=16 \
		TENANT_RATE=-1 TENANT_IN_FLIGHT=-1 TENANT_ANON_RATE=-1 TENANT_ANON_IN_FLIGHT=-1 \
		TENANT_LIMITS_SHARED=true TRUSTED_PROXIES=127.0.0.1 \
		"$WORK/tenantkit" serve >"$WORK/serve-$port.log" 2>&1 &
	PIDS+=($!)
done
wait_port "$A1" "serve $A1"
wait_port "$A2" "serve $A2"

mkdir -p "$WORK/nginx"
cat >"$WORK/nginx.conf" <<EOF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $WORK/nginx/body;
	proxy_temp_path $WORK/nginx/proxy;
	fastcgi_temp_path $WORK/nginx/fastcgi;
	uwsgi_temp_path $WORK/nginx/uwsgi;
	scgi_temp_path $WORK/nginx/scgi;
	upstream two { server 127.0.0.1:$A1; server 127.0.0.1:$A2; keepalive 64; }
	upstream one { server 127.0.0.1:$A1; keepalive 64; }
	map \$server_port \$pool { $P2 two; default one; }
	server {
		listen 127.0.0.1:$P2;
		listen 127.0.0.1:$P1;
		location / {
			proxy_pass http://\$pool;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Host \$http_host;
			proxy_set_header X-Forwarded-For \$remote_addr;
		}
	}
}
EOF
[ "$(id -u)" -ne 0 ] || chown -R postgres: "$WORK/nginx"
"${AS_SERVICE[@]}" "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx.conf" -g 'daemon off;' >"$WORK/nginx-stderr.log" 2>&1 &
PIDS+=($!)
wait_port "$P2" nginx
wait_port "$P1" nginx

# Both instances announce themselves (TENANT_LIMITS_SHARED) through PgBouncer.
for _ in $(seq 100); do
	instances=$("$PG_BIN/psql" -XAtq -h 127.0.0.1 -p "$PG_PORT" -U postgres -d tenantkit -c "SELECT count(*) FROM instances" 2>/dev/null || echo "?")
	[ "$instances" = 2 ] && break
	sleep 0.1
done
echo "up: postgres :$PG_PORT, pgbouncer :$BOUNCER_PORT (transaction), serve :$A1 :$A2 ($instances announced), nginx :$P2 (both) :$P1 (one)" >&2
echo "machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), all processes on it" >&2

status=0
for round in $(seq "$ROUNDS"); do
	for setup in two one; do
		port=$P2; [ "$setup" = one ] && port=$P1
		"$WORK/scaleload" -target "http://127.0.0.1:$port" -requests "$REQUESTS" -duration "$SECONDS_PER_RUN" \
			-concurrency "$CONCURRENCY" -label "round $round, $setup instance(s)" || status=1
	done
done
foreign_canaries=$("$PG_BIN/psql" -XAtq -h 127.0.0.1 -p "$PG_PORT" -U postgres -d tenantkit -c \
	"SELECT count(*) FROM services s JOIN tenants t ON t.id = s.tenant_id WHERE s.slug LIKE 'canary-%' AND s.slug NOT LIKE 'canary-' || t.slug || '-%'")
echo "canary rows stored under another tenant: $foreign_canaries" >&2
[ "$foreign_canaries" = 0 ] || status=1
exit $status
