#!/usr/bin/env bash
# Makes sure the PostgreSQL server binaries (initdb, postgres) are present,
# installing the Debian/Ubuntu package where this machine allows it. The Go
# program never installs anything; it only reports what is missing.
set -euo pipefail

have_binaries() {
	command -v initdb >/dev/null 2>&1 && return 0
	compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null 2>&1
}

have_binaries && exit 0

if command -v apt-get >/dev/null 2>&1; then
	if [ "$(id -u)" -eq 0 ]; then
		SUDO=""
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		SUDO="sudo"
	else
		echo "PostgreSQL server binaries are missing. Install them with:" >&2
		echo "  sudo apt-get install -y postgresql" >&2
		exit 1
	fi
	echo "installing the PostgreSQL server package (postgresql)…" >&2
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
	have_binaries && exit 0
fi

echo "PostgreSQL server binaries (initdb, postgres) are missing." >&2
echo "Install the PostgreSQL server for your system (Debian/Ubuntu: sudo apt-get install -y postgresql)," >&2
echo "or put the directory holding initdb and postgres on PATH." >&2
exit 1
