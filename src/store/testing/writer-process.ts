// A separate OS process writing pack status into a store: the concurrency tests run several of these
// against one SQLite file, which is how a second writer really arrives (one store per file per process).
// Usage: node --import tsx writer-process.ts <url> <key> <cluster> <prefix> <count>
import { createStore } from '../store.js';
import { packStatus } from './fixtures.js';

const [url, key, cluster, prefix, count] = process.argv.slice(2);
if (
  url === undefined ||
  key === undefined ||
  cluster === undefined ||
  prefix === undefined ||
  count === undefined
) {
  throw new Error('usage: writer-process.ts <url> <key> <cluster> <prefix> <count>');
}
const store = await createStore({ url, secretKey: key });
try {
  for (let i = 0; i < Number(count); i++) {
    const status = packStatus(i % 2 === 0 ? 'processing' : 'success', { message: `${prefix} ${i}` });
    await store.packStatus.record({ cluster, pack: `${prefix}-${i % 3}`, status });
  }
} finally {
  await store.close();
}
