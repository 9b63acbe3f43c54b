#!/usr/bin/env bash
# Installs, from Debian's packages, the machine tools the test suite drives when they are missing:
# `chromium` (+ CJK fonts) for the console browser test through playwright-core, `redis-server`
# for the shared replay store test, `mariadb-server` for the exchange-database (前置库) sources,
# `python3-jsonschema` for the Kafka contract test (an independent validator of the published events),
# and `prometheus` for its `promtool`, which checks the alert rules (test/deploy/assets.test.ts; the
# package's service is not started). Idempotent; non-interactive; needs root (or sudo) and apt.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
missing() { ! { command -v mariadbd || command -v mysqld; } >/dev/null 2>&1 || [ ! -x "$CHROMIUM" ] || ! command -v redis-server >/dev/null 2>&1 || ! /usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; }
if ! missing; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  AS_ROOT=()
elif command -v sudo >/dev/null 2>&1; then
  AS_ROOT=(sudo -n)
else
  echo "ensure-test-tools: chromium, redis-server, mariadb-server, python3-jsonschema or promtool is missing and this user cannot run apt-get (not root, no sudo)" >&2
  exit 1
fi

# Serialise concurrent callers (two test workers): apt holds its own lock too,
# but waiting here gives a clear message instead of a lock error.
exec 9>/tmp/ensure-test-tools.lock
flock 9
if ! missing; then
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
"${AS_ROOT[@]}" apt-get update -q
"${AS_ROOT[@]}" apt-get install -y -q --no-install-recommends chromium fonts-noto-cjk redis-server python3-jsonschema mariadb-server prometheus
test -x "$CHROMIUM"
command -v redis-server >/dev/null
/usr/bin/python3 -c 'import jsonschema'
command -v promtool >/dev/null
echo "ensure-test-tools: $("$CHROMIUM" --version), $(redis-server --version | cut -d' ' -f1-3)"
