/**
 * The one progress line of every command (docs/output.md, "Progress"): on stderr, only when stderr
 * is a terminal, redrawn in place at most every 100 ms and erased at the end:
 *
 *   run swap-out [########------------]  40% 1638/4096 pages ETA 3s
 *   check D0 x C1 [####----------------]  20% 3/15 cells ETA 40s
 *   check dfs 1500 executions                          (no total known)
 *
 * The ETA is the rate of the current phase so far, extrapolated; it is left out until the
 * phase has run for a second.
 */

/** Where the line goes: process.stderr, or a fake in tests. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(s: string): unknown;
}

const BAR_WIDTH = 20;
const REDRAW_MS = 100;

export class Progress {
  private phaseName = "";
  private total = 0;
  private phaseStartMs = 0;
  private phaseStartDone = 0;
  private lastDrawMs = Number.NEGATIVE_INFINITY;
  private drawn = false;

  private constructor(
    private readonly command: string,
    private readonly unit: string,
    private readonly stream: ProgressStream,
    private readonly now: () => number,
  ) {}

  /** A progress line for `command`, or null when `stream` is not a terminal (or `quiet`). */
  static open(
    command: string,
    unit: string,
    opts: { quiet?: boolean; stream?: ProgressStream; now?: () => number } = {},
  ): Progress | null {
    const stream = opts.stream ?? process.stderr;
    if (opts.quiet === true || stream.isTTY !== true) return null;
    return new Progress(command, unit, stream, opts.now ?? (() => performance.now()));
  }

  /** Starts a phase: `total` units (0: unknown), counted from `done`. */
  phase(name: string, total: number, done = 0): void {
    this.phaseName = name;
    this.total = total;
    this.phaseStartMs = this.now();
    this.phaseStartDone = done;
    this.lastDrawMs = Number.NEGATIVE_INFINITY;
    this.update(done);
  }

  /** Renames the phase without restarting its rate (check --matrix: the cell being checked). */
  rename(name: string): void {
    this.phaseName = name;
  }

  /** `done` units of the phase are done; redraws if the last draw is old enough. */
  update(done: number): void {
    const t = this.now();
    const last = this.total > 0 && done >= this.total;
    if (t - this.lastDrawMs < REDRAW_MS && !last) return;
    this.lastDrawMs = t;
    this.stream.write(`\r\x1b[K${this.line(done, t)}`);
    this.drawn = true;
  }

  /** Erases the line. */
  stop(): void {
    if (this.drawn) this.stream.write("\r\x1b[K");
    this.drawn = false;
  }

  /** The text of the line (without the redraw escape). */
  line(done: number, t: number = this.now()): string {
    const head = `${this.command} ${this.phaseName}`;
    if (this.total <= 0) return `${head} ${done} ${this.unit}`;
    const frac = Math.min(1, done / this.total);
    const filled = Math.round(frac * BAR_WIDTH);
    const bar = `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}]`;
    const pct = `${Math.floor(frac * 100)}%`.padStart(4);
    return `${head} ${bar} ${pct} ${done}/${this.total} ${this.unit}${this.eta(done, t)}`;
  }

  private eta(done: number, t: number): string {
    const elapsedMs = t - this.phaseStartMs;
    const moved = done - this.phaseStartDone;
    if (elapsedMs < 1000 || moved <= 0 || done >= this.total) return "";
    const leftS = Math.ceil(((this.total - done) * elapsedMs) / moved / 1000);
    return leftS >= 120 ? ` ETA ${Math.floor(leftS / 60)}m${leftS % 60}s` : ` ETA ${leftS}s`;
  }
}
