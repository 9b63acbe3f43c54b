# Credit-exchange gateway. Production runs against an external PostgreSQL (DATABASE_URL) and Kafka
# (KAFKA_BROKERS); the embedded PostgreSQL and the local broker are for development only.
FROM node:22-bookworm-slim

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app

COPY package.json package-lock.json ./
# Installs production dependencies only; the approved install scripts are listed in package.json.
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json ./
COPY config ./config
COPY schemas ./schemas
COPY src ./src
COPY connectors ./connectors
COPY scripts ./scripts
RUN mkdir -p /app/data && chown node:node /app/data

USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --retries=3 CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# tsx runs the TypeScript sources directly (it is a runtime dependency); signals reach node itself.
# 64 MiB young-generation semi-spaces (V8's default is 16): the gateway allocates fast (pages of
# records, Kafka batches, signed answers); see "Node.js runtime" in README.md for what it measured.
CMD ["node", "--max-semi-space-size=64", "--import", "tsx/esm", "src/server.ts"]
