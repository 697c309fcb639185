/**
 * Call sites for reports: which task, on which CPU, at which step, through which functions.
 *
 * Kernel-side functions that should appear in reports wrap their body with `traced(k, name, op)`;
 * the innermost traced function names the place in "BUG: KASAN: ... in <function>".
 */
import type { Op } from "./effect.ts";
import type { Kernel } from "./kernel.ts";

export interface Site {
  readonly task: string;
  readonly taskId: number;
  readonly cpu: number;
  readonly step: number;
  /** Outermost first. */
  readonly stack: readonly string[];
}

export function siteOf(k: Kernel): Site {
  const t = k.current;
  if (t === null) return { task: "(setup)", taskId: -1, cpu: -1, step: k.step, stack: [] };
  // Sites never change their stack, so they share the task's snapshot of it.
  const stack = t.stackSnapshot ?? (t.stackSnapshot = t.callStack.slice());
  return { task: t.name, taskId: t.id, cpu: t.cpu, step: k.step, stack };
}

/** The innermost function name, or the task name when nothing is traced. */
export function whereOf(site: Site): string {
  return site.stack[site.stack.length - 1] ?? site.task;
}

/** Report lines for a site, kernel style: header then the call path innermost first. */
export function siteLines(header: string, site: Site): string[] {
  const lines = [`${header} by task ${site.task} on cpu ${site.cpu} at step ${site.step}:`];
  for (const fn of [...site.stack].reverse()) lines.push(` ${fn}`);
  return lines;
}

/**
 * Runs `op` with `name` pushed on the current task's call stack (for reports). Without
 * instrumentation (real mode) it is `op` itself: no frame, and no generator layer on the path.
 */
export function traced<T>(k: Kernel, name: string, op: Op<T>): Op<T> {
  return k.instrumented ? tracedFrame(k, name, op) : op;
}

/** An operation written as a plain function that returns an Op, with up to four arguments. */
export type OpCall<T, A, B, C, D> = (k: Kernel, a: A, b: B, c: C, d: D) => Op<T>;

/**
 * traced() for a body that is a plain function returning an Op (it does its work up to its
 * first effect at the call): instrumented, the body is called inside the frame, as a generator
 * body would start there; otherwise it is called at once, and no frame and no generator are made.
 */
export function tracedCall<A, B, C, D, T>(
  k: Kernel,
  name: string,
  body: OpCall<T, A, B, C, D>,
  a: A,
  b: B,
  c: C,
  d: D,
): Op<T> {
  return k.instrumented ? tracedBody(k, name, body, a, b, c, d) : body(k, a, b, c, d);
}

function* tracedBody<A, B, C, D, T>(
  k: Kernel,
  name: string,
  body: OpCall<T, A, B, C, D>,
  a: A,
  b: B,
  c: C,
  d: D,
): Op<T> {
  const t = k.task;
  t.callStack.push(name);
  t.stackSnapshot = null;
  try {
    return yield* body(k, a, b, c, d);
  } finally {
    t.callStack.pop();
    t.stackSnapshot = null;
  }
}

function* tracedFrame<T>(k: Kernel, name: string, op: Op<T>): Op<T> {
  const t = k.task;
  t.callStack.push(name);
  t.stackSnapshot = null;
  try {
    return yield* op;
  } finally {
    // The task may have been the only one to touch its stack; pop our frame.
    t.callStack.pop();
    t.stackSnapshot = null;
  }
}
