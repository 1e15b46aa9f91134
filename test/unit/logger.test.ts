// The pino-backed logger: JSON lines with the fields operators filter on, levels, redaction of
// secrets wherever they appear, and the Temporal SDK's logger interface on top of it.
import { Writable } from 'node:stream';
import { asTemporalLogger, createLogger, type Level } from '../../src/runtime/logger';

function capture(level: Level = 'debug') {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger(level, { service: 'api', destination }) };
}

test('a line is one JSON object with ISO time, level name, service, message and the given fields', () => {
  const { lines, logger } = capture();
  logger.info('API listening', { port: 3000 });
  expect(lines).toEqual([
    expect.objectContaining({ level: 'info', service: 'api', msg: 'API listening', port: 3000, pid: process.pid }),
  ]);
  expect(new Date(lines[0]!.time as string).toISOString()).toBe(lines[0]!.time);
});

test('lines below the configured level are dropped', () => {
  const { lines, logger } = capture('warn');
  logger.debug('d');
  logger.info('i');
  logger.warn('w');
  logger.error('e');
  expect(lines.map((l) => l.level)).toEqual(['warn', 'error']);
});

test('secrets are redacted at the top level, one level down and in request headers', () => {
  const { lines, logger } = capture();
  logger.info('oops', {
    password: 'hunter2',
    token: 'tok-123',
    mailbox: { smtpPassword: 'smtp-secret', apiKey: 'crk_abc', host: 'smtp.example.com' },
    req: { headers: { authorization: 'Bearer crk_secret', cookie: 'sid=1', accept: 'application/json' } },
  });
  const text = JSON.stringify(lines[0]);
  for (const secret of ['hunter2', 'tok-123', 'smtp-secret', 'crk_abc', 'crk_secret', 'sid=1']) {
    expect(text).not.toContain(secret);
  }
  expect(lines[0]).toMatchObject({
    password: '[redacted]',
    mailbox: { smtpPassword: '[redacted]', apiKey: '[redacted]', host: 'smtp.example.com' },
    req: { headers: { authorization: '[redacted]', accept: 'application/json' } },
  });
});

test('a child logger binds its fields to every line', () => {
  const { lines, logger } = capture();
  logger.child({ requestId: 'r-1' }).warn('slow', { ms: 1200 });
  expect(lines[0]).toMatchObject({ requestId: 'r-1', ms: 1200, level: 'warn', msg: 'slow' });
});

test("the Temporal SDK's log calls become our lines, with their metadata as fields and SDK levels mapped", () => {
  const { lines, logger } = capture();
  const sdk = asTemporalLogger(logger);
  sdk.info('Workflow started', { workflowId: 'reminder:r:c', sdkComponent: 'workflow', [Symbol('ts')]: 1n });
  sdk.log('ERROR', 'Activity failed', { activityType: 'dispatch' });
  sdk.trace('too chatty');
  expect(lines).toEqual([
    expect.objectContaining({
      level: 'info',
      component: 'temporal',
      workflowId: 'reminder:r:c',
      msg: 'Workflow started',
    }),
    expect.objectContaining({ level: 'error', activityType: 'dispatch', msg: 'Activity failed' }),
  ]);
});
