/**
 * Observation windows, for tests whose claim is that something does NOT happen (a process does not
 * die, no further message is published). A wait for something that does happen is a poll instead
 * (expect.poll or vi.waitFor), which ends as soon as the condition holds.
 */

/**
 * Watches for `ms`, running `check` at the start, every `intervalMs` and once more at the end. `check`
 * throws (typically a failing expect) as soon as the unwanted thing has happened, which ends the
 * window and fails the test at once. The window itself is unavoidable: that something does not
 * happen can only be observed for a bounded time, as nothing signals "it will not happen".
 */
export async function observeFor(ms: number, check: () => unknown, intervalMs = 50): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    await check();
    const left = end - Date.now();
    if (left <= 0) return;
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, left)));
  }
}
