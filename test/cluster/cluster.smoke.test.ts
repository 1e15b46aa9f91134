// Smoke test of the production topology (`npm run cluster`'s Cluster): PostgreSQL, the real
// Temporal server on it, the API and two worker processes. It comes up, /health lists both
// workers, a rule and a contact made through the API get a reminder workflow that the workers
// run (seen through the Temporal client and SQL visibility), and everything stops cleanly.
import { existsSync } from 'node:fs';
import net from 'node:net';
import { temporal } from '@temporalio/proto';
import { reminderWorkflowId } from '../../src/shared/ids';
import { startCluster, type ClusterHandle } from '../support/cluster';
import { clusterApi } from '../support/cluster-api';
import { eventuallyValue } from '../support/eventually';

jest.setTimeout(300_000);

let handle: ClusterHandle | undefined;

afterAll(async () => {
  await handle?.stop();
});

function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portOpen(address: string): Promise<boolean> {
  const [host, port] = address.replace(/^https?:\/\//, '').split(':') as [string, string];
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

test('the cluster comes up with two workers, runs a reminder made through the API on them, and stops cleanly', async () => {
  const started = Date.now();
  handle = await startCluster({ workers: 2 });
  const { cluster, apiUrl } = handle;
  const workerIds = cluster.workers.map((w) => w.identity!);
  expect(new Set(workerIds).size).toBe(2);
  process.stdout.write(`cluster up in ${Date.now() - started} ms (workers ${workerIds.join(', ')})\n`);

  // /health: database and Temporal answer, and both workers poll both task queues.
  const health = (await (await fetch(`${apiUrl}/health`)).json()) as {
    status: string;
    checks: { workers: { ok: boolean; pollers: Array<{ identity: string; live: boolean; taskQueueTypes: string[] }> } };
  };
  expect(health.status).toBe('ok');
  expect(health.checks.workers.ok).toBe(true);
  for (const identity of workerIds) {
    expect(health.checks.workers.pollers).toContainEqual(
      expect.objectContaining({ identity, live: true, taskQueueTypes: ['workflow', 'activity'] }),
    );
  }

  // A company, a birthday rule and a contact, through the API as an admin would.
  const key = await handle.createCompany();
  const { request: api } = clusterApi(apiUrl, key);
  const birthday = (await api('GET', '/v1/contact-fields?kind=person')).items.find(
    (f: { key: string }) => f.key === 'birthday',
  );
  const rule = await api('POST', '/v1/notification-rules', {
    name: 'Birthday SMS',
    kind: 'person',
    eventFieldId: birthday.id,
    channel: 'sms',
    sendTime: '09:00',
    daysInAdvance: 1,
    bodyTemplate: 'Happy birthday, {{contactName}}!',
  });
  const contact = await api('POST', '/v1/contacts', {
    kind: 'person',
    name: 'Grace Cluster',
    phone: '+12125550123',
    smsConsent: true,
    fields: { birthday: '1906-12-09' },
  });

  // The reminder workflow runs on the cluster's workers: its history shows the workflow task that
  // started its timer picked up by one of them (the plan is handed in at start, so no activity runs
  // before the send), and SQL visibility finds it by its search attribute.
  const client = await handle.client();
  const workflow = client.workflow.getHandle(reminderWorkflowId(rule.id, contact.id));
  const identities = await eventuallyValue('the reminder asleep on a worker', async () => {
    const events = await workflow
      .fetchHistory()
      .then((history) => history.events ?? [])
      .catch(() => []); // not started yet: the outbox relay applies the change in a moment
    const workflowTasks = events.flatMap((e) => e.workflowTaskStartedEventAttributes?.identity ?? []);
    return workflowTasks.length > 0 && events.some((e) => e.timerStartedEventAttributes) ? workflowTasks : undefined;
  });
  expect(identities.length).toBeGreaterThan(0);
  for (const identity of identities) expect(workerIds).toContain(identity);
  expect((await workflow.describe()).status.name).toBe('RUNNING');
  const listed = await eventuallyValue('the reminder in SQL visibility', async () => {
    const found = [];
    for await (const w of client.workflow.list({ query: `RuleId = "${rule.id}" AND ExecutionStatus = "Running"` }))
      found.push(w.workflowId);
    return found.includes(workflow.workflowId) ? found : undefined;
  });
  expect(listed).toContain(workflow.workflowId);
  const reminders = await api('GET', `/v1/contacts/${contact.id}/reminders`);
  expect(reminders.items).toEqual([expect.objectContaining({ ruleId: rule.id, status: 'pending' })]);

  // Payloads are encrypted (PAYLOAD_KEYS from the cluster's secrets): the raw history holds no
  // contact name or phone, and the codec endpoint (what an operator points the UI at) decodes.
  const history = await workflow.fetchHistory();
  const clear = Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('latin1');
  expect(clear).toContain('binary/encrypted');
  for (const personal of ['Grace Cluster', '+12125550123']) expect(clear).not.toContain(personal);
  const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  const decoded = await fetch(`${apiUrl}/codec/decode`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${handle.env.CODEC_AUTH_TOKEN}`,
      'content-type': 'application/json',
      'x-namespace': 'default',
    },
    body: JSON.stringify({
      payloads: [
        {
          metadata: Object.fromEntries(
            Object.entries(input!.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          ),
          data: Buffer.from(input!.data!).toString('base64'),
        },
      ],
    }),
  });
  expect(decoded.status).toBe(200);
  const plain = (await decoded.json()) as { payloads: Array<{ data: string }> };
  expect(Buffer.from(plain.payloads[0]!.data, 'base64').toString()).toContain(contact.id);

  // Each worker serves its own Prometheus endpoint, with the SDK's series.
  for (const port of handle.workerMetricsPorts) {
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^temporal_worker_task_slots_available\{/m);
  }

  // Stop: workers, API, Temporal server, PostgreSQL — each exits and frees its port.
  const pids = [...cluster.workers.map((w) => w.pid), cluster.api.pid, cluster.temporal.pid];
  const stopping = Date.now();
  const toStop = handle;
  handle = undefined;
  const ended = await toStop.stop();
  process.stdout.write(`cluster stopped in ${Date.now() - stopping} ms; smoke test ${Date.now() - started} ms\n`);
  expect(ended).toEqual({ 'worker-1': 'clean', 'worker-2': 'clean', api: 'clean' });
  for (const pid of pids) expect(isAlive(pid)).toBe(false);
  expect(await portOpen(apiUrl)).toBe(false);
  expect(await portOpen(toStop.temporalAddress)).toBe(false);
  const database = new URL(toStop.env.DATABASE_URL);
  expect(await portOpen(`${database.hostname}:${database.port}`)).toBe(false);
  expect(existsSync(toStop.dir)).toBe(process.env.KEEP_CLUSTER_DIR === '1');
});
