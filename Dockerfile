# syntax=docker/dockerfile:1.7
# One Dockerfile, three images: `docker build --target api|worker|operator .`
# The build stage bundles our code (scripts/build.ts); the runtime stages carry only
# production dependencies, run as a non-root user, and work with a read-only root
# filesystem (nothing is written outside /tmp, which the chart mounts as emptyDir).

ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY packages ./packages
COPY services ./services
COPY operator ./operator
COPY scripts ./scripts
# Our fixes to dependencies, applied by patch-package in the postinstall script (patches/README.md).
COPY patches ./patches
# `npm install` from the lockfile, as scripts/bootstrap.sh explains (not `npm ci`).
RUN npm install --no-audit --no-fund
RUN npx tsx scripts/build.ts api worker operator

FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /src
COPY package.json package-lock.json ./
COPY --from=build /src/packages ./packages
COPY --from=build /src/services ./services
COPY --from=build /src/operator ./operator
# Production dependencies only; workspace links are dropped (our code is bundled).
RUN npm install --omit=dev --no-audit --no-fund --ignore-scripts \
 && find node_modules/@floodgate -maxdepth 1 -type l -delete
# The patched packages as the build stage's postinstall left them (same versions, from the same lockfile).
COPY --from=build /src/node_modules/kafkajs ./node_modules/kafkajs

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS="--enable-source-maps --disable-warning=TimeoutNegativeWarning"
WORKDIR /app
COPY --from=prod-deps /src/node_modules ./node_modules
# A numeric non-root user (the chart runs pods as 10001 too), so runAsNonRoot can verify it.
USER 10001:10001

FROM runtime AS api
COPY --from=build /src/dist/api ./
EXPOSE 8080
# Node handles SIGTERM itself (main.ts drains and exits); no shell in between. The V8 flags are
# services/api/src/node-flags.ts (a unit test keeps them the same).
ENTRYPOINT ["node", "--max-semi-space-size=32", "--require", "./telemetry-register.js", "main.js"]

FROM runtime AS worker
COPY --from=build /src/dist/worker ./
ENV FLOODGATE_MIGRATIONS_DIR=/app/migrations
EXPOSE 9464
ENTRYPOINT ["node", "--require", "./telemetry-register.js", "main.js"]
CMD ["consume"]

FROM runtime AS operator
COPY --from=build /src/dist/operator ./
EXPOSE 8081
ENTRYPOINT ["node", "--require", "./telemetry-register.js", "main.js"]
