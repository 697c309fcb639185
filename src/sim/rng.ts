/**
 * A small, fast, seeded PRNG (sfc32, from PractRand). All randomness in the simulator comes
 * from here, so one seed reproduces everything.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`Cannot seed the PRNG: expected a non-negative integer, got ${seed}`);
    }
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = (seed >>> 0) ^ Math.floor(seed / 0x100000000);
    for (let i = 0; i < 15; i++) this.next32();
  }

  next32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform integer in 0..n-1. */
  below(n: number): number {
    return this.next32() % n;
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next32() < p * 0x100000000;
  }
}
