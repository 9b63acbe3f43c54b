/**
 * A hand-over and its recording run together (way.ts alongside): the caller hears of a failure only
 * once both have settled, so its transaction never ends while the platform's part is still under way.
 */
import { expect, it } from 'vitest';
import { alongside } from '../../src/delivery/way.js';

const after = <T>(ms: number, outcome: () => T) => new Promise<T>((resolve, reject) => setTimeout(() => {
  try {
    resolve(outcome());
  } catch (err) {
    reject(err as Error);
  }
}, ms));

it('gives the hand-over once both settled', async () => {
  await expect(alongside(after(5, () => 'handed'), after(1, () => undefined))).resolves.toBe('handed');
});

it('a failed recording is thrown only after the slower hand-over settled', async () => {
  let handOverSettled = false;
  const handOver = after(30, () => { handOverSettled = true; return 'handed'; });
  const failure = await alongside(handOver, after(1, () => { throw new Error('store down'); })).catch((err: Error) => err);
  expect([(failure as Error).message, handOverSettled]).toEqual(['store down', true]);
});

it('a failed hand-over is thrown, after the recording settled, before a failed recording', async () => {
  let recordingSettled = false;
  const recording = after(30, () => { recordingSettled = true; throw new Error('store down'); });
  const failure = await alongside(after(1, () => { throw new Error('platform down'); }), recording).catch((err: Error) => err);
  expect([(failure as Error).message, recordingSettled]).toEqual(['platform down', true]);
});
