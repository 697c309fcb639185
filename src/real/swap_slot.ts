/**
 * SwapSlot: where a swapped-out page (or large folio) is, as the library hands it out. A slot is
 * live until it is swapped in or freed, and belongs to the instance that made it.
 */
import { ZswapError } from "./errors.ts";
import { describe } from "./types.ts";
import type { ZswapInstance } from "./zswap_instance.ts";

/** Where a swapped-out page (or large folio) is: swap slots offset .. offset + nrPages - 1. */
export class SwapSlot {
  readonly #owner: ZswapInstance;
  /** True until it is swapped in or freed. */
  #live = true;

  /** @internal Created by ZswapInstance.swapOut. */
  constructor(
    owner: ZswapInstance,
    readonly offset: number,
    readonly nrPages: number,
  ) {
    this.#owner = owner;
  }

  get live(): boolean {
    return this.#live;
  }

  /** @internal */
  static check(slot: unknown, owner: ZswapInstance, what: string): SwapSlot {
    if (!(slot instanceof SwapSlot)) {
      throw new ZswapError(
        "EINVAL",
        `Cannot ${what}: expected a SwapSlot from swapOut, got ${describe(slot)}`,
      );
    }
    if (slot.#owner !== owner) {
      throw new ZswapError(
        "EINVAL",
        `Cannot ${what} slot ${slot.offset}: it belongs to another zswap instance`,
      );
    }
    if (!slot.#live) {
      throw new ZswapError(
        "EINVAL",
        `Cannot ${what} slot ${slot.offset}: it was already swapped in or freed`,
      );
    }
    return slot;
  }

  /** @internal */
  static release(slot: SwapSlot): void {
    slot.#live = false;
  }
}
