// API keys (issue 9, item 5): list (prefix, owner, created, last used), create, revoke — a revoked
// key fails at once — and lastUsedAt kept, at most one write a minute per key.
import { createApiFixture, type ApiFixture } from '../support/api';

let f: ApiFixture;
beforeAll(async () => {
  f = await createApiFixture();
});
afterAll(() => f.close());

async function newUser(name: string) {
  const res = await f.a.api.post('/v1/users', { name, email: `${name.toLowerCase()}@a.example` });
  expect(res.status).toBe(201);
  return { id: res.body.id as string, key: res.body.apiKey as string, api: f.as(res.body.apiKey) };
}

test('a user creates a second key, rotates to it and revokes the first: the revoked key fails on the very next request', async () => {
  const bob = await newUser('Bob');
  const created = await bob.api.post('/v1/api-keys', { label: 'CRM sync' });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({
    prefix: created.body.key.slice(0, 10),
    label: 'CRM sync',
    userId: bob.id,
    userName: 'Bob',
    lastUsedAt: null,
    revokedAt: null,
  });
  expect(created.body.key).toMatch(/^crk_/);
  const rotated = f.as(created.body.key);
  expect((await rotated.get('/v1/company')).status).toBe(200);

  const listed = await rotated.get('/v1/api-keys');
  expect(listed.body.items.map((k: { prefix: string }) => k.prefix).sort()).toEqual(
    [bob.key.slice(0, 10), created.body.key.slice(0, 10)].sort(),
  );
  expect(JSON.stringify(listed.body)).not.toContain(created.body.key);
  expect(JSON.stringify(listed.body)).not.toMatch(/keyHash/);

  const first = listed.body.items.find((k: { prefix: string }) => k.prefix === bob.key.slice(0, 10));
  expect((await bob.api.get('/v1/company')).status).toBe(200);
  expect((await rotated.delete(`/v1/api-keys/${first.id}`)).status).toBe(204);
  const refused = await bob.api.get('/v1/company');
  expect(refused.status).toBe(401);
  expect((await rotated.get('/v1/company')).status).toBe(200);
  const withRevoked = await rotated.get('/v1/api-keys?includeRevoked=true');
  expect(withRevoked.body.items.find((k: { id: string }) => k.id === first.id).revokedAt).toEqual(expect.any(String));
});

test("users see and revoke only their own keys; admins see, create and revoke everyone's", async () => {
  const carol = await newUser('Carol');
  const dave = await newUser('Dave');
  const mine = await carol.api.get('/v1/api-keys');
  expect(mine.body.items.map((k: { userId: string }) => k.userId)).toEqual([carol.id]);
  // Asking for Dave's keys still lists only Carol's own.
  const asked = await carol.api.get(`/v1/api-keys?userId=${dave.id}`);
  expect(asked.body.items.map((k: { userId: string }) => k.userId)).toEqual([carol.id]);

  const daveKey = (await dave.api.get('/v1/api-keys')).body.items[0].id as string;
  expect((await carol.api.delete(`/v1/api-keys/${daveKey}`)).status).toBe(403);
  expect((await carol.api.post('/v1/api-keys', { userId: dave.id })).status).toBe(403);
  expect((await dave.api.get('/v1/company')).status).toBe(200);

  const all = await f.a.api.get('/v1/api-keys');
  expect(all.body.items.map((k: { userId: string }) => k.userId)).toEqual(
    expect.arrayContaining([f.a.user.id, carol.id, dave.id]),
  );
  const forDave = await f.a.api.post('/v1/api-keys', { userId: dave.id, label: 'made by the admin' });
  expect(forDave.status).toBe(201);
  expect(forDave.body.userId).toBe(dave.id);
  expect((await f.a.api.delete(`/v1/api-keys/${daveKey}`)).status).toBe(204);
  expect((await dave.api.get('/v1/company')).status).toBe(401);
  expect((await f.as(forDave.body.key).get('/v1/company')).status).toBe(200);

  // Another company's key is not found, not forbidden.
  expect((await f.b.api.delete(`/v1/api-keys/${forDave.body.id}`)).status).toBe(404);
  expect((await f.b.api.post('/v1/api-keys', { userId: dave.id })).status).toBe(400);
});

test('lastUsedAt is set on use and written at most once a minute per key', async () => {
  const erin = await newUser('Erin');
  const row = () => f.db.apiKey.findFirstOrThrow({ where: { userId: erin.id } });
  expect((await row()).lastUsedAt).toBeNull();
  await erin.api.get('/v1/company');
  const first = (await row()).lastUsedAt;
  expect(first).toBeInstanceOf(Date);
  await erin.api.get('/v1/company');
  await erin.api.get('/v1/contacts');
  expect((await row()).lastUsedAt).toEqual(first);

  // A minute later (moved back in the database rather than waiting): the next use writes again.
  const earlier = new Date(Date.now() - 61_000);
  await f.db.apiKey.updateMany({ where: { userId: erin.id }, data: { lastUsedAt: earlier } });
  await erin.api.get('/v1/company');
  const later = (await row()).lastUsedAt!;
  expect(later.getTime()).toBeGreaterThan(earlier.getTime() + 60_000);
  const listed = await erin.api.get('/v1/api-keys');
  expect(listed.body.items[0].lastUsedAt).toBe(later.toISOString());
});
