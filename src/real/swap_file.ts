/**
 * The swap device's storage as the library uses it: a FileStorage that also counts what failed,
 * so a full disk can be told apart from a full swap file, and reported (stats().swapFile).
 */
import type { SwapStorage } from "../mm/swap_storage.ts";
import type { FileStorage } from "./file_storage.ts";
import { describeReadProblem } from "./slot_check.ts";

export class SwapFile implements SwapStorage {
  readonly nrSlots: number;
  writeErrors = 0;
  readErrors = 0;
  /** The errno (positive) of the last failed write, 0 if none failed. */
  lastWriteErrno = 0;

  constructor(readonly file: FileStorage) {
    this.nrSlots = file.nrSlots;
  }

  readSync(slot: number, dst: Uint8Array): number {
    return this.read(this.file.readSync(slot, dst));
  }

  writeSync(slot: number, src: Uint8Array): number {
    return this.write(this.file.writeSync(slot, src));
  }

  readAsync(slot: number, dst: Uint8Array): Promise<number> {
    return this.file.readAsync(slot, dst).then((r) => this.read(r));
  }

  writeAsync(slot: number, src: Uint8Array): Promise<number> {
    return this.file.writeAsync(slot, src).then((r) => this.write(r));
  }

  close(): void {
    this.file.close();
  }

  /** Why the last read of `slot` was refused, in words, if it was the last one refused. */
  lastReadProblem(slot: number): string | null {
    const p = this.file.check.lastProblem;
    return p === null || p.slot !== slot ? null : describeReadProblem(p.slot, p.problem);
  }

  private read(ret: number): number {
    if (ret < 0) this.readErrors++;
    return ret;
  }

  private write(ret: number): number {
    if (ret < 0) {
      this.writeErrors++;
      this.lastWriteErrno = -ret;
    }
    return ret;
  }
}
