/**
 * Coverage of an exploration: how many executions and distinct schedules ran, which preemption
 * points were reached and where a task was switched away from, which kinds of decision were
 * offered and taken, and which known preemption points no execution reached.
 *
 * A preemption point is named by the first word of its label (`mutex_lock ctx(...)->mutex` is
 * `mutex_lock`). KNOWN_POINTS lists the names kernel-side code yields today (coverage.test.ts
 * checks the list against the sources), so a verified verdict can say what it never exercised.
 */
import type { ChoiceKind } from "../kernel/effect.ts";

/** Every preemption point name that kernel-side code (src/kernel, mm, zswap, crypto) yields. */
export const KNOWN_POINTS: readonly string[] = [
  "cond_resched",
  "crypto_wait_req",
  "descriptor",
  "flush_work",
  "folio_lock",
  "iaa", // the simulated IAA completion interrupt (iaa_crypto.ts)
  "iaa_comp_poll",
  "kmalloc",
  "mutex_lock",
  "percpu_down_read",
  "percpu_down_write",
  "percpu_ref",
  "percpu_ref_kill",
  "swap_cache_alloc_folio",
  "synchronize_rcu",
  "takedown_cpu",
];

const KINDS: readonly ChoiceKind[] = ["schedule", "migrate", "fault", "reclaim", "pick"];

export function pointOf(label: string): string {
  const sp = label.indexOf(" ");
  return sp < 0 ? label : label.slice(0, sp);
}

export interface CoverageSummary {
  readonly executions: number;
  readonly distinctSchedules: number;
  /** Point name -> times reached, over every execution. */
  readonly pointsReached: Readonly<Record<string, number>>;
  /** Points where some execution switched away from a task that could have gone on. */
  readonly pointsPreempted: readonly string[];
  /** Known points no execution reached. */
  readonly pointsUnreached: readonly string[];
  /** Per kind: decisions offered, and how many took a non-default option. */
  readonly choices: Readonly<Record<ChoiceKind, { offered: number; taken: number }>>;
}

export interface CoverageJson {
  readonly executions: number;
  readonly schedules: readonly number[];
  readonly reached: ReadonlyArray<readonly [string, number]>;
  readonly preempted: readonly string[];
  readonly offered: ReadonlyArray<readonly [ChoiceKind, number]>;
  readonly taken: ReadonlyArray<readonly [ChoiceKind, number]>;
}

export class Coverage {
  executions = 0;
  /** 53-bit hashes of the decision logs (two 32-bit hashes; a collision is ~1e-6 at 100,000). */
  private readonly schedules = new Set<number>();
  private readonly reached = new Map<string, number>();
  private readonly preempted = new Set<string>();
  private readonly offered = new Map<ChoiceKind, number>();
  private readonly taken = new Map<ChoiceKind, number>();

  /** Counted by whole label on the hot path; summary() folds labels into point names. */
  reach(label: string): void {
    this.reached.set(label, (this.reached.get(label) ?? 0) + 1);
  }

  preempt(label: string): void {
    this.preempted.add(pointOf(label));
  }

  choice(kind: ChoiceKind, value: number): void {
    this.offered.set(kind, (this.offered.get(kind) ?? 0) + 1);
    if (value !== 0) this.taken.set(kind, (this.taken.get(kind) ?? 0) + 1);
  }

  /** One execution ended with this decision log. */
  execution(values: readonly number[]): void {
    this.executions++;
    this.schedules.add(logHash(values));
  }

  /** Adds another exploration's coverage (a check runs a hunt, then a verification). */
  merge(o: Coverage): void {
    this.executions += o.executions;
    for (const s of o.schedules) this.schedules.add(s);
    for (const [p, n] of o.reached) this.reached.set(p, (this.reached.get(p) ?? 0) + n);
    for (const p of o.preempted) this.preempted.add(p);
    for (const [kd, n] of o.offered) this.offered.set(kd, (this.offered.get(kd) ?? 0) + n);
    for (const [kd, n] of o.taken) this.taken.set(kd, (this.taken.get(kd) ?? 0) + n);
  }

  /** Everything, as plain JSON (shard files, worker messages); `fromJSON` reads it back. */
  toJSON(): CoverageJson {
    return {
      executions: this.executions,
      schedules: [...this.schedules],
      reached: [...this.reached],
      preempted: [...this.preempted],
      offered: [...this.offered],
      taken: [...this.taken],
    };
  }

  static fromJSON(j: CoverageJson): Coverage {
    const c = new Coverage();
    c.executions = j.executions;
    for (const s of j.schedules) c.schedules.add(s);
    for (const [p, n] of j.reached) c.reached.set(p, n);
    for (const p of j.preempted) c.preempted.add(p);
    for (const [kd, n] of j.offered) c.offered.set(kd, n);
    for (const [kd, n] of j.taken) c.taken.set(kd, n);
    return c;
  }

  private points(): Map<string, number> {
    const byPoint = new Map<string, number>();
    for (const [label, n] of this.reached) {
      const p = pointOf(label);
      byPoint.set(p, (byPoint.get(p) ?? 0) + n);
    }
    return byPoint;
  }

  summary(): CoverageSummary {
    const reached = this.points();
    const choices = {} as Record<ChoiceKind, { offered: number; taken: number }>;
    for (const kd of KINDS)
      choices[kd] = { offered: this.offered.get(kd) ?? 0, taken: this.taken.get(kd) ?? 0 };
    return {
      executions: this.executions,
      distinctSchedules: this.schedules.size,
      pointsReached: Object.fromEntries([...reached.entries()].sort()),
      pointsPreempted: [...this.preempted].sort(),
      pointsUnreached: KNOWN_POINTS.filter((p) => !reached.has(p)),
      choices,
    };
  }
}

function logHash(values: readonly number[]): number {
  let a = 0x811c9dc5;
  let b = 5381;
  for (const v of values) {
    a = Math.imul(a ^ v, 0x01000193);
    b = (Math.imul(b, 33) + v + 1) | 0;
  }
  return (a >>> 0) * 2 ** 21 + ((b >>> 0) & 0x1fffff);
}

/** One line for the text report. */
export function coverageLine(c: CoverageSummary): string {
  const reached = Object.keys(c.pointsReached);
  const kinds = (["schedule", "migrate", "fault", "reclaim"] as const)
    .map((kd) => `${kd} ${c.choices[kd].taken}/${c.choices[kd].offered}`)
    .join(", ");
  const unreached = c.pointsUnreached.length > 0 ? c.pointsUnreached.join(" ") : "none";
  return `coverage: ${c.executions} executions, ${c.distinctSchedules} distinct schedules; points reached ${reached.length} (preempted at ${c.pointsPreempted.join(" ") || "none"}); choices taken/offered: ${kinds}; known points unreached: ${unreached}`;
}
