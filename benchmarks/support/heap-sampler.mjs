/**
 * Preloaded into a gateway (GATEWAY_NODE_ARGS="--import ./benchmarks/support/heap-sampler.mjs", with
 * bench:auth-gc's GC_SIGNAL=SIGWINCH): the first SIGWINCH starts V8's sampling heap profiler keeping
 * only the samples of objects no scavenge collected (promoted, or still alive), the next writes the
 * profile to $HEAP_SAMPLE_OUT.N.heapprofile (open it in Chrome DevTools, Memory tab). Two forced
 * scavenges before the profile is taken drop the young generation's garbage, which would otherwise
 * count as alive. HEAP_SAMPLE_MINOR=1 keeps every sample instead (all allocation);
 * HEAP_SAMPLE_INTERVAL sets the mean bytes between samples (default 4096).
 * A major GC during the profile counts the young garbage it collects too: read a profile whose phase
 * had no mark-compact (bench:auth-gc prints their number).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');
const session = new Session();
session.connect();
const post = (method, params = {}) => new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
let sampling = false;
let written = 0;
process.on('SIGWINCH', async () => {
  if (!sampling) {
    sampling = true;
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', {
      samplingInterval: Number(process.env.HEAP_SAMPLE_INTERVAL ?? 4096),
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: process.env.HEAP_SAMPLE_MINOR === '1',
    });
    return;
  }
  sampling = false;
  gc({ type: 'minor' });
  gc({ type: 'minor' });
  const { profile } = await post('HeapProfiler.stopSampling');
  const file = `${process.env.HEAP_SAMPLE_OUT ?? 'gateway'}.${written++}.heapprofile`;
  writeFileSync(file, JSON.stringify(profile));
  process.stderr.write(`heap profile written: ${file}\n`);
});
