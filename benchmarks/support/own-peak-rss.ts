/**
 * The peak resident memory of this process while a benchmark runs (the in-process gateway's), sampled
 * every 50 ms with process.memoryUsage.rss(): the full process.memoryUsage() also walks V8's heap
 * spaces, and at that rate took about 1% of the main thread in a bench:pull profile.
 */
export interface PeakRss {
  /** stops sampling; the peak in MiB, this moment included */
  stop(): number;
}

export function samplePeakRss(): PeakRss {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 50);
  return {
    stop() {
      clearInterval(timer);
      return Math.round(Math.max(peak, process.memoryUsage.rss()) / 1024 / 1024);
    },
  };
}
