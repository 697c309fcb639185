/**
 * Model-based test of zswap with the swap layer around it (fast-check `fc.commands`).
 *
 * The model is a Map from swap slot to the bytes it must hold. Commands: store (swapOut of a
 * text, zero, incompressible or 4-page folio), load (swapIn), invalidate (swapFree), writeback
 * (a shrinker scan), compressor switch ("sim" <-> "sim-b"), CPU offline and online, and `par`,
 * two of those as concurrent tasks. Every command runs as tasks on the simulated kernel under a
 * random schedule (preemption, migration) with fault injection on zswap's allocations (entries,
 * pools, per-CPU contexts), so a store may fall back to disk, a switch or a CPU online may fail:
 * none of that may change what a slot holds. After each command the engine's invariants are
 * checked at quiescence; any detector report (KASAN, lockdep, a hang) fails the property.
 *
 * Deterministic: fast-check's seed and the simulator's seeds are fixed.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { SIM_B } from "../check/harness.ts";
import { DataOracle } from "../check/oracle.ts";
import { checkEngineInvariants } from "../check/scenarios/engine.ts";
import { setCryptoAlgorithms } from "../crypto/acomp.ts";
import { CompressorRegistry } from "../crypto/algorithms/registry.ts";
import { simCompressorFactory } from "../crypto/algorithms/sim.ts";
import { cpuDown, cpuUp } from "../kernel/cpu_updown.ts";
import type { Op } from "../kernel/effect.ts";
import { Kernel } from "../kernel/kernel.ts";
import { memory } from "../kernel/memory.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { swapDevice, swapFree, swapIn, swapOut, swapon } from "../mm/swap.ts";
import { swpEntry } from "../mm/swap_entry.ts";
import { MemoryStorage } from "../mm/swap_storage.ts";
import { SimExecutor } from "../sim/executor.ts";
import { RandomStrategy } from "../sim/strategy_random.ts";
import { deriveSeed } from "../util/rng.ts";
import { D7 } from "./acomp_ctx/d7.ts";
import { zswapShrinkerScan } from "./shrinker.ts";
import type { ZswapState } from "./state.ts";
import { zswapInit, zswapParamSet, zswapSetup } from "./zswap.ts";

const NR_CPUS = 3;
const NR_SLOTS = 256;
const FC_SEED = 4242;

/** Allocations that may fail (an explored decision at each one). */
const FAULTABLE = [
  "zswap_entry",
  "zswap_pool",
  "zswap_pool ref",
  "acomp_ctx percpu",
  "acomp_ctx buffer",
  "crypto_acomp",
  "acomp_req",
];

interface Model {
  /** Slot offset -> the bytes the slot must hold. */
  readonly slots: Map<number, Uint8Array>;
}

class Real {
  readonly k: Kernel;
  readonly z: ZswapState;
  private runs = 0;

  constructor(readonly seed: number) {
    this.k = new Kernel({ nrCpus: NR_CPUS });
    setCryptoAlgorithms(this.k, new CompressorRegistry([simCompressorFactory, SIM_B]));
    this.z = zswapInit(this.k, {
      design: D7,
      params: { compressor: "sim", enabled: true, shrinker_enabled: true },
    });
    memory(this.k).totalramPages = 1 << 16;
    swapon(this.k, new MemoryStorage(NR_SLOTS));
    this.run([{ cpu: 0, body: setup(this.k) }]);
    for (const label of FAULTABLE) memory(this.k).policy.faultable.add(label);
  }

  /** Runs `tasks` (and whatever they queue) to quiescence under a random schedule. */
  run(tasks: ReadonlyArray<{ cpu: number; body: Op<void> }>): void {
    for (const [i, t] of tasks.entries()) this.k.spawn(`cmd${i}`, t.cpu, t.body);
    const strategy = new RandomStrategy(deriveSeed(this.seed, this.runs++));
    const r = new SimExecutor(this.k, strategy, { stepsMax: 500_000 }).run();
    if (r.outcome !== "ok") throw new Error(`${r.message}\n${r.bug?.text ?? ""}`);
    checkEngineInvariants({ k: this.k, z: this.z, oracle: new DataOracle(), design: D7 });
  }

