// Prints the bytes (hex) of one Kafka produce request as kafkajs encodes it, for
// test/kafka/record-encoding.test.ts: `kafkajs` with kafkajs's own encoders, `gateway` after
// installRecordEncoding. Every input is fixed (message timestamps included), so both print the same.
import { createRequire } from 'node:module';
import { installRecordEncoding } from '../../../src/kafka/record-encoding.js';

const require = createRequire(import.meta.url);
if (process.argv[2] === 'gateway') installRecordEncoding();
const produce = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (args: object) => { encode(): Promise<{ buffer: Buffer }> };

const base = Date.UTC(2026, 11, 7, 8, 0, 0);
const messages = Array.from({ length: 300 }, (_, i) => ({
  key: i % 7 === 0 ? null : i % 5 === 0 ? Buffer.from([i & 0xff, 0, 0xfe]) : `91320583MA1W${String(i).padStart(6, '0')}`,
  value: i % 11 === 0 ? null : JSON.stringify({ n: i, text: '某某建设工程有限公司'.repeat(i % 40), pad: 'x'.repeat((i * 37) % 3000) }),
  timestamp: String(base + ((i * 7919) % 100_000) - 50_000),
  headers: i % 13 === 0 ? undefined : { 'event-id': `e-${i}`, 'event-type': 'record.created', 'record-version': String(i), multi: ['一', Buffer.from('二')], schema: 'credit-record/v1' },
}));
const request = produce({
  acks: -1,
  timeout: 30_000,
  producerId: 7,
  producerEpoch: 0,
  topicData: [{ topic: 'credit.records.v1', partitions: [0, 1, 2].map((partition) => ({ partition, firstSequence: partition * 100, messages: messages.slice(partition * 100, partition * 100 + 100) })) }],
});
process.stdout.write((await request.encode()).buffer.toString('hex'));
