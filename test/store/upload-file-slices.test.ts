/**
 * The upload worker reads a stored file in slices (uploadFileSlices), never whole: the slices give back
 * the file byte for byte, a slice statement reads only its own part of the value (stored uncompressed
 * out of line, migration 020), and a file that is no longer stored is an error, not an empty file.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.js';
import { insertUpload, uploadFileSlices } from '../../src/store/uploads-repo.js';
import type { ScratchDatabase } from '../../src/dev/scratch-database.js';
import { createTestDatabase } from '../support/env.js';

let db: ScratchDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  await migrate(pool);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

async function stored(bytes: Buffer): Promise<string> {
  const id = randomUUID();
  await insertUpload(pool, {
    id, partner: 'dept', category: 'admin_penalty', sourceSystem: 'slices.test', grant: null, format: 'csv', encoding: 'utf-8',
    fileName: 'f.csv', bytes, sha256: '0'.repeat(64), layout: {}, rowsTotal: null,
  });
  return id;
}

async function slicesOf(id: string, size: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const part of uploadFileSlices(pool, id, size)) out.push(part);
  return out;
}

describe('uploadFileSlices', () => {
  it('gives the stored file back byte for byte, in slices of the size asked', async () => {
    const bytes = randomBytes(2_500);
    const parts = await slicesOf(await stored(bytes), 1_000);
    expect(parts.map((p) => p.length)).toEqual([1_000, 1_000, 500]);
    expect(Buffer.concat(parts).equals(bytes)).toBe(true);
  });

  it('ends after a file whose size is a multiple of the slice, and gives nothing for an empty one', async () => {
    const bytes = Buffer.from('a,b\r\n'.repeat(400)); // 2,000 bytes of text (compressible, stored uncompressed all the same)
    expect(Buffer.concat(await slicesOf(await stored(bytes), 1_000)).equals(bytes)).toBe(true);
    expect(await slicesOf(await stored(bytes), 1_000)).toHaveLength(2);
    expect(await slicesOf(await stored(Buffer.alloc(0)), 1_000)).toEqual([]);
  });

  it('stores the file uncompressed out of line (so a slice reads only its own part), even text that compresses well', async () => {
    const id = await stored(Buffer.from('行政处罚,'.repeat(400_000))); // 5.2 MB of very compressible text
    const { rows } = await pool.query<{ stored: number; length: number }>(
      'SELECT pg_column_size(file_bytes) AS stored, octet_length(file_bytes) AS length FROM uploads WHERE id = $1', [id],
    );
    expect(rows[0]!.stored).toBeGreaterThanOrEqual(rows[0]!.length); // not compressed
    const [first] = await slicesOf(id, 1 << 20);
    expect(first!.length).toBe(1 << 20);
  });

  it('refuses to read a file that is no longer stored', async () => {
    await expect(slicesOf(randomUUID(), 1_000)).rejects.toThrow(/no longer stored/);
  });
});
