// The architecture, as rules `npm run lint` enforces (dependency-cruiser). Dependencies point one
// way: entry points (api, worker, cli, main) → scheduling / activities → workflows → shared
// contracts and the pure calendar; vendor adapters (delivery), the database and the runtime sit at
// the edge. README "Layout" describes each folder.
//
// Type-only imports count for cycles too: a circle of types still ties the files together.

/** Files that only entry points may import (nothing imports an entry point). */
const ENTRY_POINTS = '^src/(main|api/main|worker/main|cli/(create-company|seed-demo))\\.ts$';

/** A `from` layer may not import any of `to`. */
function forbid(name, comment, from, to, extra = {}) {
  return { name, comment, severity: 'error', from: { path: from }, to: { path: to, ...extra } };
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Import circles make the layers meaningless and load order fragile.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    forbid(
      'no-entry-point-imports',
      'Entry points wire things together; nothing depends on them.',
      '^src/',
      ENTRY_POINTS,
    ),
    forbid('no-src-to-test', 'Production code never reaches into the tests.', '^src/', '^(test|bench)/'),
    forbid(
      'pure-core-stays-pure',
      'shared/ and calendar/ run inside the workflow sandbox: only each other (and types of templates).',
      '^src/(shared|calendar)/',
      '^src/(?!(shared|calendar)/)',
      { dependencyTypesNot: ['type-only'] },
    ),
    forbid(
      'pure-core-types-only-from-templates',
      'shared/ and calendar/ may name template types, nothing else outside the pure core.',
      '^src/(shared|calendar)/',
      '^src/(?!(shared|calendar|templates)/)',
    ),
    forbid(
      'workflows-are-deterministic',
      'Workflows import the pure core and themselves; activities by type only (proxyActivities).',
      '^src/workflows/',
      '^src/(?!(workflows|shared|calendar)/)',
      { dependencyTypesNot: ['type-only'] },
    ),
    forbid(
      'workflows-name-only-activity-types',
      'The only other thing a workflow may name is the activities it proxies.',
      '^src/workflows/',
      '^src/(?!(workflows|shared|calendar|activities)/)',
    ),
    forbid(
      'activities-below-entry-points',
      'Activities are side effects behind the workflows: they never reach up to the API, worker or CLI, nor into workflow code.',
      '^src/activities/',
      '^src/(api|worker|cli|workflows)/',
    ),
    forbid(
      'scheduling-is-the-api-port',
      'scheduling/ is how the API and the fan-out talk to Temporal; it knows workflows by type only and nothing above it.',
      '^src/scheduling/',
      '^src/(api|worker|cli|activities|delivery)/',
    ),
    forbid(
      'scheduling-workflows-by-type',
      'Clients start workflows by type name; workflow code never enters the API process.',
      '^src/scheduling/',
      '^src/workflows/',
      { dependencyTypesNot: ['type-only'] },
    ),
    forbid(
      'adapters-at-the-edge',
      'Vendor adapters know their vendor and the delivery ports, nothing of the application.',
      '^src/delivery/',
      '^src/(?!(delivery|config)/)',
    ),
    forbid(
      'chats-below-api',
      'Chat rules serve the API, webhooks and activities alike; they import none of them.',
      '^src/chats/',
      '^src/(api|worker|cli|activities|workflows|scheduling|delivery)/',
    ),
    forbid(
      'ledger-below-application',
      'The delivery ledger (its statuses and transitions) serves the activities and the webhooks; it imports neither.',
      '^src/ledger/',
      '^src/(api|worker|cli|activities|workflows|scheduling|chats|delivery)/',
    ),
    forbid(
      'infrastructure-below-application',
      'Database, runtime, config and security helpers never import application layers.',
      '^src/(db|runtime|config|security|templates|companies)/',
      '^src/(api|worker|cli|activities|workflows|scheduling|chats)/',
    ),
    forbid(
      'api-not-worker',
      'The API process never loads the worker, the activities or workflow code.',
      '^src/api/',
      '^src/(worker|cli|activities)/',
    ),
    forbid('api-workflows-by-type', 'The API knows workflows by type only.', '^src/api/', '^src/workflows/', {
      dependencyTypesNot: ['type-only'],
    }),
    forbid('worker-not-api', 'The worker process never loads the API or the CLI.', '^src/worker/', '^src/(api|cli)/'),
    forbid(
      'cli-not-worker',
      'Admin commands use the database directly, never the worker.',
      '^src/cli/',
      '^src/(worker|activities|workflows)/',
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/generated/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
