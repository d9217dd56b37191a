# syntax=docker/dockerfile:1
#
# Images of Assay's four services and of the database migration, from one Dockerfile:
#
#   docker build --target gateway         -t assay-gateway .
#   docker build --target ingest-worker   -t assay-ingest-worker .
#   docker build --target codegen-worker  -t assay-codegen-worker .
#   docker build --target executor-worker -t assay-executor-worker .
#   docker build --target migrate         -t assay-migrate .
#
# Convention shared with docker-compose.yml and k8s/: the image built from target <t> is named
# `assay-<t>`, and the service / container running it is named <t>.
#
# Stages: base -> manifests -> deps -> build (everything compiled once)
#                  manifests -> prod-deps (runtime node_modules, no devDependencies)
#         node-runtime (prod-deps + dist) -> gateway, ingest-worker, codegen-worker
#         executor-os (+ Python, bubblewrap) -> executor-worker
#         node-runtime (+ schema, migrations) -> migrate

# Node 20 on Debian 12 (bookworm): the executor's Python stack comes from Debian 12's packages,
# the versions the sandbox was measured with. Pin a digest here for reproducible production builds.
ARG NODE_IMAGE=node:20-bookworm-slim

############################################################################################
# base: Node 20, the npm of package.json's packageManager, tini.
############################################################################################
FROM ${NODE_IMAGE} AS base
# The lockfile is written by npm 11, which also blocks dependencies' install scripts by default;
# the image installs with the same npm so it gets the same tree as development and CI (no
# downloaded engines: Prisma migrates through the wasm engine shim, zeromq ships its binaries).
ARG NPM_VERSION=11.19.1
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false \
    TURBO_TELEMETRY_DISABLED=1 \
    DO_NOT_TRACK=1 \
    CHECKPOINT_DISABLE=1 \
    PRISMA_HIDE_UPDATE_MESSAGE=1
# tini is PID 1 in every image: it forwards SIGTERM to node (the services shut down gracefully
# within 25 s) and reaps orphans. The executor's kernels (prlimit -> setpriv -> bwrap -> python)
# are children of node; without an init, a kernel that outlives its parent stays a zombie.
# `-s` (subreaper) keeps it correct when a runtime adds its own init (compose `init: true`).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/* \
    && npm install -g "npm@${NPM_VERSION}" \
    && npm cache clean --force
# `npm ci`, with the fallback scripts/prepare.mjs uses for the same lockfile: package-lock.json
# lacks the optional packages of other platforms (e.g. @swc/core-darwin-arm64) that could not be
# fetched where it was written, so npm ci refuses it as "not in sync" although `npm install`
# installs exactly the locked tree (npm/cli#4828). The build fails if that would change the lock.
COPY --chmod=0755 <<'EOF' /usr/local/bin/npm-ci-locked
#!/bin/sh
set -eu
if npm ci "$@" 2>/tmp/npm-ci.err; then cat /tmp/npm-ci.err >&2; exit 0; fi
cat /tmp/npm-ci.err >&2
grep -q 'can only install packages when your package.json and package-lock.json' /tmp/npm-ci.err || exit 1
echo 'npm ci refused package-lock.json (no entries for other platforms); npm install of the locked tree instead' >&2
cp package-lock.json /tmp/package-lock.before
npm install "$@"
cmp -s package-lock.json /tmp/package-lock.before || { echo 'npm install changed package-lock.json: update and commit it' >&2; exit 1; }
EOF
WORKDIR /app
ENTRYPOINT ["/usr/bin/tini", "-s", "--"]

############################################################################################
# manifests: only what `npm ci` reads, so dependency layers are rebuilt only when it changes.
# Every workspace (package.json "workspaces": packages/*, services/*) must be listed here;
# tests/deploy checks that none is missing.
############################################################################################
FROM base AS manifests
COPY package.json package-lock.json .npmrc ./
COPY packages/artifacts/package.json packages/artifacts/
COPY packages/cli/package.json packages/cli/
COPY packages/client/package.json packages/client/
COPY packages/codegen/package.json packages/codegen/
COPY packages/config/package.json packages/config/
COPY packages/contracts/package.json packages/contracts/
COPY packages/db/package.json packages/db/
COPY packages/devstack/package.json packages/devstack/
COPY packages/errors/package.json packages/errors/
COPY packages/events/package.json packages/events/
COPY packages/ingest/package.json packages/ingest/
COPY packages/lifecycle/package.json packages/lifecycle/
COPY packages/logger/package.json packages/logger/
COPY packages/metrics/package.json packages/metrics/
COPY packages/pipeline/package.json packages/pipeline/
COPY packages/queue/package.json packages/queue/
COPY packages/quota/package.json packages/quota/
COPY packages/sandbox/package.json packages/sandbox/
COPY packages/storage/package.json packages/storage/
COPY services/codegen-worker/package.json services/codegen-worker/
COPY services/executor-worker/package.json services/executor-worker/
COPY services/gateway/package.json services/gateway/
COPY services/ingest-worker/package.json services/ingest-worker/

############################################################################################
# deps: every dependency, devDependencies included (TypeScript, turbo, the prisma CLI).
############################################################################################
FROM base AS deps
COPY --from=manifests /app ./
RUN --mount=type=cache,target=/root/.npm npm-ci-locked

