// Test databases are dropped by each file; nothing shared is left running.
export default async function globalTeardown(): Promise<void> {}
