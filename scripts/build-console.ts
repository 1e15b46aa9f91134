// `npm run web:build`: builds the web console into web/dist (with --if-stale, only when its
// sources changed since the last build, as `npm start` does).
import { createLogger } from '../src/runtime/logger';
import { ensureConsoleBuilt } from '../src/runtime/console-build';

const logger = createLogger('warn', { format: 'json', service: 'web-build' });
ensureConsoleBuilt(logger, { force: !process.argv.includes('--if-stale') })
  .then((result) => process.stdout.write(`web console: ${result} (web/dist)\n`))
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
