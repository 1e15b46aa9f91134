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

export function validate<S extends Schemas>(schemas: S): RequestHandler {
  return (req, res, next) => {
    const details = [];
    const parsed: Record<string, unknown> = {};
    for (const location of ['params', 'query', 'body'] as const) {
      const schema = schemas[location];
      if (!schema) continue;
      const result = schema.safeParse(location === 'body' ? (req.body ?? {}) : req[location]);
      if (result.success) parsed[location] = result.data;
      else details.push(...zodDetails(result.error, location));
    }
    if (details.length > 0) {
      return next(new HttpError(400, 'validation_failed', `Invalid request: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details));
    }
    res.locals.input = parsed;
    next();
  };
}

/** The values `validate(schemas)` parsed for this request. */
export function input<S extends Schemas>(res: Response, _schemas: S): Parsed<S> {
  return res.locals.input as Parsed<S>;
}
