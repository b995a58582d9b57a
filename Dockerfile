# One image for every app; the command picks which (gateway, worker or sandbox):
#   node dist/apps/gateway/main.js [migrate] | node dist/apps/worker/main.js | node dist/apps/sandbox/main.js
# Node 24 LTS, as everywhere in the project: the bundles load the ESM-only NestJS 12 packages with require().

# Build: every dependency (webpack is a dev dependency), then the three bundles in one compilation.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY scripts/bundle.js scripts/webpack.config.js ./scripts/
COPY apps ./apps
COPY libs ./libs
RUN npm run build

# Production dependencies only, installed from the lock file (cached until package*.json change).
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Runtime: bundles plus production node_modules (webpack leaves packages external; the OpenAPI UI and the queue
# dashboard serve their assets from node_modules at run time), as the unprivileged node user.
FROM node:24-bookworm-slim
# The heap cap and two malloc arenas keep gateway and worker near 200 MB RSS under load (BENCHMARKS.md); raise the
# cap through NODE_OPTIONS.
ENV NODE_ENV=production PORT=3000 NODE_OPTIONS="--max-old-space-size=128 --max-semi-space-size=8" MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 3000
CMD ["node", "dist/apps/gateway/main.js"]
