/**
 * What a deflate-iaa engine runs: the same codec as the calling thread's (so batched and
 * sequential stores give the same bytes), one per engine.
 */
import { DeflateIaaCodec } from "../../crypto/algorithms/native/deflate_iaa.ts";
import type { EngineHandler } from "./ring.ts";

export const OP_COMPRESS = 1;
export const OP_DECOMPRESS = 2;

const EINVAL = 22;

export function createHandler(): EngineHandler {
  const codec = new DeflateIaaCodec();
  return {
    run(op, input, output, arg) {
      const dst = output.subarray(0, Math.min(arg, output.length));
      if (op === OP_COMPRESS) return codec.compress(input, dst);
      if (op === OP_DECOMPRESS) return codec.decompress(input, dst);
      return -EINVAL;
    },
  };
}
