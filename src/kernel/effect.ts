/**
 * Effects: what kernel-side code yields to its executor.
 *
 * Kernel-side code (src/kernel, src/mm, src/zswap, src/crypto) is written as generators. Every
 * point where the real kernel could be preempted, block, or make a nondeterministic choice is a
 * `yield` of one of these effects. The executor (simulated or real) answers it.
 */

/** What kind of decision a `choose` is: the decision log and the strategies see this. */
export type ChoiceKind =
  | "schedule" // which runnable task runs next (0: the current one, if it can go on)
  | "migrate" // which online CPU a preempted task continues on (0: stay)
  | "fault" // whether an allocation fails (0: succeed)
  | "reclaim" // whether an allocation enters direct reclaim (0: no)
  | "pick"; // any other scenario-level choice (0: the first option)

/** A preemption point: the scheduler may switch to another task here, or migrate this one. */
export interface SchedEffect {
  readonly t: "sched";
  readonly label: string;
}

/**
 * The current task has put itself on a wait queue (its state is already "blocked"); the
 * executor must run something else until a kernel primitive wakes it.
 */
export interface BlockEffect {
  readonly t: "block";
  readonly label: string;
}

/** A nondeterministic choice among `n` options; the answer is the chosen index. 0 is "normal". */
export interface ChooseEffect {
  readonly t: "choose";
  readonly n: number;
  readonly kind: ChoiceKind;
  readonly label: string;
}

/**
 * Real I/O. The simulator runs `sync` (in-memory devices); the real executor awaits `async`.
 * Both must produce the same result type.
 */
export interface IoEffect {
  readonly t: "io";
  readonly label: string;
  readonly sync: () => unknown;
  readonly async: () => Promise<unknown>;
}

export type Effect = SchedEffect | BlockEffect | ChooseEffect | IoEffect;

/** A kernel-side operation returning T. Sub-operations are called with `yield*`. */
export type Op<T> = Generator<Effect, T, unknown>;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * An operation that yields nothing and returns undefined: what a primitive whose effect is off
 * (a preemption point the points level does not enable, as always in real mode) hands back
 * instead of a new generator. It is one shared object, so `yield* preemptPoint(...)` on the
 * real path allocates nothing; `yield*` sees it finished at once, as it would an empty generator.
 */
export const NO_EFFECTS: Op<undefined> = {
  next: () => DONE,
  return: (value?: unknown) => ({ done: true, value }),
  throw: (e: unknown) => {
    throw e;
  },
  [Symbol.iterator]() {
    return this;
  },
} as unknown as Op<undefined>;

/**
 * An operation that yields nothing and returns `value`: what a function on a hot path hands back
 * instead of a generator when it finished without an effect (an uncontended mutex in real mode).
 * The object is its own iterator and its own result, so it is one small allocation where a
 * generator would be two larger ones; `yield*` sees it finished at once, with `value`.
 */
export function returned<T>(value: T): Op<T> {
  // Returned is immutable, so the common results are shared (no allocation on the hot paths).
  if (value === true) return RETURNED_TRUE as unknown as Op<T>;
  if (value === false) return RETURNED_FALSE as unknown as Op<T>;
  if (typeof value === "number" && value >= 0 && value <= RETURNED_INTS_MAX && value % 1 === 0) {
    const shared = (RETURNED_INTS[value] ??= new Returned(value));
    return shared as unknown as Op<T>;
  }
  return new Returned(value) as unknown as Op<T>;
}

class Returned<T> {
  readonly done = true;
  constructor(readonly value: T) {}
  next(): this {
    return this;
  }
  return(value?: unknown): IteratorReturnResult<unknown> {
    return { done: true, value };
  }
  throw(e: unknown): never {
    throw e;
  }
  [Symbol.iterator](): this {
    return this;
  }
}

const RETURNED_TRUE = new Returned(true);
const RETURNED_FALSE = new Returned(false);
/** Small non-negative integers (lengths up to a page, page counts) are shared too, made on first use. */
const RETURNED_INTS_MAX = 4096;
const RETURNED_INTS: (Returned<number> | undefined)[] = new Array(RETURNED_INTS_MAX + 1);

