# Bloodbank: one image for the HTTP gateway, the command processor and the `bb` CLI (Node 20).
#   docker build -t bloodbank .
#   docker run --rm -p 8682:8682 -e RABBIT_URL=amqp://user:pass@rabbit:5672 -e BLOODBANK_API_KEYS=… bloodbank
# The default command runs the gateway; the command processor is `node apps/dist/apps/command-processor/main.js`.
# The image holds the bloodbank-apps workspace (bb, with the catalogue compiled in) and the runtime it imports.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY runtime/package.json ./runtime/
COPY codegen/package.json ./codegen/
COPY apps/package.json ./apps/
# Dependencies first (cached layer).
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json asyncapi.yaml ./
COPY scripts/build.mjs ./scripts/
COPY schemas ./schemas
COPY runtime ./runtime
COPY codegen ./codegen
COPY generated ./generated
COPY apps ./apps
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8682
WORKDIR /app
COPY package.json package-lock.json ./
COPY runtime/package.json ./runtime/
COPY codegen/package.json ./codegen/
COPY apps/package.json ./apps/
# Only the apps workspace's production dependencies (and the runtime workspace it depends on).
RUN npm ci --omit=dev --ignore-scripts --workspace=apps && npm cache clean --force
COPY --from=build /app/runtime/dist ./runtime/dist
COPY --from=build /app/apps/dist ./apps/dist
COPY schemas ./schemas
COPY asyncapi.yaml policy.yaml ./
RUN ln -s /app/apps/dist/apps/cli/main.js /usr/local/bin/bb && chmod +x /app/apps/dist/apps/cli/main.js
USER node
EXPOSE 8682
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8682)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "apps/dist/apps/gateway/main.js"]
