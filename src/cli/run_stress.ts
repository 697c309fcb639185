/**
 * The `run` stress actions between pages: CPU hotplug (--hotplug) and compressor switches
 * (--switch-compressor-every).
 */
import { realCompressorRegistry, type ZswapInstance } from "../real/zswap_instance.ts";
import type { RunConfig } from "./run_config.ts";

/** Whether a unit of `n` pages that brought the count to `done` crossed a multiple of `every`. */
export function crossed(done: number, n: number, every: number): boolean {
  return Math.floor(done / every) > Math.floor((done - n) / every);
}

/** With --hotplug: a CPU goes offline, or comes back, every this many pages. */
export const HOTPLUG_PAGES = 512;

export /** The stress actions between pages: CPU hotplug and compressor switches. */
class Stress {
  hotplugEvents = 0;
  compressorSwitches = 0;
  readonly used: string[];
  private readonly rotation: string[];
  private offline: number | null = null;
  private nextVictim = 1;
  /** Pages between hotplug events: HOTPLUG_PAGES, or less on a small corpus (8 per phase). */
  private readonly hotplugEvery: number;

  constructor(
    private readonly config: RunConfig,
    private readonly zswap: ZswapInstance,
    nrPages: number,
  ) {
    this.hotplugEvery = Math.max(1, Math.min(HOTPLUG_PAGES, Math.floor(nrPages / 8)));
    const names = realCompressorRegistry().names();
    const at = names.indexOf(config.compressor);
    this.rotation = [...names.slice(at), ...names.slice(0, at)];
    this.used = [config.compressor];
  }

  /** After a unit of `n` pages (a page or a folio) that brought the count to `done`. */
  async between(done: number, n = 1): Promise<void> {
    if (this.config.hotplug && crossed(done, n, this.hotplugEvery)) await this.hotplug();
    const every = this.config.switchCompressorEvery;
    if (every > 0 && crossed(done, n, every)) await this.switchCompressor();
  }

  /** Takes a CPU offline, or brings the offline one back (CPU 0 stays, as the boot CPU does). */
  private async hotplug(): Promise<void> {
    if (this.offline === null) {
      const cpu = this.nextVictim;
      this.nextVictim = (this.nextVictim % (this.zswap.cpus - 1)) + 1;
      await this.zswap.cpuOffline(cpu);
      this.offline = cpu;
    } else {
      await this.zswap.cpuOnline(this.offline);
      this.offline = null;
    }
    this.hotplugEvents++;
  }

  private async switchCompressor(): Promise<void> {
    const next = this.rotation[(this.compressorSwitches + 1) % this.rotation.length] as string;
    await this.zswap.setParam("compressor", next);
    this.compressorSwitches++;
    if (!this.used.includes(next)) this.used.push(next);
  }

  /** Leaves every CPU online. */
  async end(): Promise<void> {
    if (this.offline !== null) await this.zswap.cpuOnline(this.offline);
    this.offline = null;
  }
}