  /** An online CPU, chosen by `pick`. */
  cpu(pick: number): number {
    const online = this.k.cpus.onlineList();
    return online[pick % online.length] as number;
  }
}

function* setup(k: Kernel): Op<void> {
  assert.equal(yield* zswapSetup(k), 0);
}

// ---------------------------------------------------------------------------------------------
// Commands: each one prepares a task body and, after the run, checks and updates the model
// ---------------------------------------------------------------------------------------------

interface Started {
  readonly body: Op<void>;
  /** Slots this task removes from the model (applied before any addition). */
  readonly removes: number[];
  /** Checks the task's results against the model and updates it. */
  apply(m: Model): void;
}

interface Step {
  readonly name: string;
  /** Prepares the task; `taken` are slots a concurrent task already uses. Null: nothing to do. */
  start(m: Model, r: Real, taken: ReadonlySet<number>): Started | null;
}

type PageKind = "text" | "zero" | "random" | "large";

function pageBytes(kind: PageKind, tag: number): Uint8Array {
  if (kind === "zero") return new Uint8Array(PAGE_SIZE);
  if (kind === "large") {
    const p = new Uint8Array(4 * PAGE_SIZE);
    for (let i = 0; i < 4; i++) p.set(pageBytes("text", tag * 4 + i), i * PAGE_SIZE);
    return p;
  }
  const p = new Uint8Array(PAGE_SIZE);
  let x = (tag * 2654435761 + 12345) >>> 0 || 1;
  for (let i = 0; i < PAGE_SIZE; i++) {
    if (kind === "text") p[i] = i % 32 < 24 ? 97 + ((tag + (i >> 5)) % 26) : tag & 0xff;
    else {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      p[i] = x & 0xff;
    }
  }
  return p;
}

const store = (kind: PageKind, tag: number): Step => ({
  name: `store(${kind} ${tag})`,
  start(_m, r) {
    const data = pageBytes(kind, tag);
    let slot = -1;
    const body = (function* () {
      const ret = yield* swapOut(r.k, 0, data, null);
      if (typeof ret !== "number") slot = ret.offset;
    })();
    return {
      body,
      removes: [],
      apply(m) {
        if (slot < 0) return; // no free slots: the page stays in memory
        for (let i = 0; i < data.length / PAGE_SIZE; i++) {
          assert.ok(!m.slots.has(slot + i), `slot ${slot + i} handed out while in use`);
          m.slots.set(slot + i, data.slice(i * PAGE_SIZE, (i + 1) * PAGE_SIZE));
        }
      },
    };
  },
});

function pickSlot(m: Model, pick: number, taken: ReadonlySet<number>): number | null {
  const free = [...m.slots.keys()].filter((s) => !taken.has(s)).sort((a, b) => a - b);
  return free.length === 0 ? null : (free[pick % free.length] as number);
}

const load = (pick: number): Step => ({
  name: `load(#${pick})`,
  start(m, r, taken) {
    const slot = pickSlot(m, pick, taken);
    if (slot === null) return null;
    let got: Uint8Array | number = 0;
    const body = (function* () {
      got = yield* swapIn(r.k, swpEntry(0, slot), null);
    })();
    return {
      body,
      removes: [slot],
      apply(model) {
        const want = model.slots.get(slot) as Uint8Array;
        assert.ok(typeof got !== "number", `swap-in of slot ${slot} failed with ${got}`);
        assert.ok(Buffer.from(got).equals(Buffer.from(want)), `slot ${slot} lost its content`);
        model.slots.delete(slot);
      },
    };
  },
});

const invalidate = (pick: number): Step => ({
  name: `invalidate(#${pick})`,
  start(m, r, taken) {
    const slot = pickSlot(m, pick, taken);
    if (slot === null) return null;
    return {
      body: swapFree(r.k, swpEntry(0, slot)),
      removes: [slot],
      apply(model) {
        model.slots.delete(slot);
      },
    };
  },
});

const writeback = (n: number): Step => ({
  name: `writeback(${n})`,
  start: (_m, r) => ({
    body: (function* () {
      yield* zswapShrinkerScan(r.k, r.z.rootMemcg, n);
    })(),
    removes: [],
    apply() {},
  }),
});

