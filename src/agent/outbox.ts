// The agent's outbox: every event its runner reports, numbered in one stream and kept on disk until the hub says
// it stored it, so events survive the hub being away (and the agent restarting meanwhile) and reach it once, in
// order. The file is append-only JSON lines; acknowledged events are dropped by rewriting it (rarely: only when
// it has grown past COMPACT_AFTER acknowledged lines, or is empty again).
import { randomUUID } from 'node:crypto';
import { appendFile, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentEvent } from '../hub/agents-protocol.js';

export interface OutboxItem {
  readonly seq: number;
  readonly event: AgentEvent;
}

interface StreamFile {
  readonly stream: string;
  /** The last event the hub acknowledged. */
  readonly acked: number;
}

const COMPACT_AFTER = 500;

export class Outbox {
  private pending: OutboxItem[];
  private ackedLines = 0;
  /** One disk write at a time, in the order they were asked for. */
  private disk: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    private stream: string,
    private acked: number,
    pending: OutboxItem[],
  ) {
    this.pending = pending;
  }

  /** The outbox of a state dir: its stream, and the events the hub has not acknowledged yet, in order. */
  static async open(dir: string): Promise<Outbox> {
    const meta = await readJson<StreamFile>(join(dir, 'stream.json'));
    const lines = await readFile(join(dir, 'outbox.jsonl'), 'utf8').catch(() => '');
    const items: OutboxItem[] = [];
    for (const line of lines.split('\n')) {
      if (line.trim() === '') continue;
      try {
        items.push(JSON.parse(line) as OutboxItem);
      } catch {
        // A line cut short by a crash mid-append: it and anything after it were never acknowledged or sent whole.
        break;
      }
    }
    const stream = meta?.stream ?? randomUUID();
    const acked = meta?.acked ?? 0;
    const outbox = new Outbox(
      dir,
      stream,
      acked,
      items.filter((item) => item.seq > acked),
    );
    if (!meta) await outbox.saveStream();
    return outbox;
  }

  get streamId(): string {
    return this.stream;
  }

  get lastAcked(): number {
    return this.acked;
  }

  get size(): number {
    return this.pending.length;
  }

  /** Numbers the event and appends it to the file (resolves once it is written). */
  push(event: AgentEvent): Promise<void> {
    const last = this.pending.at(-1)?.seq ?? this.acked;
    const item = { seq: last + 1, event };
    this.pending.push(item);
    return this.write(() =>
      appendFile(join(this.dir, 'outbox.jsonl'), `${JSON.stringify(item)}\n`, { mode: 0o600 }),
    );
  }

  /** The oldest events not yet acknowledged: at most `max` of them and about `maxBytes` of JSON. */
  peek(max: number, maxBytes: number): OutboxItem[] {
    const out: OutboxItem[] = [];
    let bytes = 0;
    for (const item of this.pending) {
      const size = JSON.stringify(item).length;
      if (out.length > 0 && (out.length >= max || bytes + size > maxBytes)) break;
      out.push(item);
      bytes += size;
    }
    return out;
  }

  /** The hub stored every event up to `seq`. */
  async ack(seq: number): Promise<void> {
    if (seq <= this.acked) return;
    const before = this.pending.length;
    this.pending = this.pending.filter((item) => item.seq > seq);
    this.ackedLines += before - this.pending.length;
    this.acked = seq;
    await this.saveStream();
    if (this.pending.length === 0 || this.ackedLines >= COMPACT_AFTER) await this.rewrite();
  }

  /**
   * The hub has no record of this stream's earlier events (its database was restored, say): the pending events
   * go again as a new stream from 1. Each status carries its pack's whole history, so nothing is lost by it.
   */
  async restart(): Promise<void> {
    this.stream = randomUUID();
    this.acked = 0;
    this.pending = this.pending.map((item, i) => ({ seq: i + 1, event: item.event }));
    await this.saveStream();
    await this.rewrite();
  }

  /** Resolves once everything asked so far is on disk. */
  flushed(): Promise<void> {
    return this.disk;
  }

  private saveStream(): Promise<void> {
    const meta: StreamFile = { stream: this.stream, acked: this.acked };
    return this.write(() => writeAtomically(join(this.dir, 'stream.json'), JSON.stringify(meta)));
  }

  private rewrite(): Promise<void> {
    const text = this.pending.map((item) => `${JSON.stringify(item)}\n`).join('');
    this.ackedLines = 0;
    return this.write(() => writeAtomically(join(this.dir, 'outbox.jsonl'), text));
  }

  private write(action: () => Promise<void>): Promise<void> {
    const next = this.disk.then(action);
    this.disk = next.catch(() => undefined);
    return next;
  }
}

/** Written under a temporary name and renamed: a crash leaves the old file or the new one, never half of one. */
export async function writeAtomically(file: string, text: string): Promise<void> {
  const partial = `${file}.${randomUUID()}.partial`;
  await writeFile(partial, text, { mode: 0o600 });
  await rename(partial, file);
}

export async function readJson<T>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  return JSON.parse(text) as T;
}
