/**
 * CPU masks: possible, present and online CPUs, as in include/linux/cpumask.h.
 *
 * possible ⊇ present ⊇ online. Hotplug (cpuhp.ts) moves CPUs in and out of `online`.
 */
export class CpuMasks {
  readonly possible: readonly number[];
  readonly present: Set<number>;
  readonly online: Set<number>;

  constructor(nrCpus: number, onlineCpus: readonly number[] = []) {
    if (!Number.isInteger(nrCpus) || nrCpus < 1 || nrCpus > 64) {
      throw new RangeError(`Cannot create CPUs: expected 1..64, got ${nrCpus}`);
    }
    this.possible = Array.from({ length: nrCpus }, (_, i) => i);
    this.present = new Set(this.possible);
    const online = onlineCpus.length > 0 ? onlineCpus : this.possible;
    for (const cpu of online) {
      if (!this.present.has(cpu)) throw new RangeError(`CPU ${cpu} is not present`);
    }
    this.online = new Set(online);
  }

  /** Online CPUs in id order. */
  onlineList(): number[] {
    return this.possible.filter((c) => this.online.has(c));
  }

  isOnline(cpu: number): boolean {
    return this.online.has(cpu);
  }
}
