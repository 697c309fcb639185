/**
 * `check --jobs N`: the exhaustive phase of a check split into N parts (src/check/split.ts), run
 * by a pool of N worker threads that lives as long as the command (a --matrix reuses it for
 * every cell). Part i of N is the same whichever worker runs it, and the parts are combined in
 * dfs order, so the result does not depend on which worker finishes first.
 *
 * Workers run the sources they were started from: dist/ JavaScript when the CLI runs the
 * build, the TypeScript sources through tsx otherwise.
 */
import { Worker } from "node:worker_threads";
import {
  beginCell,
  type CellResult,
  type CheckOptions,
  endCell,
  needsVerify,
} from "../check/checker.ts";
import type { ProgramOptions } from "../check/harness.ts";
import type { PartOptions, PartResult } from "../check/split.ts";
import { applyParts, partOptions } from "../check/split_cell.ts";

export interface PartRequest {
  readonly id: number;
  /** Design name as in a token ("D7" or "D7@claim"). */
  readonly design: string;
  readonly scenario: string;
  readonly program: ProgramOptions;
  readonly index: number;
  readonly count: number;
  readonly part: PartOptions;
  readonly designFile?: string;
  readonly loadTimeoutMs: number;
}

export type PartReply =
  | { readonly id: number; readonly part: PartResult }
  | { readonly id: number; readonly error: string };

/** Runs the parts of a program's exhaustive search (all of them, each once). */
export type PartsRunner = (opts: PartOptions) => Promise<PartResult[]>;

/** `checkCell` with the exhaustive phase split into parts run by `parts`. */
export async function checkCellSplit(
  designName: string,
  scenarioId: string,
  o: CheckOptions,
  parts: PartsRunner,
): Promise<CellResult> {
  const run = beginCell(designName, scenarioId, o);
  if (!("s" in run)) return run;
  return endCell(needsVerify(run) ? applyParts(run, await parts(partOptions(o))) : run);
}

function startWorker(): Worker {
  const ts = import.meta.url.endsWith(".ts");
  const url = new URL(ts ? "./check_worker.ts" : "./check_worker.js", import.meta.url);
  if (!ts) return new Worker(url);
  // Under tsx the worker registers tsx first (as bin/zswap-ts.js does for stale builds), by
  // absolute URL so that the cwd does not matter.
  const api = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { eval: true });
}

export class JobPool {
  private readonly workers: Worker[] = [];
  private nextId = 0;
  private readonly waiting = new Map<
    number,
    { resolve: (p: PartResult) => void; reject: (e: Error) => void }
  >();

  constructor(readonly jobs: number) {}

  private worker(i: number): Worker {
    let w = this.workers[i];
    if (w === undefined) {
      w = startWorker();
      w.on("message", (reply: PartReply) => this.settle(reply));
      w.on("error", (e) => this.failAll(e));
      w.unref();
      this.workers[i] = w;
    }
    return w;
  }

  private settle(reply: PartReply): void {
    const p = this.waiting.get(reply.id);
    if (p === undefined) return;
    this.waiting.delete(reply.id);
    if ("error" in reply) p.reject(new Error(reply.error));
    else p.resolve(reply.part);
  }

  private failAll(e: Error): void {
    for (const p of this.waiting.values()) p.reject(e);
    this.waiting.clear();
  }

  /** A runner for one cell: part i of `jobs` goes to worker i. */
  runner(
    design: string,
    scenario: string,
    program: ProgramOptions,
    extra: { designFile?: string; loadTimeoutMs?: number } = {},
  ): PartsRunner {
    return (part) =>
      Promise.all(
        Array.from({ length: this.jobs }, (_, index) => {
          const id = this.nextId++;
          const req: PartRequest = {
            id,
            design,
            scenario,
            program,
            index,
            count: this.jobs,
            part,
            loadTimeoutMs: extra.loadTimeoutMs ?? 10_000,
            ...(extra.designFile !== undefined ? { designFile: extra.designFile } : {}),
          };
          return new Promise<PartResult>((resolve, reject) => {
            this.waiting.set(id, { resolve, reject });
            const w = this.worker(index);
            w.ref();
            w.postMessage(req);
          }).finally(() => this.workers[index]?.unref());
        }),
      );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