const switchTo = (compressor: string): Step => ({
  name: `compressor=${compressor}`,
  start: (_m, r) => ({
    body: (function* () {
      const ret = yield* zswapParamSet(r.k, "compressor", compressor);
      assert.ok(ret === 0 || ret === -22, `switch returned ${ret}`); // -EINVAL: an injected failure
    })(),
    removes: [],
    apply() {},
  }),
});

const hotplug = (up: boolean, cpu: number): Step => ({
  name: `${up ? "cpu_up" : "cpu_down"}(${cpu})`,
  start: (_m, r) => ({
    body: (function* () {
      if (up) yield* cpuUp(r.k, cpu);
      else yield* cpuDown(r.k, cpu);
    })(),
    removes: [],
    apply() {},
  }),
});

/** Runs `steps` as concurrent tasks on CPUs chosen by `cpus`. */
class RunCommand implements fc.Command<Model, Real> {
  constructor(
    readonly steps: readonly Step[],
    readonly cpus: readonly number[],
  ) {}

  check(): boolean {
    return true;
  }

  run(m: Model, r: Real): void {
    const taken = new Set<number>();
    const started: Started[] = [];
    for (const step of this.steps) {
      const s = step.start(m, r, taken);
      if (s === null) continue;
      for (const slot of s.removes) taken.add(slot);
      started.push(s);
    }
    if (started.length === 0) return;
    r.run(started.map((s, i) => ({ cpu: r.cpu(this.cpus[i] ?? 0), body: s.body })));
    const order = [...started].sort((a, b) => b.removes.length - a.removes.length);
    for (const s of order) s.apply(m);
    for (const slot of m.slots.keys()) {
      assert.ok(swapDevice(r.k, 0).inUse(slot), `slot ${slot} was released while still mapped`);
    }
  }

  toString(): string {
    return this.steps.length === 1
      ? (this.steps[0] as Step).name
      : `par(${this.steps.map((s) => s.name).join(", ")})`;
  }
}

const arbStep: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .tuple(fc.constantFrom<PageKind>("text", "text", "zero", "random", "large"), fc.nat(10_000))
      .map(([k, t]) => store(k, t)),
  },
  { weight: 3, arbitrary: fc.nat().map(load) },
  { weight: 2, arbitrary: fc.nat().map(invalidate) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 8 }).map(writeback) },
  { weight: 1, arbitrary: fc.constantFrom("sim", "sim-b").map(switchTo) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.boolean(), fc.integer({ min: 1, max: NR_CPUS - 1 }))
      .map(([up, cpu]) => hotplug(up, cpu)),
  },
);

const arbCommand: fc.Arbitrary<fc.Command<Model, Real>> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(arbStep, fc.nat(7)).map(([s, c]) => new RunCommand([s], [c])) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(arbStep, arbStep, fc.nat(7), fc.nat(7))
      .map(([a, b, c1, c2]) => new RunCommand([a, b], [c1, c2])),
  },
);

describe("zswap model-based test (fc.commands on the simulated kernel)", () => {
  it("slot contents match the model through stores, loads, invalidations, writeback, switches and hotplug", () => {
    const commands = fc.commands([arbCommand], { maxCommands: 60, size: "max" });
    fc.assert(
      // The simulator's seed is part of the input: a counterexample replays (and shrinks) exactly.
      fc.property(fc.nat(), commands, (seed, cmds) => {
        const real = new Real(seed);
        const model: Model = { slots: new Map() };
        fc.modelRun(() => ({ model, real }), cmds);
        drain(model, real);
        assert.equal(real.z.stats.stored_pages, 0);
      }),
      { seed: FC_SEED, numRuns: 300 },
    );
  });
});

/** Swaps in every slot still in the model, concurrently, and checks each one. */
function drain(model: Model, real: Real): void {
  const started: Started[] = [];
  for (const [slot, data] of model.slots) {
    const s = load(0).start({ slots: new Map([[slot, data]]) }, real, new Set());
    if (s !== null) started.push(s);
  }
  real.run(started.map((s, i) => ({ cpu: real.cpu(i), body: s.body })));
  for (const s of started) s.apply(model);
  assert.equal(model.slots.size, 0);
}
