# Worker image, multi-stage: the build stage compiles the TypeScript and bundles the workflow code
# once (no webpack at start-up); the runtime stage has production dependencies only and runs as
# the unprivileged `node` user.
FROM node:20.18-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY dev ./dev
COPY bench ./bench
RUN npm run build:bundle

FROM node:20.18-bookworm-slim
# The heap limit keeps V8 collecting at about twice the worker's live heap (see
# src/workers/heap.ts); set NODE_OPTIONS to change it.
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-old-space-size=512 \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js \
    METRICS_PORT=9464
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
COPY bin ./bin
USER node
EXPOSE 9464
HEALTHCHECK --interval=15s --timeout=5s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.METRICS_PORT||9464)+'/metrics').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/src/workers/main.js"]
