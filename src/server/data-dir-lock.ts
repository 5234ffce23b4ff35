// One hub per data dir on SQLite (issue 16). Two hub processes on one SQLite file would each drive every
// cluster (there are no leases on SQLite: several hubs need PostgreSQL), so the second one is refused at start,
// with the data dir and the pid of the one running.
//
// The lock is an exclusive SQLite lock on `<data dir>/hub.lock`, held for the life of the process: the OS drops
// it when the process ends, however it ends (kill -9 included), so there is never a stale lock to clean up, and
// two hubs starting at once cannot both win. The pid, for the message, is in `<data dir>/hub.pid`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';

export const LOCK_FILE = 'hub.lock';
export const PID_FILE = 'hub.pid';

export class DataDirInUseError extends Error {
  readonly code = 'DATA_DIR_IN_USE';
  constructor(
    readonly dataDir: string,
    readonly pid: number | undefined,
  ) {
    super(
      `the data dir ${dataDir} is in use by another strata hub (${pid === undefined ? 'its pid is unknown' : `pid ${String(pid)}`}): ` +
        'one hub per data dir on SQLite; stop that one first, give this one another --data-dir, or run several ' +
        'hubs on PostgreSQL (STRATA_DATABASE_URL=postgres://…), where they share the clusters as replicas',
    );
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  release(): void;
}

/** Takes the data dir for this process, or throws DataDirInUseError naming the process that has it. */
export function lockDataDir(dataDir: string): DataDirLock {
  const lock = new SqliteDatabase(join(dataDir, LOCK_FILE), { timeout: 0 });
  try {
    // EXCLUSIVE locking mode keeps the lock after the first write until the connection closes.
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('create table if not exists holder (pid integer)');
    lock.exec('begin exclusive');
    lock.exec('delete from holder');
    lock.prepare('insert into holder (pid) values (?)').run(process.pid);
    lock.exec('commit');
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY') === true) {
      throw new DataDirInUseError(dataDir, readPid(dataDir));
    }
    throw error;
  }
  writeFileSync(join(dataDir, PID_FILE), `${String(process.pid)}\n`, { mode: 0o600 });
  return {
    release: () => {
      lock.close();
    },
  };
}

function readPid(dataDir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(dataDir, PID_FILE), 'utf8'), 10);
    return Number.isFinite(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}
