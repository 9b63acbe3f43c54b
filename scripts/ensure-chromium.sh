#!/usr/bin/env bash
# Installs Debian's `chromium` (used by the console browser test through playwright-core) when
# /usr/bin/chromium is missing. Idempotent; non-interactive; needs root (or sudo) and apt.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  AS_ROOT=()
elif command -v sudo >/dev/null 2>&1; then
  AS_ROOT=(sudo -n)
else
  echo "ensure-chromium: $CHROMIUM is missing and this user cannot run apt-get (not root, no sudo)" >&2
  exit 1
fi

# Serialise concurrent callers (two test workers, two engineers): apt holds its own lock too,
# but waiting here gives a clear message instead of a lock error.
exec 9>/tmp/ensure-chromium.lock
flock 9
if [ -x "$CHROMIUM" ]; then
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
"${AS_ROOT[@]}" apt-get update -q
"${AS_ROOT[@]}" apt-get install -y -q --no-install-recommends chromium fonts-noto-cjk
test -x "$CHROMIUM"
echo "ensure-chromium: installed $("$CHROMIUM" --version)"
