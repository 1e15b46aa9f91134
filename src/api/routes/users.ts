// Users of the company (employees who use the CRM) and their API keys.
import { z } from 'zod';
import { generateApiKey } from '../../security/api-keys';
import { addRoute } from '../routing';
import { email } from '../schemas';
import type { RouteDeps } from './deps';

const userSchema = z.object({ id: z.string(), name: z.string(), email: z.string(), isAdmin: z.boolean() });

export function userRoutes({ routes }: RouteDeps): void {
  addRoute(routes, {
    method: 'get',
    path: '/v1/users',
    tag: 'Users',
    summary: 'Users of the company',
    response: z.object({ items: z.array(userSchema) }),
    handler: async ({ db, auth }) => ({
      items: (await db.user.findMany({ where: { companyId: auth.companyId }, orderBy: { createdAt: 'asc' } })).map(
        toUser,
      ),
    }),
  });

  addRoute(routes, {
    method: 'post',
    path: '/v1/users',
    tag: 'Users',
    status: 201,
    errors: [409],
    access: 'admin',
    summary: 'Create a user with an API key (the key is shown once)',
    body: z.strictObject({ name: z.string().trim().min(1).max(200), email, isAdmin: z.boolean().default(false) }),
    response: userSchema.extend({ apiKey: z.string() }),
    idempotency: { refused: 'the answer carries the new API key, which is never stored' },
    handler: async ({ db, auth, body }) => {
      const key = generateApiKey();
      const user = await db.user.create({
        data: { ...body, companyId: auth.companyId, apiKeys: { create: { keyHash: key.hash, prefix: key.prefix } } },
      });
      return { ...toUser(user), apiKey: key.key };
    },
  });
}

function toUser(u: { id: string; name: string; email: string; isAdmin: boolean }) {
  return { id: u.id, name: u.name, email: u.email, isAdmin: u.isAdmin };
}
