#!/usr/bin/env bash
# The whole test suite: typecheck, lint, import cycles, build, then vitest (its global setup starts
# the local Kafka broker and finds or starts PostgreSQL by itself). Chromium and redis-server come
# from Debian when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-test-tools.sh
npx tsc -p tsconfig.json --noEmit
npx eslint .
npx madge --circular --extensions ts --ts-config tsconfig.json src
# the compiled build: test/build runs the gateway from dist/ as the image does
npm run --silent build
npx vitest run --config test/vitest.config.ts "$@"
