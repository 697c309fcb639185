/**
 * `run --parallel`: keeps several library calls in flight, as a program storing from several
 * async tasks would, and hands each one's result on in call order (multi-core mode,
 * docs/multicore.md). The library runs the calls themselves in call order too.
 */

/** Calls in flight at most: enough to keep the CPU workers busy, at most a chunk of pages. */
export const WINDOW_UNITS = 128;

export class InFlight<T> {
  private readonly calls: Array<{ readonly p: Promise<T>; readonly then: (v: T) => void }> = [];

  constructor(private readonly max = WINDOW_UNITS) {}

  /** Adds a call; when `max` are in flight, first waits for the oldest (and hands it on). */
  async add(p: Promise<T>, then: (v: T) => void): Promise<void> {
    // A rejection is seen when its turn comes; until then it must not count as unhandled.
    p.catch(() => {});
    this.calls.push({ p, then });
    if (this.calls.length >= this.max) await this.settleOldest();
  }

  /** Waits for every call, oldest first. */
  async drain(): Promise<void> {
    while (this.calls.length > 0) await this.settleOldest();
  }

  private async settleOldest(): Promise<void> {
    const c = this.calls.shift();
    if (c !== undefined) c.then(await c.p);
  }
}
