// The Instagram adapter against a local stand-in for the Graph API that checks what the adapter
// sends (path, method, bearer auth, JSON shape) and answers like Graph does, errors included.

import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import util from 'node:util';
import { createInstagramMessaging } from '../../../src/delivery/instagram-adapter';
import { classifyDeliveryFailure, DeliveryError } from '../../../src/delivery/ports';
import { failureOf } from '../../support/eventually';
import { freePort, readJsonBody } from '../../support/stand-ins';

const IG_USER_ID = '17841400000000001';
const TOKEN = 'EAAGtestPageAccessToken0123456789';

interface Seen {
  method: string | undefined;
  url: string | undefined;
  authorization: string | undefined;
  contentType: string | undefined;
  body: unknown;
}

const graphError = (code: number, message: string, extra: Record<string, unknown> = {}) => ({
  error: { message, type: 'OAuthException', code, fbtrace_id: 'AbCdEfGh123', ...extra },
});

// Recipient id → how the stand-in answers.
const ANSWERS: Record<string, { status: number; body: unknown }> = {
  'igsid-ok': {
    status: 200,
    body: { recipient_id: 'igsid-ok', message_id: 'aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx' },
  },
  'igsid-window': {
    status: 400,
    body: graphError(10, '(#10) This message is sent outside of allowed window.', { error_subcode: 2018278 }),
  },
  'igsid-throttled': { status: 400, body: graphError(613, 'Calls to this api have exceeded the rate limit.') },
  'igsid-app-limit': { status: 403, body: graphError(4, 'Application request limit reached') },
  'igsid-msg-limit': {
    status: 400,
    body: graphError(80006, 'There have been too many messages sent to this Instagram account.'),
  },
  'igsid-429': { status: 429, body: graphError(17, 'User request limit reached') },
  'igsid-unknown-user': {
    status: 400,
    body: graphError(100, 'No matching user found', { error_subcode: 2534014, type: 'IGApiException' }),
  },
  'igsid-no-permission': { status: 403, body: graphError(10, 'Application does not have permission for this action') },
  'igsid-flaky': {
    status: 400,
    body: graphError(2, 'An unexpected error has occurred. Please retry your request later.', { is_transient: true }),
  },
  'igsid-bad-token': {
    status: 401,
    body: graphError(190, `Invalid OAuth access token - Cannot parse access token ${TOKEN}`),
  },
  'igsid-html-502': { status: 502, body: '<html><body>Bad Gateway</body></html>' },
};

