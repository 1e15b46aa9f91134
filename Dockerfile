# One image for both processes: `npm run api` and `npm run worker` (docker-compose picks).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
# The production worker runs this prebuilt workflow bundle (it refuses to start without it).
RUN npm run build
EXPOSE 3000
CMD ["npm", "run", "api"]
