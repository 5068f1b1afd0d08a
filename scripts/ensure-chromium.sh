#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests when it is missing. Test
# tools cannot download browsers here; the system package is the one used.
set -euo pipefail
for b in chromium chromium-browser google-chrome; do
	command -v "$b" >/dev/null 2>&1 && exit 0
done
if command -v apt-get >/dev/null 2>&1; then
	SUDO=""
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; else
			echo "Chromium is missing: sudo apt-get install -y chromium" >&2; exit 1
		fi
	fi
	echo "installing chromium…" >&2
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
	exit 0
fi
echo "Chromium is missing; install it to run the browser tests." >&2
exit 1
