// The store's one suite, run on SQLite and on PostgreSQL (a real server from testenv/postgres).
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { attachmentCases } from './cases/attachments.cases.js';
import { blobCases } from './cases/blobs.cases.js';
import { chartSourceCases } from './cases/chart-sources.cases.js';
import { clusterCases } from './cases/clusters.cases.js';
import { concurrencyCases } from './cases/concurrency.cases.js';
import { openCases } from './cases/open.cases.js';
import { packStatusCases } from './cases/pack-status.cases.js';
import { profileCases } from './cases/profiles.cases.js';
import { renderCases } from './cases/renders.cases.js';
import { tokenAndAuditCases } from './cases/tokens-audit.cases.js';
import { healthRuleCases } from './cases/health-rules.cases.js';
import { backends } from './testing/backends.js';

describe.each(backends())('store on $name', (env) => {
  beforeAll(() => env.setup());
  afterAll(() => env.teardown());
  afterEach(() => env.closeAll());

  openCases(env);
  clusterCases(env);
  profileCases(env);
  blobCases(env);
  chartSourceCases(env);
  attachmentCases(env);
  renderCases(env);
  packStatusCases(env);
  tokenAndAuditCases(env);
  healthRuleCases(env);
  concurrencyCases(env);
});
