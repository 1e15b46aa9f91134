# One image for both processes: `npm run api` and `npm run worker` (docker-compose picks).
# The web console is built in a first stage (it needs the dev dependencies: Vite, React) and only
# its output, web/dist, goes into the image; the API serves it at `/`.
FROM node:20-bookworm-slim AS console
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
COPY web ./web
RUN npm run web:build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
COPY --from=console /app/web/dist ./web/dist
# The production worker runs this prebuilt workflow bundle (it refuses to start without it).
RUN npm run build
EXPOSE 3000
CMD ["npm", "run", "api"]
