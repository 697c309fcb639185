/**
 * What a CPU worker runs (multi-core real mode, cpu_workers.ts): the native compressors, by the
 * same factories as the calling thread (so a page compressed here is byte for byte what the
 * calling thread would have made), one backend per algorithm per engine.
 *
 * A descriptor's op names the work: bit 0 compress (0) or decompress (1), bit 1 the kernel
 * whose crypto wrappers to follow (0: 7.3, 1: 6.12), the rest the algorithm's index in
 * CODEC_NAMES. Its arg is the output room in bytes. A handler that throws (a binding that
 * failed to load, a bug) returns -ENOTRECOVERABLE with the message in the output, so the
 * calling thread can say what went wrong instead of counting a compression failure.
 */
import {
  type CryptoKernel,
  nativeCompressorFactoriesFor,
} from "../../crypto/algorithms/native/index.ts";
import type { CompressorBackend } from "../../crypto/algorithms/types.ts";
import type { EngineHandler } from "./ring.ts";

/** The algorithms a CPU worker runs (deflate-iaa has its own engines; sim is not worth a worker). */
export const CODEC_NAMES: readonly string[] = ["lz4", "lz4hc", "zstd", "lzo", "deflate"];

/** The worker could not run the descriptor: its output holds the message (UTF-8). */
export const ENOTRECOVERABLE = 131;

const KERNELS: readonly CryptoKernel[] = ["7.3", "6.12"];

/** The op for `kind` of algorithm `name` as `kernel` wraps it; -1 if workers do not run it. */
export function codecOp(
  kind: "compress" | "decompress",
  kernel: CryptoKernel,
  name: string,
): number {
  const alg = CODEC_NAMES.indexOf(name);
  if (alg < 0) return -1;
  return (kind === "compress" ? 0 : 1) | ((kernel === "6.12" ? 1 : 0) << 1) | (alg << 2);
}

/** The message a failed descriptor left in its output. */
export function failureMessage(output: Uint8Array): string {
  const end = output.indexOf(0);
  return new TextDecoder().decode(output.subarray(0, end < 0 ? output.length : end));
}

function writeFailure(output: Uint8Array, e: unknown): number {
  const text = e instanceof Error ? e.message : String(e);
  const bytes = new TextEncoder().encode(text).subarray(0, output.length - 1);
  output.set(bytes);
  output[bytes.length] = 0;
  return -ENOTRECOVERABLE;
}

export function createHandler(): EngineHandler {
  const backends = new Map<number, CompressorBackend>();
  const backend = (op: number): CompressorBackend => {
    const key = op >> 1;
    let b = backends.get(key);
    if (b === undefined) {
      const kernel = KERNELS[key & 1] as CryptoKernel;
      const name = CODEC_NAMES[key >> 1];
      if (name === undefined) throw new Error(`CPU worker: no algorithm for op ${op}`);
      const f = nativeCompressorFactoriesFor(kernel).find((x) => x.name === name);
      if (f === undefined) throw new Error(`CPU worker: no factory for ${name}`);
      b = f.create();
      backends.set(key, b);
    }
    return b;
  };
  return {
    run(op, input, output, arg) {
      try {
        const dst = output.subarray(0, Math.min(arg, output.length));
        const b = backend(op);
        return (op & 1) === 0 ? b.compress(input, dst) : b.decompress(input, dst);
      } catch (e) {
        return writeFailure(output, e);
      }
    },
  };
}