describe('instagram adapter', () => {
  let server: http.Server;
  let graphBaseUrl: string;
  const seen: Seen[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      void readJsonBody(req).then((body) => {
        seen.push({
          method: req.method,
          url: req.url,
          authorization: req.headers.authorization,
          contentType: req.headers['content-type'],
          body,
        });

        const wellFormed =
          req.method === 'POST' &&
          req.url === `/v21.0/${IG_USER_ID}/messages` &&
          req.headers.authorization === `Bearer ${TOKEN}` &&
          typeof body === 'object' &&
          body !== null;
        const recipientId = (body as { recipient?: { id?: string } } | undefined)?.recipient?.id ?? '';
        const answer = wellFormed ? ANSWERS[recipientId] : undefined;
        if (!answer) {
          res.writeHead(400, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(graphError(100, 'stand-in: malformed request')));
          return;
        }
        const isJson = typeof answer.body !== 'string';
        res.writeHead(answer.status, { 'Content-Type': isJson ? 'application/json' : 'text/html' });
        res.end(isJson ? JSON.stringify(answer.body) : (answer.body as string));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    graphBaseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v21.0`;
  });

  afterAll(async () => {
    server.closeAllConnections(); // fetch keeps idle keep-alive sockets open
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    seen.length = 0;
  });

  const adapter = () => createInstagramMessaging({ igUserId: IG_USER_ID, pageAccessToken: TOKEN, graphBaseUrl });

  it('POSTs the Messaging API shape with a bearer token and returns the message id', async () => {
    const sent = await adapter().sendInstagram({
      recipientId: 'igsid-ok',
      text: 'Your appointment is tomorrow at 10:00',
    });

    expect(sent).toEqual({ providerMessageId: 'aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx' });
    expect(seen).toEqual([
      {
        method: 'POST',
        url: `/v21.0/${IG_USER_ID}/messages`, // no access_token in the query string
        authorization: `Bearer ${TOKEN}`,
        contentType: 'application/json',
        body: { recipient: { id: 'igsid-ok' }, message: { text: 'Your appointment is tomorrow at 10:00' } },
      },
    ]);
  });

  it.each([
    ['igsid-window', 'window-closed', 400, '10/2018278'],
    ['igsid-throttled', 'transient', 400, '613'],
    ['igsid-app-limit', 'transient', 403, '4'],
    ['igsid-msg-limit', 'transient', 400, '80006'],
    ['igsid-429', 'transient', 429, '17'],
    ['igsid-unknown-user', 'permanent', 400, '100/2534014'],
    ['igsid-no-permission', 'permanent', 403, '10'],
    ['igsid-flaky', 'transient', 400, '2'],
    ['igsid-bad-token', 'permanent', 401, '190'],
  ] as const)('%s → %s', async (recipientId, kind, status, code) => {
    const err = await failureOf(adapter().sendInstagram({ recipientId, text: 'x' }), DeliveryError);
    expect(err).toMatchObject({ provider: 'instagram', kind, status, code });
    expect(err.message).toContain('fbtrace_id AbCdEfGh123');
  });

  it('a non-JSON 502 is transient', async () => {
    const err = await failureOf(adapter().sendInstagram({ recipientId: 'igsid-html-502', text: 'x' }), DeliveryError);
    expect(err).toMatchObject({ provider: 'instagram', kind: 'transient', status: 502 });
    expect(err.code).toBeUndefined();
  });

  it('never puts the access token in an error, even when Graph echoes it', async () => {
    const err = await failureOf(adapter().sendInstagram({ recipientId: 'igsid-bad-token', text: 'x' }), DeliveryError);
    expect(err.message).toContain('[redacted]');
    for (const rendered of [String(err), JSON.stringify(err), util.inspect(err)]) expect(rendered).not.toContain(TOKEN);
  });

  it('an unreachable Graph API is transient', async () => {
    const ig = createInstagramMessaging({
      igUserId: IG_USER_ID,
      pageAccessToken: TOKEN,
      graphBaseUrl: `http://127.0.0.1:${await freePort()}/v21.0`,
    });
    const err = await failureOf(ig.sendInstagram({ recipientId: 'igsid-ok', text: 'x' }), DeliveryError);
    expect(err).toMatchObject({ provider: 'instagram', kind: 'transient', code: 'ECONNREFUSED' });
    expect(err.message).not.toContain(TOKEN);
  });

  it('a Graph API that does not answer in time is transient', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket)); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const ig = createInstagramMessaging({
        igUserId: IG_USER_ID,
        pageAccessToken: TOKEN,
        graphBaseUrl: `http://127.0.0.1:${port}/v21.0`,
        timeoutMs: 200,
      });
      const err = await failureOf(ig.sendInstagram({ recipientId: 'igsid-ok', text: 'x' }), DeliveryError);
      expect(err).toMatchObject({ provider: 'instagram', kind: 'transient' });
      expect(err.message).toContain('timeout');
    } finally {
      for (const socket of sockets) socket.destroy(); // fetch leaves the aborted connection open
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('instagram classification', () => {
  it.each([
    [{ network: true }, 'transient'],
    [{ status: 400, code: 10, subcode: 2018278 }, 'window-closed'],
    [{ status: 400, code: 4 }, 'transient'],
    [{ status: 400, code: 613 }, 'transient'],
    [{ status: 400, code: 80006 }, 'transient'],
    [{ status: 429 }, 'transient'],
    [{ status: 503 }, 'transient'],
    [{ status: 400, code: 100 }, 'permanent'],
    [{ status: 400, code: 10 }, 'permanent'],
  ] as const)('%j → %s', (facts, kind) => {
    expect(classifyDeliveryFailure({ provider: 'instagram', ...facts })).toBe(kind);
  });
});
