// THE route table: every operation of the API. app.ts registers it, openapi.ts documents it, and the
// authorization matrix test walks it.
import type { AnyRoute } from '../route.js';
import { agentRoutes } from './agent.js';
import { attachmentRoutes } from './attachments.js';
import { clusterRoutes } from './clusters.js';
import { eventRoutes } from './events.js';
import { healthRoutes } from './health.js';
import { packRoutes } from './packs.js';
import { profileRoutes } from './profiles.js';
import { sourceRoutes } from './sources.js';
import { systemRoutes } from './system.js';
import { tokenRoutes } from './tokens.js';

export const routeTable: readonly AnyRoute[] = [
  ...systemRoutes,
  ...clusterRoutes,
  ...profileRoutes,
  ...attachmentRoutes,
  ...packRoutes,
  ...tokenRoutes,
  ...healthRoutes,
  ...sourceRoutes,
  ...eventRoutes,
  ...agentRoutes,
];
