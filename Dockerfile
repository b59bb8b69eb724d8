# syntax=docker/dockerfile:1
# hashwatt collector image (the agent runs on gateways under systemd; the same
# image can run it with `agent --config ...`). Build: docker build -t hashwatt .
FROM node:20-bookworm-slim AS build
WORKDIR /src
# Native modules (better-sqlite3) fall back to a source build without a prebuilt binary.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied; the
# native modules are built explicitly below.
RUN npm ci --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3
COPY tsconfig.json ./
COPY bin ./bin
COPY shared ./shared
COPY agent ./agent
COPY server ./server
COPY sim ./sim
COPY bench ./bench
COPY test ./test
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /opt/hashwatt
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && groupadd --system hashwatt && useradd --system --gid hashwatt --home-dir /var/lib/hashwatt --shell /usr/sbin/nologin hashwatt \
  && mkdir -p /var/lib/hashwatt/collector /etc/hashwatt && chown hashwatt:hashwatt /var/lib/hashwatt/collector
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3 \
  && apt-get purge -y python3 make g++ && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* /root/.npm
COPY --from=build /src/dist ./dist
COPY server/dashboard/static ./server/dashboard/static
COPY deploy ./deploy
COPY docs ./docs

USER hashwatt
# The API must listen beyond the container's loopback; publish it on the host's loopback only (compose.yaml).
ENV HASHWATT_HTTP__HOST=0.0.0.0 HASHWATT_HTTP__PORT=8080
EXPOSE 8080
VOLUME ["/var/lib/hashwatt/collector"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/opt/hashwatt/dist/bin/hashwatt.js"]
CMD ["collector", "--config", "/etc/hashwatt/collector.yaml"]
