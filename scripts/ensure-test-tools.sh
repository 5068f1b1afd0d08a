#!/usr/bin/env bash
# Installs the tools the full test suite uses beyond the PostgreSQL server:
# Debian's Chromium (browser tests; test tools cannot download browsers
# here), PgBouncer (isolation behind transaction pooling) and nginx (the
# reverse proxy of the scale-out run, scripts/scaleout.sh). Tests that
# need them skip locally with the reason when they are missing, and fail
# under CI=true.
set -euo pipefail
need=()
have_chromium=false
for b in chromium chromium-browser google-chrome; do
	command -v "$b" >/dev/null 2>&1 && have_chromium=true
done
$have_chromium || need+=(chromium)
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || need+=(pgbouncer)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
	echo "missing test tools: ${need[*]}; install them to run every test" >&2
	exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; else
		echo "missing test tools: sudo apt-get install -y ${need[*]}" >&2; exit 1
	fi
fi
echo "installing ${need[*]}…" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
# The packages may start a system PgBouncer and nginx; the tests run their own.
$SUDO systemctl stop pgbouncer nginx >/dev/null 2>&1 || true
