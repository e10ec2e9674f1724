# Ledgerfeed production image: `ledgerfeed serve` on Node 20, data in the /data volume.
# Build stage: compiles TypeScript and better-sqlite3 with the dev toolchain.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY server ./server
COPY connector ./connector
COPY docs ./docs
RUN npm run build
RUN npm prune --omit=dev

# Run stage: production dependencies and the compiled output only, as the unprivileged `node` user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=8080 \
    LEDGERFEED_HOST=0.0.0.0 \
    LEDGERFEED_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
# The workspace page renders the Power BI and Excel guide from docs/.
COPY --from=build /app/docs ./docs
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/ledgerfeed.js", "serve"]
