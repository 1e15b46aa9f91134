// The embedded database as the service opens it (issue 9, items 3 and 13): reachable only through
// an owner-only Unix socket inside DATA_DIR (no TCP port that any local process could log in to
// with any password), and opened by one process at a time — a lock in DATA_DIR, not a port
// probe — which a killed holder does not keep for long.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { openServiceDatabase, runCommand } from '../../src/cli/common';
import { createCompanyCommand } from '../../src/cli/create-company';
import { loadConfig } from '../../src/config';
import { DataDirLockedError, lockDataDir, STALE_MS } from '../../src/db/data-dir-lock';
import { openDatabase } from '../../src/db/database';
import { REPO_ROOT } from '../support/stand-ins';

const dirs: string[] = [];
const newDataDir = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reminders-data-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Ports of the TCP sockets this process listens on (Linux: /proc/net/tcp* by socket inode). */
function listeningTcpPorts(): number[] {
  const inodes = new Set(
    readdirSync('/proc/self/fd')
      .map((fd) => {
        try {
          return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
        } catch {
          return undefined;
        }
      })
      .filter((inode): inode is string => inode !== undefined),
  );
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols: sl local_address rem_address st … inode (index 9); st 0A = LISTEN
      if (cols[3] === '0A' && inodes.has(cols[9]!)) ports.push(parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

describe('issue 9 item 3: the embedded database is reachable only by this service', () => {
  test('no TCP listener an attacker could log in to; a 0700 socket folder inside DATA_DIR; the service connects', async () => {
    const dataDir = newDataDir();
    const before = new Set(listeningTcpPorts());
    const database = await openDatabase({ dataDir, migrate: false });
    try {
      const opened = listeningTcpPorts().filter((port) => !before.has(port));
      for (const port of opened) {
        // What the issue did: any user name, any password, as superuser.
        const attacker = new Client({
          host: '127.0.0.1',
          port,
          user: 'attacker',
          password: 'wrong',
          database: 'postgres',
        });
        const result = await attacker
          .connect()
          .then(() => attacker.query('SELECT 1'))
          .then(
            () => 'logged in',
            (error: Error) => error.message,
          );
        await attacker.end().catch(() => undefined);
        expect({ port, result }).not.toEqual({ port, result: 'logged in' });
      }
      expect(opened).toEqual([]);

      const socketDir = path.join(dataDir, 'run');
      expect(statSync(socketDir).mode & 0o777).toBe(0o700);
      expect(statSync(path.join(socketDir, '.s.PGSQL.5432')).mode & 0o777).toBe(0o600);
      expect(await database.db.$queryRaw`SELECT 1 AS one`).toEqual([{ one: 1 }]);
    } finally {
      await database.close();
    }
  });

  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  (asRoot ? test : test.skip)('another OS user cannot even open the socket (EACCES)', async () => {
    const dataDir = newDataDir();
    const database = await openDatabase({ dataDir, migrate: false });
    try {
      const socket = path.join(dataDir, 'run', '.s.PGSQL.5432');
      const child = spawn(
        process.execPath,
        [
          '-e',
          `require('net').connect(${JSON.stringify(socket)}).on('connect',()=>{console.log('connected');process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(0)})`,
        ],
        { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'], cwd: '/' },
      );
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      await new Promise((resolve) => child.once('exit', resolve));
      expect(output.trim()).toBe('EACCES');
    } finally {
      await database.close();
    }
  });
});

describe('issue 9 item 13: one process per data folder, by a lock in DATA_DIR', () => {
  const run = async (dataDir: string) => {
    const config = loadConfig({ DATA_DIR: dataDir, API_PORT: '1' });
    let out = '';
    let err = '';
    let opened: Awaited<ReturnType<typeof openServiceDatabase>> | undefined;
    const code = await runCommand(createCompanyCommand({ apiUrl: 'http://127.0.0.1:1' }), ['--name', 'Lock Co'], {
      out: (text) => void (out += text),
      err: (text) => void (err += text),
      db: async () => (opened = await openServiceDatabase(config)).db,
    });
    await opened?.close();
    return { code, out, err };
  };

  test('company:create refuses, saying so, while the folder is held — whatever ports the holder uses', async () => {
    const dataDir = newDataDir();
    const release = await lockDataDir(dataDir);
    try {
      const refused = await run(dataDir);
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(/is in use: `npm start`/);
      await expect(lockDataDir(dataDir)).rejects.toBeInstanceOf(DataDirLockedError);
    } finally {
      await release();
    }
    const created = await run(dataDir);
    expect(created.err).toBe('');
    expect(created.code).toBe(0);
  }, 120_000);

  test('a holder killed with SIGKILL blocks only until its lock goes stale; the service waits for that', async () => {
    const dataDir = newDataDir();
    // node itself (with tsx's require hook), not the tsx launcher: SIGKILL must hit the holder.
    const holder = spawn(
      process.execPath,
      [
        '--require',
        'tsx/cjs',
        '-e',
        `require('./src/db/data-dir-lock').lockDataDir(${JSON.stringify(dataDir)}).then(() => { console.log('locked'); setInterval(() => {}, 1000); })`,
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve());
      holder.once('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
    });
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();

    // Right after the kill the lock still looks held: an admin command refuses at once.
    await expect(lockDataDir(dataDir)).rejects.toBeInstanceOf(DataDirLockedError);
    // The service (waitForStale) gets it as soon as it is stale, without anyone cleaning up.
    const release = await lockDataDir(dataDir, { waitForStale: true });
    const waited = Date.now() - killedAt;
    await release();
    expect(waited).toBeLessThan(STALE_MS + 4_000);
    expect(waited).toBeGreaterThan(STALE_MS - 4_000);
  }, 60_000);
});
