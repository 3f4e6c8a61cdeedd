#!/bin/sh
# Install Debian's chromium for the browser end-to-end tests, once.
#
# Prints the browser's path on stdout. Does nothing when it is already there, so test
# fixtures can call it on every run. Needs root (or passwordless sudo) the first time,
# because the browser comes from Debian's archive, not from a download we would have
# to pin and verify ourselves (that is also why `playwright install` is never used).
set -eu

CHROMIUM="${NEWSBEAM_CHROMIUM:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ]; then
    echo "$CHROMIUM"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "install-chromium: $CHROMIUM is missing and this user cannot apt-get install it" >&2
    exit 2
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2

if [ ! -x "$CHROMIUM" ]; then
    echo "install-chromium: apt-get finished but $CHROMIUM is still missing" >&2
    exit 3
fi
echo "$CHROMIUM"
