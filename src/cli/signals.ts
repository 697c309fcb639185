/**
 * Clean stops: SIGINT, SIGTERM and SIGHUP during a command remove what the command was making
 * (a temporary swap file holding page data, a half-written corpus), say on one line what was
 * interrupted, and exit 128 + the signal number (130, 143, 129), as a shell reports a process
 * killed by the signal.
 *
 * Node runs a signal handler on the event loop, so a command must give the loop turns (`turn()`)
 * while it works; `run` and `corpus` do every chunk of pages, `check` between cells.
 *
 * @example
 * const stop = Interrupts.install("corpus", (s) => process.stderr.write(s));
 * try {
 *   stop.temps.add(tmp);            // removed if a signal comes
 *   stop.status = "page 12 of 400"; // said in the one line
 *   await turn();
 * } finally {
 *   stop.dispose();
 * }
 */
import * as fs from "node:fs";

const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
type SignalName = keyof typeof SIGNALS;

let installed: Interrupts | null = null;

export class Interrupts {
  /** What the command is doing now, for the one line ("swap-out, page 1024 of 65536"). */
  status = "";
  /** Files to remove on a signal (temporary and partial outputs); the command keeps it current. */
  readonly temps = new Set<string>();
  private readonly handlers = new Map<SignalName, () => void>();

  private constructor(
    readonly command: string,
    private readonly writeErr: (text: string) => void,
    private readonly exit: (code: number) => void,
  ) {}

  /**
   * Installs the handlers until dispose(), or until the next install (one command runs at a
   * time); `exit` is process.exit but in tests.
   */
  static install(
    command: string,
    writeErr: (text: string) => void = (t) => process.stderr.write(t),
    exit: (code: number) => void = (code) => process.exit(code),
  ): Interrupts {
    installed?.dispose();
    const it = new Interrupts(command, writeErr, exit);
    installed = it;
    for (const name of Object.keys(SIGNALS) as SignalName[]) {
      const h = () => it.stop(name);
      it.handlers.set(name, h);
      process.on(name, h);
    }
    return it;
  }

  dispose(): void {
    for (const [name, h] of this.handlers) process.off(name, h);
    this.handlers.clear();
    if (installed === this) installed = null;
  }

  /** Removes the temporary files, says what was interrupted, exits 128 + the signal number. */
  stop(name: SignalName): void {
    const removed: string[] = [];
    for (const path of this.temps) {
      try {
        if (fs.existsSync(path)) removed.push(path);
        fs.rmSync(path, { force: true });
      } catch {
        // Nothing more can be done while exiting; the line below names what was there.
      }
    }
    this.temps.clear();
    this.dispose();
    const during = this.status === "" ? this.command : `${this.command} (${this.status})`;
    const cleaned = removed.length === 0 ? "" : `; removed ${removed.join(", ")}`;
    this.writeErr(`zswap-ts: interrupted by ${name} during ${during}${cleaned}\n`);
    this.exit(128 + SIGNALS[name]);
  }
}

/** One turn of the event loop: signal handlers (and background I/O) run. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
