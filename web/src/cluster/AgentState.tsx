import type { ClusterPage } from '../api/types';
import { formatDateTime } from '../time';

type Agent = NonNullable<ClusterPage['cluster']['agent']>;

/**
 * An agent cluster's connection (issue 16): the hub never connects to such a cluster, its agent connects out.
 * "connected" while the agent polls; once it is silent the page's colours are stale, as for an unreachable one.
 */
export function AgentState({ agent }: { agent: Agent }) {
  const seen = agent.lastSeenAt;
  return (
    <span className="agent-state" data-agent={agent.connected ? 'connected' : 'silent'} role="status">
      <span aria-hidden="true">{agent.connected ? '● ' : '⚠ '}</span>
      {agent.connected ? 'agent connected' : 'agent silent'}
      {seen === undefined ? (
        ' · never seen'
      ) : (
        <>
          {' · last seen '}
          <time dateTime={seen}>{formatDateTime(seen)}</time>
        </>
      )}
    </span>
  );
}
