// Applies prisma/migrations with Prisma's own `migrate deploy` (the WebAssembly schema engine,
// configured in prisma.config.ts). Run asynchronously: the embedded database may live in this
// very process and must keep answering while the CLI talks to it.
import { execFile } from 'node:child_process';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

export async function migrateDeploy(databaseUrl: string): Promise<void> {
  const cli = require.resolve('prisma/build/index.js', { paths: [REPO_ROOT] });
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      [cli, 'migrate', 'deploy'],
      { cwd: REPO_ROOT, env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: '1' } },
      (error, stdout, stderr) => {
        if (!error) return resolve();
        // The CLI's output names the failing migration; the URL (with its password) is not echoed.
        reject(new Error(`prisma migrate deploy failed: ${redact(`${stdout}\n${stderr}`, databaseUrl)}`));
      },
    );
  });
}

function redact(text: string, databaseUrl: string): string {
  return text.split(databaseUrl).join('<DATABASE_URL>').trim();
}
