// What the cluster tests share beside the cluster handle: the admin API as a client sees it (JSON
// over HTTP with an API key), and many contacts seeded at once straight into the cluster's
// database (thousands of API calls would only slow the set-up).
import { randomUUID } from 'node:crypto';
import { createDb } from '../../src/db/client';

export interface ApiAnswer<T> {
  status: number;
  body: T;
  /** Request sent → answer read (ms). */
  ms: number;
}

export interface ClusterApi {
  /** One request; any status is returned, not thrown (a network error or timeout is thrown). */
  call<T = ApiBody>(
    method: string,
    path: string,
    options?: { body?: object; headers?: Record<string, string>; timeoutMs?: number },
  ): Promise<ApiAnswer<T>>;
  /** One request that must succeed (status < 400); its body. */
  request<T = ApiBody>(method: string, path: string, body?: object): Promise<T>;
}

// The tests read the API's JSON loosely; the API's own tests check its shapes.
export type ApiBody = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function clusterApi(apiUrl: string, apiKey: string): ClusterApi {
  const call: ClusterApi['call'] = async (method, path, options = {}) => {
    const started = Date.now();
    const res = await fetch(`${apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...options.headers },
      body: options.body ? JSON.stringify(options.body) : undefined,
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as never, ms: Date.now() - started };
  };
  return {
    call,
    async request(method, path, body) {
      const answer = await call(method, path, { body });
      if (answer.status >= 400) throw new Error(`${method} ${path} → ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body as never;
    },
  };
}

export interface SeededContact {
  id: string;
  email: string;
}

/**
 * `count` organizations of one company, each with an email address and email consent, and the
 * date field `fieldKey` set to `date` (YYYY-MM-DD or --MM-DD), inserted in one statement per
 * thousand. Emails are `<tag>-<i>@faults.example`, so each scenario's mail is told apart.
 */
export async function seedContacts(
  databaseUrl: string,
  input: { companyId: string; tag: string; count: number; fieldKey: string; date: string },
): Promise<SeededContact[]> {
  const db = createDb(databaseUrl, 2);
  try {
    const contacts = Array.from({ length: input.count }, (_, i) => ({
      id: randomUUID(),
      email: `${input.tag}-${i}@faults.example`,
    }));
    const rows = contacts.map((c, i) => ({
      ...c,
      companyId: input.companyId,
      kind: 'organization' as const,
      role: 'client' as const,
      name: `${input.tag} client ${i}`,
      emailConsent: true,
      fields: { [input.fieldKey]: input.date },
    }));
    for (let i = 0; i < rows.length; i += 1_000) await db.contact.createMany({ data: rows.slice(i, i + 1_000) });
    return contacts;
  } finally {
    await db.$disconnect();
  }
}
