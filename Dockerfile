# syntax=docker/dockerfile:1
# Converge API: a multi-stage build. The build stage installs every dependency from the
# lockfile, generates the Prisma client and compiles the server to plain JavaScript; the
# runtime stage keeps the compiled output and production dependencies only.

FROM node:20-slim AS build
WORKDIR /app
# The postinstall script runs `prisma generate`, which reads the Prisma schema and config.
COPY package.json package-lock.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
# `npm install` rather than `npm ci`: see .ci/run (the registry mirror's lock lacks other
# platforms' optional packages). Versions still come from package-lock.json.
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY deploy/build.mjs ./deploy/build.mjs
# The server reads model.graphql through model/ at start; the build copies it into dist/.
COPY model.graphql ./
COPY model ./model
COPY server ./server
# The conflict dashboard (served at /dashboard) is a Vite build that bundles the client.
COPY client ./client
COPY dashboard ./dashboard
RUN node dashboard/build.mjs \
  && npm run build \
  && npm prune --omit=dev --no-audit --no-fund

FROM node:20-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    DATA_DIR=/data \
    GRAPHIQL=false \
    INTROSPECTION=false
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY deploy/healthcheck.mjs ./deploy/healthcheck.mjs
# DATA_DIR holds the embedded database when DATABASE_URL is unset; owned by the runtime user.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 4000
# Liveness only: /ready also checks the database, and a database outage should not get every
# replica restarted at once. The load balancer and compose's depends_on use /ready.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "deploy/healthcheck.mjs", "/health"]
# Node as PID 1 gets SIGTERM from `docker stop` and shuts down cleanly (server/main.ts).
CMD ["node", "dist/server/main.js"]
