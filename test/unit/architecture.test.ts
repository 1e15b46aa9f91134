// The layering rules in .dependency-cruiser.cjs must fire: a throwaway tree with an import circle
// and a workflow that imports the API is cruised with the project's own configuration.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const DEPCRUISE = path.join(ROOT, 'node_modules', '.bin', 'depcruise');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');

interface CruiseResult {
  summary: { violations: Array<{ rule: { name: string }; from: string; to: string }> };
}

function cruise(cwd: string): CruiseResult {
  try {
    return JSON.parse(
      execFileSync(DEPCRUISE, ['src', '--config', CONFIG, '--output-type', 'json'], { cwd, encoding: 'utf8' }),
    ) as CruiseResult;
  } catch (error) {
    // depcruise exits non-zero when it finds violations; the JSON is still on stdout.
    return JSON.parse((error as { stdout: string }).stdout) as CruiseResult;
  }
}

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'architecture-'));
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'commonjs', strict: true } }),
  );
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

test('an import circle fails the architecture check, type-only edges included', () => {
  const dir = tree({
    'src/activities/a.ts': "import { b } from '../scheduling/b';\nexport const a = () => b;\n",
    'src/scheduling/b.ts': "import type { A } from '../activities/c';\nexport const b = 1 as unknown as A;\n",
    'src/activities/c.ts': "import { a } from './a';\nexport type A = ReturnType<typeof a>;\n",
  });
  try {
    const names = cruise(dir).summary.violations.map((v) => v.rule.name);
    expect(names).toContain('no-circular');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a workflow importing the API, or the API importing activities, is a wrong-direction import', () => {
  const dir = tree({
    'src/workflows/reminder.ts': "import { app } from '../api/app';\nexport const w = app;\n",
    'src/api/app.ts': "import { send } from '../activities/send';\nexport const app = send;\n",
    'src/activities/send.ts': 'export const send = 1;\n',
  });
  try {
    const violations = cruise(dir).summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
    expect(violations).toEqual(
      expect.arrayContaining([
        'workflows-are-deterministic: src/workflows/reminder.ts → src/api/app.ts',
        'api-not-worker: src/api/app.ts → src/activities/send.ts',
      ]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the project itself follows the rules', () => {
  expect(cruise(ROOT).summary.violations).toEqual([]);
});
