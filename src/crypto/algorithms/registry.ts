/**
 * The algorithm registry, the counterpart of crypto_register_alg() / crypto_alg_lookup() for
 * compressors: a name-to-factory table built from the factories it is given, so it has no
 * Node imports itself. The real side passes the native factories (native/index.ts), the
 * simulator passes `simCompressorFactory` alone.
 *
 * ```ts
 * const registry = new CompressorRegistry([simCompressorFactory]);
 * const backend = registry.get("sim").create();
 * ```
 */
import type { CompressorBackend, CompressorFactory } from "./types.ts";

/** Thrown by `CompressorRegistry.get` for a name that no factory provides. */
export class UnknownCompressorError extends Error {
  override readonly name = "UnknownCompressorError";

  constructor(
    readonly requested: string,
    readonly available: readonly string[],
    reason?: string,
  ) {
    super(
      `Unknown compressor '${requested}'; available: ${available.join(", ")}` +
        (reason === undefined ? "" : ` (${requested}: ${reason})`),
    );
  }
}

export class CompressorRegistry {
  private readonly factories = new Map<string, CompressorFactory>();

  /**
   * @param factories one per algorithm; names must be unique.
   * @param unavailable kernel algorithms known not to be provided here, with the reason, so
   *   that asking for one says why (e.g. `{ "lzo-rle": "no binding implements it" }`).
   */
  constructor(
    factories: readonly CompressorFactory[],
    private readonly unavailable: Readonly<Record<string, string>> = {},
  ) {
    for (const f of factories) {
      if (this.factories.has(f.name)) {
        throw new Error(
          `Cannot register compressor '${f.name}': expected unique names, got it twice`,
        );
      }
      this.factories.set(f.name, f);
    }
  }

  /**
   * The same algorithms with every backend passed through `wrap` (real mode's fault injection;
   * tests that need a misbehaving compressor).
   */
  mapBackends(wrap: (b: CompressorBackend) => CompressorBackend): CompressorRegistry {
    const wrapped = [...this.factories.values()].map((f) => ({
      ...f,
      create: () => wrap(f.create()),
    }));
    return new CompressorRegistry(wrapped, this.unavailable);
  }

  /** Registered names, sorted. */
  names(): string[] {
    return [...this.factories.keys()].sort();
  }

  has(name: string): boolean {
    return this.factories.has(name);
  }

  /** The factory for `name`; throws UnknownCompressorError listing the available names. */
  get(name: string): CompressorFactory {
    const f = this.factories.get(name);
    if (f !== undefined) return f;
    const reason = Object.hasOwn(this.unavailable, name) ? this.unavailable[name] : undefined;
    throw new UnknownCompressorError(name, this.names(), reason);
  }
}
