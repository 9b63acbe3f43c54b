/**
 * A platform that takes packages the file way, for tests and the demo: it reads the drop directory
 * every `pollMs`, checks each new package (manifest present, SHA-256 and counts of the data file),
 * applies its entries by event id (an event seen before is counted as a duplicate, not applied again)
 * and writes `<package>.feedback.json` into the feedback directory: every entry accepted, except
 * upserts whose subject name contains `rejectMarker` (rejected, field `/subject/name`). It can be told
 * to answer late (`delayMs`) or twice (`answerTwice`).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAtomically } from '../delivery/file-way.js';
import { FEEDBACK_FORMAT, readEntries, sha256, type FeedbackFile, type PackageEntry, type PackageManifest } from '../delivery/package-format.js';
import { PollLoop } from './poll-loop.js';

export interface FilePlatformOptions {
  dropDirectory: string;
  feedbackDirectory: string;
  rejectMarker?: string;
  pollMs?: number;
  delayMs?: number;
  answerTwice?: boolean;
}

/** An entry as the platform keeps it: what it was, not the record it carried. */
export type TakenEntry = Omit<PackageEntry, 'record'>;

export class FilePlatform {
  /** entries applied, by event id, without their records (a platform of 100,000 records kept each one whole) */
  readonly applied = new Map<string, TakenEntry>();
  /** event ids that came again in another package */
  readonly duplicates: string[] = [];
  /** packages taken, and packages refused with the reason */
  readonly packages: string[] = [];
  readonly invalid: Array<{ package: string; reason: string }> = [];
  private readonly seen = new Set<string>();
  private readonly loop: PollLoop;
  /** what went wrong reading the drop directory (it is read again at the next poll) */
  readonly errors: string[];

  constructor(private readonly opts: FilePlatformOptions) {
    this.loop = new PollLoop(() => this.poll(), opts.pollMs ?? 50);
    this.errors = this.loop.errors;
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  async poll(): Promise<void> {
    const files = (await readdir(this.opts.dropDirectory)).filter((f) => f.endsWith('.manifest.json') && !f.startsWith('.')).sort();
    for (const file of files) {
      if (this.seen.has(file)) continue;
      this.seen.add(file);
      await this.take(file);
    }
  }

  private async take(file: string): Promise<void> {
    const manifest = JSON.parse(await readFile(join(this.opts.dropDirectory, file), 'utf8')) as PackageManifest;
    const data = await readFile(join(this.opts.dropDirectory, manifest.dataFile));
    const entries = readEntries(data);
    const problem = checkPackage(manifest, data, entries);
    if (problem) {
      this.invalid.push({ package: manifest.package, reason: problem });
      return;
    }
    this.packages.push(manifest.package);
    for (const e of entries) {
      if (this.applied.has(e.eventId)) this.duplicates.push(e.eventId);
      else this.applied.set(e.eventId, taken(e));
    }
    const feedback: FeedbackFile = { format: FEEDBACK_FORMAT, package: manifest.package, results: entries.map((e) => this.verdict(e)) };
    if (this.opts.delayMs) await new Promise((r) => setTimeout(r, this.opts.delayMs));
    await this.answer(manifest.package, feedback);
    if (this.opts.answerTwice) setTimeout(() => void this.answer(manifest.package, feedback).catch(() => undefined), 300);
  }

  private verdict(e: PackageEntry): FeedbackFile['results'][number] {
    const name = (e.record?.subject as { name?: string } | undefined)?.name ?? '';
    if (e.op === 'upsert' && this.opts.rejectMarker && name.includes(this.opts.rejectMarker)) {
      return { eventId: e.eventId, outcome: 'rejected', reason: `subject name contains "${this.opts.rejectMarker}"`, field: '/subject/name' };
    }
    return { eventId: e.eventId, outcome: 'accepted' };
  }

  private answer(pkg: string, feedback: FeedbackFile): Promise<void> {
    return writeAtomically(this.opts.feedbackDirectory, `${pkg}.feedback.json`, JSON.stringify(feedback));
  }
}

function taken(e: PackageEntry): TakenEntry {
  const { record: _record, ...rest } = e;
  return rest;
}

function checkPackage(manifest: PackageManifest, data: Buffer, entries: PackageEntry[]): string | null {
  if (sha256(data) !== manifest.sha256) return 'SHA-256 of the data file differs from the manifest';
  if (entries.length !== manifest.events) return `${entries.length} entries, the manifest says ${manifest.events}`;
  const counts: Record<string, number> = {};
  for (const e of entries) counts[e.type] = (counts[e.type] ?? 0) + 1;
  if (JSON.stringify(Object.entries(counts).sort()) !== JSON.stringify(Object.entries(manifest.counts).sort())) return 'counts by type differ from the manifest';
  return null;
}
