/**
 * What the swap file should hold, slot by slot, so that a read can tell good data from data
 * that vanished or changed under us. The kernel trusts its disk; a file in /tmp is not a disk:
 * anyone can truncate it (reads past the end come back short, and writes past a truncation
 * leave holes that read back as zeros) or modify it.
 *
 * Always kept (1 byte per slot): whether the last write to the slot succeeded and whether it
 * was all zeros. A slot written with data that reads back as all zeros lost it (a hole). With
 * `checksums` (8 more bytes per slot): a 64-bit checksum of what was written, so a changed
 * byte is caught too. Both turn into -EIO, never into wrong bytes.
 */

import { EIO } from "../kernel/errno.ts";
import { checksum64Equals, isZeroPage, pageChecksum64 } from "./page_hash.ts";

const UNWRITTEN = 0;
const ZEROS = 1;
const DATA = 2;
const WRITE_FAILED = 3;

export type ReadProblem = "short" | "vanished" | "checksum" | "write-failed";

export class SlotCheck {
  private readonly state: Uint8Array;
  private readonly sums: Uint32Array | null;
  /** Reads refused, by reason. */
  shortReads = 0;
  vanishedReads = 0;
  checksumErrors = 0;
  /** The last refused read, for the error message. */
  lastProblem: { readonly slot: number; readonly problem: ReadProblem } | null = null;

  constructor(nrSlots: number, checksums: boolean) {
    this.state = new Uint8Array(nrSlots);
    this.sums = checksums ? new Uint32Array(2 * nrSlots) : null;
  }

  get checksums(): boolean {
    return this.sums !== null;
  }

  /** Records a write of `src` to `slot` that returned `ret` (0 or a negative errno). */
  written(slot: number, src: Uint8Array, ret: number): void {
    if (ret < 0) {
      this.state[slot] = WRITE_FAILED;
      return;
    }
    this.state[slot] = isZeroPage(src) ? ZEROS : DATA;
    if (this.sums !== null) pageChecksum64(src, this.sums, 2 * slot);
  }

  /** A read that returned fewer bytes than a page: the file shrank under us. */
  short(slot: number): number {
    this.shortReads++;
    return this.refuse(slot, "short");
  }

  /** Checks a whole page read from `slot`; returns 0, or -EIO if it is not what was written. */
  read(slot: number, dst: Uint8Array): number {
    const state = this.state[slot];
    if (state === WRITE_FAILED) return this.refuse(slot, "write-failed");
    if (state === DATA && isZeroPage(dst)) {
      this.vanishedReads++;
      return this.refuse(slot, "vanished");
    }
    if (this.sums !== null && state !== UNWRITTEN && !checksum64Equals(dst, this.sums, 2 * slot)) {
      this.checksumErrors++;
      return this.refuse(slot, "checksum");
    }
    return 0;
  }

  private refuse(slot: number, problem: ReadProblem): number {
    this.lastProblem = { slot, problem };
    return -EIO;
  }
}

/** Why a read of `slot` was refused, in words (for the one-line error). */
export function describeReadProblem(slot: number, problem: ReadProblem): string {
  switch (problem) {
    case "short":
      return `slot ${slot} lies past the end of the file: it was truncated by someone else`;
    case "vanished":
      return `slot ${slot} reads back as zeros where a page was written: the file was truncated or hole-punched by someone else`;
    case "checksum":
      return `slot ${slot} does not match the checksum of the page written there: the file was modified by someone else`;
    case "write-failed":
      return `the last write to slot ${slot} failed`;
  }
}