############################################################################################
# build: `npm run build` = turbo: `prisma generate` into packages/db, then `tsc -b` everywhere.
############################################################################################
FROM deps AS build
COPY . .
# Then stage what the runtime needs from the build in /out: each workspace's package.json and
# dist/ (sources, declarations and build info stay behind).
RUN npm run build \
    && mkdir -p /out \
    && cp package.json /out/ \
    && for dir in packages/* services/*; do \
         mkdir -p "/out/${dir}" && cp "${dir}/package.json" "/out/${dir}/" && cp -R "${dir}/dist" "/out/${dir}/"; \
       done \
    && find /out \( -name '*.d.ts' -o -name '*.d.ts.map' -o -name '.tsbuildinfo' \) -delete

############################################################################################
# prod-deps: the runtime's node_modules, without devDependencies (jest, swc, turbo, ...).
# The prisma CLI stays, although a root devDependency: @prisma/client declares it (and
# typescript) as optional peer dependencies, and npm keeps a locked optional peer in an
# --omit=dev install. The migrate target relies on that and checks it at build time.
############################################################################################
FROM base AS prod-deps
COPY --from=manifests /app ./
RUN --mount=type=cache,target=/root/.npm npm-ci-locked --omit=dev

############################################################################################
# node-runtime: common base of the gateway and the two Node-only workers.
############################################################################################
FROM base AS node-runtime
ENV NODE_ENV=production \
    ASSAY_DATA_DIR=/var/lib/assay/data
# The data directory belongs to the unprivileged `node` user (uid 1000): a named volume mounted
# here starts with this owner, so the gateway can write blobs into it.
RUN mkdir -p /var/lib/assay/data && chown 1000:1000 /var/lib/assay/data && chmod 0755 /var/lib/assay/data
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /out ./

############################################################################################
# gateway: HTTP + WebSocket API. Unprivileged (uid 1000, the image's `node` user).
############################################################################################
FROM node-runtime AS gateway
# Containers must listen on every interface (the default, 127.0.0.1, is for development).
ENV HOST=0.0.0.0 \
    PORT=8080
EXPOSE 8080
USER 1000:1000
# Liveness only (the process serves HTTP): /readyz also needs PostgreSQL and Redis, and a
# dependency outage must not get the container restarted. No curl in the image: node fetches.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "services/gateway/dist/main.js"]

############################################################################################
# ingest-worker: reads uploaded blobs and records their table metadata. Unprivileged.
############################################################################################
FROM node-runtime AS ingest-worker
USER 1000:1000
CMD ["node", "services/ingest-worker/dist/main.js"]

############################################################################################
# codegen-worker: asks the model provider for notebook cells. Unprivileged, no data volume.
############################################################################################
FROM node-runtime AS codegen-worker
USER 1000:1000
CMD ["node", "services/codegen-worker/dist/main.js"]

############################################################################################
# executor-os: Debian's Python analysis stack (the kernels run /usr/bin/python3 with these
# packages; keep in sync with PYTHON_ANALYSIS_MODULES in @assay/devstack, which tests/deploy
# checks), bubblewrap (the sandbox; bookworm's 0.8 has the --disable-userns it uses) and
# util-linux (prlimit for the memory limit, setpriv to drop root before bwrap). In its own stage
# so code changes do not reinstall Python.
############################################################################################
FROM base AS executor-os
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
         python3-ipykernel \
         python3-jupyter-client \
         python3-pandas \
         python3-numpy \
         python3-matplotlib \
         python3-matplotlib-inline \
         python3-seaborn \
         python3-scipy \
         python3-statsmodels \
         python3-sklearn \
         python3-openpyxl \
         python3-xlrd \
         bubblewrap \
         util-linux \
    && rm -rf /var/lib/apt/lists/*

############################################################################################
# executor-worker: runs untrusted notebook cells in ipykernels under bubblewrap.
#
# Runs as ROOT, on purpose: for each kernel it chowns the chat's workspace to the sandbox user,
# then `setpriv --reuid=65534 --regid=65534 --clear-groups` drops to nobody BEFORE bwrap, so the
# kernel never runs as (or maps to) root; bwrap then builds an unprivileged user namespace.
# Were the worker itself unprivileged, the kernels would run as ITS uid: code escaping the sandbox
# would own the worker (its memory, environment, database credentials). From root, the kernels
# are a different and powerless user.
# The container still needs user namespaces, mount and an unmasked /proc: see the executor in
# docker-compose.yml and k8s/executor-worker.yaml for the exact, non-privileged settings.
############################################################################################
FROM executor-os AS executor-worker
ENV NODE_ENV=production \
    ASSAY_DATA_DIR=/var/lib/assay/data \
    ASSAY_PYTHON=/usr/bin/python3
RUN mkdir -p /var/lib/assay/data && chown 1000:1000 /var/lib/assay/data && chmod 0755 /var/lib/assay/data
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /out ./
CMD ["node", "services/executor-worker/dist/main.js"]

############################################################################################
# migrate: `prisma migrate deploy`, run once before the services start (compose: one-shot
# service; Kubernetes: Job assay-migrate, and every pod's init container waits for it).
#
# Built on node-runtime so it shares its layers (the Kubernetes init containers pull it on every
# node): its node_modules already has the prisma CLI (see prod-deps); the build fails here if it
# ever does not. Adds the schema, the migrations, prisma.config.ts and the wasm schema-engine
# shim the config falls back to (packages/db/migrate). Unprivileged.
############################################################################################
FROM node-runtime AS migrate
COPY prisma.config.ts ./
COPY prisma ./prisma
COPY packages/db/migrate ./packages/db/migrate
RUN node -e "require.resolve('prisma/build/index.js')" \
    || { echo 'the prisma CLI is missing from the production node_modules: see the prod-deps stage' >&2; exit 1; }
USER 1000:1000
CMD ["node", "node_modules/prisma/build/index.js", "migrate", "deploy"]
