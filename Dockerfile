# Credit-exchange gateway. Production runs against an external PostgreSQL (DATABASE_URL) and Kafka
# (KAFKA_BROKERS); the embedded PostgreSQL and the local broker are for development only, and this
# image has neither: start it without DATABASE_URL or KAFKA_BROKERS and it fails at start-up.
# compose.yaml runs it with PostgreSQL, Kafka, Prometheus and Grafana.

# ---- Stage 1: compile TypeScript to dist/ ------------------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app

COPY package.json package-lock.json ./
# Every dependency, dev ones included: the build needs the TypeScript compiler.
RUN npm ci --no-audit --no-fund

COPY . .
# tsc with tsconfig.build.json (rootDir src: src/server.ts → dist/server.js), then the files tsc does
# not emit: SQL migrations → dist/store/migrations/, console assets → dist/console/assets/.
RUN npm run build
# The gateway reads only connectors/<connector>/<variant>.source.yaml; the READMEs, recorded fixtures and
# the fixture server stay out of the image.
RUN mkdir -p /app/runtime/connectors \
    && cd connectors && find . -type f -name '*.source.yaml' -exec cp --parents {} /app/runtime/connectors/ \;

# ---- Stage 2: the runtime image -----------------------------------------------------------------
FROM node:20-bookworm-slim

# two glibc malloc arenas (the default is 8 per core): with more, memory freed by one thread stayed
# mapped in another's arena (README, "Node.js runtime")
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    MALLOC_ARENA_MAX=2
WORKDIR /app

COPY package.json package-lock.json ./
# Production dependencies only. No production package has an install script (the lock file's
# packages with one, the embedded PostgreSQL's platform binaries, esbuild and @scarf/scarf, are all
# development dependencies), so --ignore-scripts only guards against one arriving unnoticed. The only
# optional production package is pg-cloudflare (pg's socket for Cloudflare Workers, unused on Node).
# package.json must list tsx and typescript under devDependencies: the check below refuses an image
# that would carry either.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force \
    && test ! -e node_modules/tsx && test ! -e node_modules/typescript

# What the gateway reads at run time, relative to /app: dist/ (with its migrations and console
# assets), config/default.yaml, schemas/, connectors/**/*.source.yaml and package.json ("type":
# "module" makes dist/*.js ES modules). Owned by root: the node user can read them, not change them.
COPY --from=build /app/dist ./dist
COPY --from=build /app/runtime/connectors ./connectors
COPY config ./config
COPY schemas ./schemas
# ./data/keys (the response-signing keys and the signed audit checkpoints) is the only place the
# gateway writes; mount a volume on /app/data so the keys survive a new container.
RUN mkdir -p /app/data && chown node:node /app/data

USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# node runs the compiled JavaScript directly (no tsx, no TypeScript in the image); signals reach node
# itself, which shuts down gracefully on SIGTERM within server.shutdownGraceMs (15 s).
# 64 MiB young-generation semi-spaces (V8's default is 16): the gateway allocates fast (pages of
# records, Kafka batches, signed answers); no allocation-site pretenuring: V8 would otherwise allocate
# some per-request objects straight into the old generation after a burst, and pay for them in full GCs;
# the old generation grows by half its live size between full collections, not by V8's up-to-fourfold
# (a large pull's peak memory fell from ~600 to ~420 MiB);
# no memory reducer: its full GC when a burst of traffic ends stalled requests for a few hundred ms.
# See "Node.js runtime" in README.md for what each measured (and MALLOC_ARENA_MAX, set above).
CMD ["node", "--max-semi-space-size=64", "--heap-growing-percent=50", "--no-allocation-site-pretenuring", "--no-memory-reducer", "dist/server.js"]
