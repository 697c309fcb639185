/**
 * A real deflate-iaa device: the IaaDevice the driver (src/crypto/iaa_crypto.ts) submits to,
 * made of an EnginePool whose engines run the deflate-iaa codec. A batch's descriptors are
 * compressed in parallel, one per engine; the driver polls their completion records
 * (`async`, `sync`) or sleeps until an engine signals one (`async_irq`).
 *
 * The copy of each page into the ring and of each result out of it stands in for the DMA the
 * hardware does; it costs about a microsecond per page against tens for the compression.
 */

import type { IaaDevice } from "../../crypto/iaa_crypto.ts";
import { EAGAIN } from "../../kernel/errno.ts";
import { PAGE_SIZE } from "../../kernel/page.ts";
import { OP_COMPRESS } from "./deflate_iaa_engine.ts";
import { EnginePool, siblingModule } from "./pool.ts";

/** How long relax() (cpu_relax between polling passes) may sleep: until the batch is done, at most this. */
const RELAX_MS = 1;

export class EngineIaaDevice implements IaaDevice {
  readonly name: string;
  private seen = 0;

  constructor(readonly pool: EnginePool) {
    this.name = `iax0 (${pool.engines} engines)`;
  }

  /**
   * A device of `engines` engines (default one per core); returns once they have loaded, so
   * that their start-up (a few hundred ms of CPU) is not charged to the first stores.
   */
  static create(engines?: number): EngineIaaDevice {
    const pool = EnginePool.start({
      handler: siblingModule(import.meta.url, "deflate_iaa_engine"),
      ...(engines !== undefined ? { engines } : {}),
      slots: 128, // "each IAA has total 128 WQ entries" (v13)
      inBytesMax: PAGE_SIZE,
      outBytesMax: PAGE_SIZE,
    });
    return new EngineIaaDevice(pool);
  }

  submitCompress(src: Uint8Array, room: number): number {
    const id = this.pool.submit(OP_COMPRESS, src, Math.min(room, PAGE_SIZE));
    return id < 0 ? -EAGAIN : id;
  }

  poll(id: number, dst: Uint8Array): number | null {
    if (!this.pool.done(id)) return null;
    const r = this.pool.result(id);
    if (r > 0) dst.set(this.pool.output(id, r));
    this.pool.release(id);
    return r;
  }

  /** Sleeps until a completion not seen yet is signalled (or the timeout). */
  waitIrq(timeoutMs: number): void {
    const c = this.pool.completions;
    if (c === this.seen) this.pool.waitCompletion(c, timeoutMs);
    this.seen = this.pool.completions;
  }

  /**
   * cpu_relax between polling passes: sleeps until every outstanding descriptor is done, or
   * RELAX_MS, so that a poller neither spins a core away from the engines nor wakes per page.
   */
  relax(): void {
    const c = this.pool.completions;
    const outstanding = this.pool.outstanding;
    if (outstanding > 0) this.pool.waitCompletion(c, RELAX_MS, outstanding);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
