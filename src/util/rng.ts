/**
 * A small, fast, seeded PRNG (sfc32, from PractRand), and the seed of the i-th run of a seeded
 * series. All randomness in the simulator, the generated corpora, the soak and fault injection
 * comes from here, so one seed reproduces everything. In src/util, below every other folder:
 * it depends on nothing, and everything may use it.
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

  /**
   * Uniform integer in 0..n-1 (n a positive integer up to 2^32). A draw at or above the largest
   * multiple of n below 2^32 is rejected and drawn again, so every value is equally likely. A draw
   * that is kept gives `next32() % n`, the value the biased version gave: sequences differ only
   * where a draw is rejected, which for n = 1000 happens once in 4.3 million draws.
   */
  below(n: number): number {
    assert(
      Number.isInteger(n) && n >= 1 && n <= 2 ** 32,
      () => `Rng.below: expected an integer 1..2^32, got ${n}`,
    );
    const limit = 2 ** 32 - (2 ** 32 % n);
    // Bounded in expectation: a draw is rejected with probability (2^32 mod n) / 2^32 < 1/2.
    for (;;) {
      const x = this.next32();
      if (x < limit) return x % n;
    }
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next32() < p * 0x100000000;
  }
}

/**
 * The seed of run `index` of the series seeded by `seed` (execution i of a strategy): any run
 * replays alone. splitmix-style mixing, kept within 32 bits so it stays a safe integer.
 */
export function deriveSeed(seed: number, index: number): number {
  let z = (seed * 0x9e3779b1 + index * 0x85ebca6b + 0x27d4eb2f) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

function assert(ok: boolean, message: () => string): void {
  if (!ok) throw new RangeError(message());
}
