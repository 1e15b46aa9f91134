// The OpenAPI 3 document, generated from the same zod schemas that validate requests.
import { OpenApiGeneratorV3, type OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { SESSION_COOKIE } from '../security/session-tokens';

export function buildOpenApiDocument(registry: OpenAPIRegistry) {
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'API key of a user (crk_…)',
  });
  registry.registerComponent('securitySchemes', 'sessionCookie', {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description:
      'The web console session (POST /v1/session). Requests that change data must also send X-CSRF-Token (from GET /v1/session) and come from this origin.',
  });
  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      title: 'Contact event reminders — admin API',
      version: '1.0.0',
      description:
        'Contacts, contact forms, notification rules and their reminders. Errors: { "error": { "code", "message", "details"? } }.',
    },
    servers: [{ url: '/' }],
  });
}
