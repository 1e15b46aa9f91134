// Where the shared test engines are, as globalSetup leaves it for every test file.
import path from 'node:path';
import { loadConfig } from '../../src/config';

export const TEST_CACHE_DIR = path.resolve(__dirname, '..', '..', '.cache', 'test');
export const PGLITE_TEMPLATE_FILE = path.join(TEST_CACHE_DIR, 'pglite-template.tar');

/** Test settings come through the same validated config as the service's. */
export function testConfig() {
  return loadConfig();
}

/** Name of the migrated template database on the PostgreSQL server (DATABASE_URL runs). */
export const TEMPLATE_DB_NAME = 'reminders_test_template';
