import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KbError } from '../errors.ts';

/**
 * PGlite takes no lock on its data folder, and two processes writing one folder corrupt it
 * (`kb serve` running while `kb ingest` starts in another terminal). So the folder gets a
 * lock file beside it, `<dir>.lock`, naming the process that holds it; a second process
 * stops at once with one line saying which process that is and what to do. A lock left by
 * a process that no longer runs (killed, crashed) is taken over.
 */
export interface DataDirLock {
  release(): Promise<void>;
}

interface Holder {
  pid: number;
  host: string;
  command: string;
  since: string;
}

const lockPath = (dir: string) => `${path.resolve(dir)}.lock`;

/** `kb serve`, `kb ingest`… as the user typed it (the command only, not its arguments). */
function commandName(): string {
  const script = path.basename(process.argv[1] ?? 'node');
  return /^kb(\.js)?$/.test(script) ? `kb ${process.argv[2] ?? ''}`.trim() : script;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // someone else's process, but alive
  }
}

async function readHolder(file: string): Promise<{ raw: string; holder?: Holder } | undefined> {
  const raw = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (raw === undefined) return undefined;
  try {
    const h = JSON.parse(raw) as Holder;
    return Number.isInteger(h.pid) ? { raw, holder: h } : { raw };
  } catch {
    return { raw };
  }
}

export async function lockDataDir(dir: string): Promise<DataDirLock> {
  const file = lockPath(dir);
  const mine = JSON.stringify({ pid: process.pid, host: os.hostname(), command: commandName(), since: new Date().toISOString() } satisfies Holder);
  // Written whole under a private name, then linked into place: link() fails if the lock
  // exists, and a reader never sees a half-written lock.
  const draft = `${file}.${process.pid}.${Date.now()}`;
  await fs.writeFile(draft, mine);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await fs.link(draft, file);
        return holdLock(file, mine);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const found = await readHolder(file);
      if (!found) continue; // released meanwhile
      const { holder } = found;
      if (holder && (holder.host !== os.hostname() || isRunning(holder.pid))) {
        const who = holder.host === os.hostname() ? `pid ${holder.pid}` : `pid ${holder.pid} on ${holder.host}`;
        throw new KbError(
          'db/unavailable',
          `The embedded database in ${dir} is in use by another kb process (${who}, "${holder.command}", since ${holder.since}): stop it and run this again, or set DATABASE_URL to a PostgreSQL server both can share (if no such process runs, delete ${file}).`,
        );
      }
      await takeOverStale(file, found.raw);
    }
    throw new KbError('db/unavailable', `Could not lock the embedded database in ${dir}: other kb processes keep starting; try again.`);
  } finally {
    await fs.rm(draft, { force: true });
  }
}

/**
 * Moves a dead process's lock aside. If another process took it over first, what was moved
 * is that process's fresh lock: it is put back, and the next attempt finds it held.
 */
async function takeOverStale(file: string, staleRaw: string): Promise<void> {
  const aside = `${file}.stale.${process.pid}.${Date.now()}`;
  try {
    await fs.rename(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = await fs.readFile(aside, 'utf8').catch(() => staleRaw);
  if (moved !== staleRaw) await fs.link(aside, file).catch(() => undefined);
  await fs.rm(aside, { force: true });
}

function holdLock(file: string, mine: string): DataDirLock {
  const releaseSync = () => {
    try {
      if (fsSync.readFileSync(file, 'utf8') === mine) fsSync.unlinkSync(file);
    } catch {
      // already gone
    }
  };
  // Also on process.exit() (kb serve ends that way) and an exit after a crash handler.
  process.once('exit', releaseSync);
  return {
    async release() {
      process.off('exit', releaseSync);
      releaseSync();
    },
  };
}
