// The agent protocol as the agent uses it: the hub's declaration (one contract, src/hub/agents-protocol.ts).
export {
  AgentAckSchema,
  AgentDesiredSchema,
  AgentStatusesSchema,
  MAX_AGENT_BATCH,
  MAX_AGENT_CHART_BYTES,
  eventOverBounds,
  packDetails,
  type AgentAck,
  type AgentDesired,
  type AgentEvent,
  type AgentPack,
} from '../hub/agents-protocol.js';
import type { AgentBatch } from '../hub/agents-protocol.js';

/** A batch as the agent sends it (the hub parses it with AgentBatchSchema). */
export type OutboxBatch = AgentBatch;
