// The OpenAPI 3 document, generated from the same zod schemas that validate requests.
import { OpenApiGeneratorV3, type OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';

export function buildOpenApiDocument(registry: OpenAPIRegistry) {
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'API key of a user (crk_…)',
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
