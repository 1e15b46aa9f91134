// Validates body, params and query with zod and hands the parsed values on in res.locals.
import type { RequestHandler, Response } from 'express';
import type { z, ZodType } from 'zod';
import { HttpError, zodDetails } from './errors';

interface Schemas {
  body?: ZodType;
  params?: ZodType;
  query?: ZodType;
}

type Parsed<S extends Schemas> = {
  body: S['body'] extends ZodType ? z.infer<S['body']> : undefined;
  params: S['params'] extends ZodType ? z.infer<S['params']> : undefined;
  query: S['query'] extends ZodType ? z.infer<S['query']> : undefined;
};

// U+0000 and unpaired UTF-16 surrogates: PostgreSQL stores neither (text and jsonb reject NUL,
// and a lone surrogate is no Unicode character, so Prisma's JSON protocol refuses it). Left to the
// database they surfaced as 500s (found while fuzzing the API, scripts/fuzz-api.sh); here they are
// a 400 naming the field.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const unstorable = (text: string) => text.includes('\u0000') || LONE_SURROGATE.test(text);
const UNSTORABLE_MESSAGE = 'must not contain NUL characters (\\u0000) or unpaired UTF-16 surrogates';

/** Paths of strings (values or object keys, at any depth) that the database cannot store. */
function unstorableStrings(value: unknown, path: string, found: string[] = [], depth = 0): string[] {
  if (typeof value === 'string') {
    if (unstorable(value)) found.push(path);
  } else if (value !== null && typeof value === 'object' && depth < 64 && found.length < 20) {
    for (const [key, item] of Object.entries(value)) {
      const itemPath = `${path}.${key}`;
      if (unstorable(key)) found.push(itemPath);
      else unstorableStrings(item, itemPath, found, depth + 1);
    }
  }
  return found;
}

export function validate<S extends Schemas>(schemas: S): RequestHandler {
  return (req, res, next) => {
    const details = [];
    const parsed: Record<string, unknown> = {};
    for (const location of ['params', 'query', 'body'] as const) {
      const schema = schemas[location];
      if (!schema) continue;
      const raw: unknown = location === 'body' ? (req.body ?? {}) : req[location];
      const badStrings = unstorableStrings(raw, location);
      if (badStrings.length > 0) {
        details.push(...badStrings.map((path) => ({ path, message: UNSTORABLE_MESSAGE, code: 'invalid_string' })));
        continue;
      }
      const result = schema.safeParse(raw);
      if (result.success) parsed[location] = result.data;
      else details.push(...zodDetails(result.error, location));
    }
    if (details.length > 0) {
      return next(
        new HttpError(
          400,
          'validation_failed',
          `Invalid request: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`,
          details,
        ),
      );
    }
    res.locals.input = parsed;
    next();
  };
}

/** The values `validate(schemas)` parsed for this request. */
export function input<S extends Schemas>(res: Response, _schemas: S): Parsed<S> {
  return res.locals.input as Parsed<S>;
}
