// The service as users run it (`npm start`, src/main.ts) as a child process of a test: started
// in its own process group (so a kill takes the embedded Temporal dev server with it), killed with
// any signal, and driven through its admin API like any client. Shared by the e2e tests.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort, REPO_ROOT } from './stand-ins';

export interface Service {
  process: ChildProcess;
  /** The admin key printed on the first start with an empty database. */
  apiKey?: string;
  output: () => string;
}

/** The environment of an `npm start` on embedded defaults, on free ports, with its data in `dataDir`. */
export async function serviceEnv(
  dataDir: string,
  extra: NodeJS.ProcessEnv = {},
): Promise<NodeJS.ProcessEnv & { API_PORT: string; TEMPORAL_DEV_PORT: string }> {
  const [apiPort, devPort, uiPort, workerMetricsPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATA_DIR: dataDir,
    API_PORT: String(apiPort),
    TEMPORAL_DEV_PORT: String(devPort),
    TEMPORAL_UI_PORT: String(uiPort),
    WORKER_METRICS_ADDRESS: `127.0.0.1:${workerMetricsPort}`,
    LOG_LEVEL: 'warn',
    BOOTSTRAP_TIME_ZONE: 'UTC',
    PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
    ...extra,
  };
}

/** Starts `npm start` (tsx directly: npm would leave tsx/node running on a kill) and waits until
 * it printed its addresses, i.e. the API listens and the worker runs. */
export function startService(env: NodeJS.ProcessEnv, options: { timeoutMs?: number } = {}): Promise<Service> {
  // Its own process group, so the test can kill it together with the embedded Temporal server.
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'), 'src/main.ts'], {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => {
      clearInterval(timer);
      reject(new Error(`npm start not ready within ${(options.timeoutMs ?? 180_000) / 1000} s:\n${output}`));
    }, options.timeoutMs ?? 180_000);
    const timer = setInterval(() => {
      if (output.includes('Temporal UI:')) {
        clearInterval(timer);
        clearTimeout(deadline);
        resolve({
          process: child,
          apiKey: /Admin API key \(shown once, keep it\): (\S+)/.exec(output)?.[1],
          output: () => output,
        });
      }
    }, 100);
    child.once('exit', (code) => {
      clearInterval(timer);
      clearTimeout(deadline);
      reject(new Error(`npm start exited (${code}):\n${output}`));
    });
  });
}

/** Signals the service's whole process group and waits until the service process is gone. */
export async function killGroup(service: Service, signal: NodeJS.Signals): Promise<void> {
  const exited = new Promise<void>((resolve) =>
    service.process.exitCode !== null || service.process.signalCode !== null
      ? resolve()
      : service.process.once('exit', () => resolve()),
  );
  try {
    process.kill(-service.process.pid!, signal);
  } catch {
    return;
  }
  await exited;
  // Children (the Temporal CLI) die with the group; give the OS a moment to release ports.
  await new Promise((r) => setTimeout(r, 1000));
}

// The tests read the API's JSON loosely; the API's own tests check its shapes.
export type ApiBody = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ApiAnswer {
  status: number;
  body: ApiBody;
  headers: Headers;
}

export interface ServiceApi {
  /** One request; any status is returned (a network error or timeout is thrown). */
  call(
    method: string,
    path: string,
    options?: { body?: object; headers?: Record<string, string>; timeoutMs?: number },
  ): Promise<ApiAnswer>;
  /** One request that must succeed (status < 400); its body. */
  request(method: string, path: string, body?: object): Promise<ApiBody>;
}

export function serviceApi(baseUrl: string, apiKey: string): ServiceApi {
  const call: ServiceApi['call'] = async (method, p, options = {}) => {
    const res = await fetch(`${baseUrl}${p}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...options.headers },
      body: options.body ? JSON.stringify(options.body) : undefined,
      signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as ApiBody, headers: res.headers };
  };
  return {
    call,
    async request(method, p, body) {
      const answer = await call(method, p, { body });
      if (answer.status >= 400) throw new Error(`${method} ${p} → ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body;
    },
  };
}

/** Runs `work` over `items` with at most `concurrency` at a time; results in order. */
export async function mapLimited<T, R>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<R>) {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return results;
}

/** Free ports for the API, the Temporal dev server, its UI and the worker's metrics. */
export async function servicePorts(): Promise<{ api: number; dev: number; ui: number; workerMetrics: number }> {
  return { api: await freePort(), dev: await freePort(), ui: await freePort(), workerMetrics: await freePort() };
}
