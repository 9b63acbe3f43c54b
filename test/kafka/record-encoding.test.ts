import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { crc32c, recordBytes, type RecordInput } from '../../src/kafka/record-encoding.js';

const require = createRequire(import.meta.url);
// kafkajs's own record encoder and checksum, as its produce request uses them
const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (input: RecordInput) => { buffer: Buffer };
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (buf: Buffer) => number;

/** A fixed pseudo-random sequence, so a failure names an input that can be found again. */
function sequence(seed: number): () => number {
  let s = seed;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

const TEXTS = ['', 'a', '某', '𠮷野家', 'x'.repeat(127), 'x'.repeat(128), '失'.repeat(171), 'y'.repeat(511), 'z'.repeat(513), '某'.repeat(2000), 'v'.repeat(70_000)];
const DELTAS = [0, 1, -1, 63, 64, -64, -65, 8191, 8192, 2 ** 31, -(2 ** 31), 1e12, -1e12, 2 ** 50, -(2 ** 50)];

describe('recordBytes', () => {
  it('writes the bytes kafkajs writes, for keys, values and headers of every kind and size', () => {
    const next = sequence(19);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
    const bytesOf = (): RecordInput['value'] => {
      const r = next();
      return r < 0.1 ? null : r < 0.15 ? undefined : r < 0.3 ? Buffer.from(pick(TEXTS)) : pick(TEXTS);
    };
    for (let i = 0; i < 2_000; i++) {
      const headers: Record<string, unknown> = {};
      for (let h = Math.floor(next() * 8); h > 0; h--) {
        headers[pick(['event-id', 'event-type', '来源', 'schema', 'x'.repeat(200), `h${h}`])] = next() < 0.2 ? [pick(TEXTS), Buffer.from(pick(TEXTS))] : next() < 0.5 ? Buffer.from(pick(TEXTS)) : pick(TEXTS);
      }
      const input: RecordInput = {
        offsetDelta: next() < 0.5 ? i : pick([0, 63, 64, 8191, 8192, 1_048_575, 1_048_576]),
        timestampDelta: pick(DELTAS),
        key: bytesOf(),
        value: bytesOf(),
        ...(next() < 0.9 ? { headers } : {}),
      };
      expect(recordBytes(input)?.toString('hex'), `input ${i}`).toBe(kafkajsRecord(input).buffer.toString('hex'));
    }
  });

  it('defaults as kafkajs does: no deltas, no headers', () => {
    const input = { key: 'k', value: 'v' };
    expect(recordBytes(input)).toEqual(kafkajsRecord(input).buffer);
  });

  it("leaves to kafkajs's encoder what it does not take on", () => {
    expect(recordBytes({ value: 12 as unknown as string })).toBeUndefined();
    expect(recordBytes({ value: 'v', timestampDelta: Number.NaN })).toBeUndefined();
    expect(recordBytes({ value: 'v', timestampDelta: 1.5 })).toBeUndefined();
    expect(recordBytes({ value: 'v', timestampDelta: 2 ** 60 })).toBeUndefined();
    expect(recordBytes({ value: 'v', offsetDelta: -1 })).toBeUndefined();
    expect(recordBytes({ value: 'v', headers: { a: null } })).toBeUndefined();
    expect(recordBytes({ value: 'v', headers: { a: 1 } })).toBeUndefined();
  });
});

describe('crc32c', () => {
  it("gives kafkajs's checksum for every length around the eight-byte steps and for large buffers", () => {
    const next = sequence(7);
    for (const length of [...Array.from({ length: 40 }, (_, i) => i), 4_093, 65_536, 1_000_003]) {
      const buf = Buffer.alloc(length);
      for (let i = 0; i < length; i++) buf[i] = Math.floor(next() * 256);
      expect(crc32c(buf), `length ${length}`).toBe(kafkajsCrc32c(buf));
    }
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283); // the CRC-32C check value
  });
});

describe('installRecordEncoding', () => {
  // each encoding in its own process: the installed encoder stays for the process
  const encode = (which: 'kafkajs' | 'gateway') =>
    execFileSync(process.execPath, ['--import', 'tsx/esm', 'test/kafka/support/encode-produce-request.mts', which], { encoding: 'utf8', maxBuffer: 64 << 20 });

  it('makes kafkajs encode a whole produce request (three partitions, 300 records) to the same bytes', () => {
    const kafkajs = encode('kafkajs');
    expect(kafkajs.length).toBeGreaterThan(1_000_000);
    expect(encode('gateway')).toBe(kafkajs);
  });
});
