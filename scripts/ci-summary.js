// Sums every test run of a CI job into one closing line, "N passed, N failed, N skipped", from
// Jest's JSON results (--json --outputFile) and JUnit reports (schemathesis) left in one folder.
// usage: node scripts/ci-summary.js <results-dir>
const fs = require('node:fs');
const path = require('node:path');

const dir = process.argv[2];
const total = { passed: 0, failed: 0, skipped: 0 };
const runs = [];
for (const file of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
  const text = fs.readFileSync(path.join(dir, file), 'utf8');
  let run;
  if (file.endsWith('.json')) {
    const jest = JSON.parse(text);
    // A suite that failed to run (syntax error, failing hook) has no test results but counts as failed.
    run = {
      passed: jest.numPassedTests,
      failed: jest.numFailedTests + jest.numRuntimeErrorTestSuites,
      skipped: jest.numPendingTests + jest.numTodoTests,
    };
  } else if (file.endsWith('.xml')) {
    const attr = (name) =>
      [...text.matchAll(new RegExp(`<testsuite\\b[^>]*\\b${name}="(\\d+)"`, 'g'))].reduce(
        (sum, m) => sum + Number(m[1]),
        0,
      );
    const failed = attr('failures') + attr('errors');
    const skipped = attr('skipped');
    run = { passed: attr('tests') - failed - skipped, failed, skipped };
  } else continue;
  runs.push(`${file}: ${run.passed} passed, ${run.failed} failed, ${run.skipped} skipped`);
  for (const key of Object.keys(total)) total[key] += run[key];
}
for (const line of runs) console.log(`  ${line}`);
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
