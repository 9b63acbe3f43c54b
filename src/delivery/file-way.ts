/**
 * The file way (GB/T 39443-2020 file exchange): each batch becomes a package in the destination's
 * directory — a JSON Lines data file and `<package>.manifest.json` — each written atomically (temp
 * name, fsync, rename, fsync of the directory), the data file first, so a manifest present means a
 * whole package. The name comes from the destination, partition and offsets: a batch delivered again
 * after a crash finds its package (same name and SHA-256, or one already written from the same first
 * offset) and writes nothing. Feedback files are read from the feedback directory and archived.
 */
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileDeliveryConfig } from '../config/types.js';
import type { DeliveryEvent } from './delivery-event.js';
import { packagePrefix, readEntries, readFeedback, renderPackage, sha256, type FeedbackFile, type PackageManifest } from './package-format.js';
import { alongside, answerOf, deliveredEvents, FEEDBACK_HOLD_MS, type DeliveryWay, type FeedbackSink, type FeedbackSource, type HandedOver, type RecordHandOver, type Where } from './way.js';

export type { HandedOver, Where } from './way.js';

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `content` under a temporary name in `dir` and fsyncs it; returns that file's path. */
async function writeTemporary(dir: string, name: string, content: string | Buffer): Promise<string> {
  const temp = join(dir, `.${name}.${process.pid}.tmp`);
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temp;
}

/** Gives a written temporary file its name, durably (the directory fsynced after the rename). */
async function place(dir: string, temp: string, name: string): Promise<void> {
  await rename(temp, join(dir, name));
  await fsyncPath(dir);
}

/** Writes `content` to `dir/name` atomically and durably. */
export async function writeAtomically(dir: string, name: string, content: string | Buffer): Promise<void> {
  await place(dir, await writeTemporary(dir, name, content), name);
}

async function readManifest(dir: string, file: string): Promise<PackageManifest | null> {
  try {
    return JSON.parse(await readFile(join(dir, file), 'utf8')) as PackageManifest;
  } catch {
    return null;
  }
}

export class FileWay implements DeliveryWay, FeedbackSource {
  readonly way = 'file';
  readonly readsRecords = false;
  readonly feedback: FeedbackSource = this;

  constructor(private readonly cfg: FileDeliveryConfig) {}

  async prepare(): Promise<void> {
    for (const dir of [this.cfg.directory, this.cfg.feedbackDirectory, this.cfg.archiveDirectory]) await mkdir(dir, { recursive: true });
  }

  /**
   * Hands the events (in offset order, at least one) to the platform; the package may cover only a first
   * part of them. Recorded while its files are written: the package is known before.
   */
  async deliver(where: Where, events: DeliveryEvent[], record: RecordHandOver): Promise<HandedOver> {
    const earlier = await this.packageFrom(where, events[0]!.offset);
    if (earlier) {
      await record(earlier);
      return earlier;
    }
    const pkg = renderPackage(where, events, new Date());
    const handed: HandedOver = {
      name: pkg.name,
      sha256: pkg.manifest.sha256,
      firstOffset: pkg.manifest.firstOffset,
      lastOffset: pkg.manifest.lastOffset,
      events: deliveredEvents(events),
      written: true,
    };
    // both files written and fsynced at once; the data file takes its name first, so a manifest present
    // still means a whole package
    const dir = this.cfg.directory;
    const manifestFile = `${pkg.name}.manifest.json`;
    const write = async () => {
      const [dataTemp, manifestTemp] = await Promise.all([
        writeTemporary(dir, pkg.manifest.dataFile, pkg.data),
        writeTemporary(dir, manifestFile, JSON.stringify(pkg.manifest, null, 2) + '\n'),
      ]);
      await place(dir, dataTemp, pkg.manifest.dataFile);
      await place(dir, manifestTemp, manifestFile);
    };
    await alongside(write(), record(handed));
    return handed;
  }

  /** A whole package already in the directory that starts at `firstOffset` (written before a crash), read back. */
  private async packageFrom(where: Where, firstOffset: number): Promise<HandedOver | null> {
    const prefix = packagePrefix(where.destination, where.partition, firstOffset);
    const manifestFile = (await readdir(this.cfg.directory)).find((f) => f.startsWith(prefix) && f.endsWith('.manifest.json'));
    if (!manifestFile) return null;
    const manifest = await readManifest(this.cfg.directory, manifestFile);
    if (!manifest) return null;
    let data: Buffer;
    try {
      data = await readFile(join(this.cfg.directory, manifest.dataFile));
    } catch {
      return null;
    }
    if (sha256(data) !== manifest.sha256) return null;
    const entries = readEntries(data);
    return {
      name: manifest.package,
      sha256: manifest.sha256,
      firstOffset: manifest.firstOffset,
      lastOffset: manifest.lastOffset,
      events: deliveredEvents(entries),
      written: false,
    };
  }

  /** The feedback files waiting, oldest name first. */
  async feedbackFiles(): Promise<string[]> {
    return (await readdir(this.cfg.feedbackDirectory)).filter((f) => f.endsWith('.feedback.json') && !f.startsWith('.')).sort();
  }

  async readFeedback(file: string): Promise<FeedbackFile | string> {
    return readFeedback(await readFile(join(this.cfg.feedbackDirectory, file), 'utf8'));
  }

  /**
   * One pass over the feedback directory: each file applied and archived; one for a package not recorded
   * yet (the platform answered before the gateway recorded the package) waits for the next pass — for
   * FEEDBACK_HOLD_MS at most: a package still not recorded then was written by a process that died
   * before recording it, its events delivered again in another package under the same event ids, so
   * its answers are applied by event id and the file archived as `.unrecorded`; one that cannot be
   * read is archived as `.invalid`.
   */
  async poll(sink: FeedbackSink): Promise<void> {
    for (const file of await this.feedbackFiles()) {
      let feedback;
      try {
        feedback = await this.readFeedback(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // another process took it
        throw err;
      }
      if (typeof feedback === 'string') {
        sink.warn({ file, problem: feedback }, 'delivery: feedback file not readable; archived as invalid');
        await this.archive(file, '.invalid');
        continue;
      }
      let suffix = '';
      if (!(await sink.packageRecorded(feedback.package))) {
        const written = await stat(join(this.cfg.feedbackDirectory, file)).catch(() => null); // gone: another process took it
        if (!written || Date.now() - written.mtimeMs < FEEDBACK_HOLD_MS) continue;
        sink.warn({ file, package: feedback.package }, 'delivery: feedback for a package never recorded (written just before a crash); applied by event id');
        suffix = '.unrecorded';
      }
      await sink.apply(feedback.results.map((r) => answerOf(r.eventId, r.outcome, r.reason, r.field)));
      await this.archive(file, suffix);
    }
  }

  async close(): Promise<void> {}

  /** Moves an applied (or unreadable) feedback file to the archive, under a name of its own. */
  async archive(file: string, suffix = ''): Promise<void> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '');
    const target = join(this.cfg.archiveDirectory, `${file.replace(/\.json$/, '')}.${stamp}${suffix}.json`);
    try {
      await rename(join(this.cfg.feedbackDirectory, file), target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await unlink(join(this.cfg.feedbackDirectory, file)).catch(() => undefined);
    }
  }
}