/**
 * `op`, then the operation `rest(value, a, b, c, d, e)` builds from op's result: how a function
 * that is not a generator calls an operation in its middle. `op` is started here, which is where
 * `yield* op` would start it. When it finishes without an effect (on the real hot path it always
 * does), `rest` runs at once and its operation is the result: no generator is made. Otherwise a
 * generator yields op's remaining effects and then rest's, exactly as `yield*` would have.
 *
 * `rest` gets what it needs as arguments rather than by closure, so that the fast path allocates
 * nothing (a closure and its context cost as much as the generator they replace).
 *
 * @example
 * // function* f(k) { const ctx = yield* acquire(k); return yield* work(k, ctx); }  becomes
 * function f(k: Kernel): Op<number> { return andThen(acquire(k), afterAcquire, k); }
 * function afterAcquire(ctx: Ctx, k: Kernel): Op<number> { return work(k, ctx); }
 */
export function andThen<T, U, A, B, C, D, E, F, G>(
  op: Op<T>,
  rest: Rest<T, U, A, B, C, D, E, F, G>,
  a?: A,
  b?: B,
  c?: C,
  d?: D,
  e?: E,
  f?: F,
  g?: G,
): Op<U> {
  const r = op.next();
  if (r.done === true) return rest(r.value, a as A, b as B, c as C, d as D, e as E, f as F, g as G);
  return andThenSlow(op, r, rest, a, b, c, d, e, f, g);
}

/** For andThen: after the operation, return `value` (what the operation returned is dropped). */
export function returnedAfter<T>(_: unknown, value: T): Op<T> {
  return returned(value);
}

/** What andThen calls with op's result and its own arguments. */
type Rest<T, U, A, B, C, D, E, F, G> = (
  value: T,
  a: A,
  b: B,
  c: C,
  d: D,
  e: E,
  f: F,
  g: G,
) => Op<U>;

function* andThenSlow<T, U, A, B, C, D, E, F, G>(
  op: Op<T>,
  first: IteratorResult<Effect, T>,
  rest: Rest<T, U, A, B, C, D, E, F, G>,
  ...args: [A?, B?, C?, D?, E?, F?, G?]
): Op<U> {
  const [a, b, c, d, e, f, g] = args;
  return yield* rest(
    yield* resumeOp(op, first),
    a as A,
    b as B,
    c as C,
    d as D,
    e as E,
    f as F,
    g as G,
  );
}

/**
 * The rest of `op` after it yielded `first`: what `yield*` does from there on (answers go in,
 * thrown errors go in through op.throw, and an early return of the caller returns op too).
 */
export function* resumeOp<T>(op: Op<T>, first: IteratorResult<Effect, T>): Op<T> {
  let r = first;
  try {
    while (r.done !== true) {
      let input: unknown;
      try {
        input = yield r.value;
      } catch (e) {
        r = op.throw(e);
        continue;
      }
      r = op.next(input);
    }
  } finally {
    if (r.done !== true) op.return(undefined as T);
  }
  return r.value;
}

/** A yield point that does nothing else: the scheduler may preempt or migrate here. */
export function* sched(label: string): Op<void> {
  yield schedEffect(label);
}

/**
 * Labels and sched effects are immutable, so the checker's hot paths share them instead of
 * building a string and an object at every point (they were a tenth of its allocations). The
 * caches are bounded: past LABELS_MAX (names that keep changing, as in real mode) a label is
 * built each time, as before.
 */
const LABELS_MAX = 4096;
const labels = new Map<string, Map<string, string>>();
const schedEffects = new Map<string, SchedEffect>();
let labelCount = 0;

/** `${prefix} ${name}`, shared across calls. */
export function pointLabel(prefix: string, name: string): string {
  let byName = labels.get(prefix);
  if (byName === undefined) labels.set(prefix, (byName = new Map()));
  let label = byName.get(name);
  if (label === undefined) {
    label = `${prefix} ${name}`;
    if (labelCount < LABELS_MAX) {
      byName.set(name, label);
      labelCount++;
    }
  }
  return label;
}

function schedEffect(label: string): SchedEffect {
  let e = schedEffects.get(label);
  if (e === undefined) {
    e = { t: "sched", label };
    if (schedEffects.size < LABELS_MAX) schedEffects.set(label, e);
  }
  return e;
}

/** A nondeterministic choice; returns an index in 0..n-1. */
export function* choose(n: number, kind: ChoiceKind, label: string): Op<number> {
  if (n <= 1) return 0;
  const answer = yield { t: "choose", n, kind, label };
  return answer as number;
}
