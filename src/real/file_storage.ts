/**
 * FileStorage: a real swap file, one 4 KiB page per slot at offset slot * 4096.
 *
 * Synchronous reads and writes are pread/pwrite (fs.readSync/writeSync); asynchronous ones are
 * pread/pwrite on libuv's thread pool (fs.read/fs.write) on the same descriptor. Not the
 * fs.promises FileHandle API, for two reasons: `close()` is synchronous in SwapStorage and a
 * FileHandle can only be closed asynchronously (closing its descriptor under it invites a
 * double close of a reused descriptor); and per 4 KiB page the callback API is faster
 * (measured here: ~3 us vs ~9 us per read with 64 in flight, ~29 us vs ~40 us one at a time).
 *
 * Errors are values on this path, as in the swap layer: 0 on success, a negative errno
 * (-ENOSPC, -EIO, ...) on failure. Only opening the file throws (a SwapFileError). A read gives
 * a whole page of what was written, or -EIO: never fewer bytes, never zeros where data was
 * (slot_check.ts), and with `checksums` never a changed byte.
 *
 * @example
 * const swap = FileStorage.open({ nrSlots: 1024 }); // a temporary file in os.tmpdir()
 * swap.writeSync(3, page);                          // 0, or -ENOSPC on a full disk
 * await swap.readAsync(3, dst);
 * swap.close();                                     // closes and removes the temporary file
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { constants as osConstants, tmpdir } from "node:os";
import { join } from "node:path";
import { EIO } from "../kernel/errno.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import type { SwapStorage } from "../mm/swap_storage.ts";
import { SlotCheck } from "./slot_check.ts";
import { describeFsError, openSwapPath, SwapFileError } from "./swap_path.ts";

export { describeFsError, SwapFileError };

type IoCallback = (err: NodeJS.ErrnoException | null, bytes: number) => void;

/** The positional I/O calls FileStorage makes; replaceable for fault tests (a full disk). */
export interface FileIo {
  readSync(fd: number, buf: Uint8Array, off: number, len: number, pos: number): number;
  writeSync(fd: number, buf: Uint8Array, off: number, len: number, pos: number): number;
  read(fd: number, buf: Uint8Array, off: number, len: number, pos: number, cb: IoCallback): void;
  write(fd: number, buf: Uint8Array, off: number, len: number, pos: number, cb: IoCallback): void;
}

export const nodeFileIo: FileIo = {
  readSync: (fd, buf, off, len, pos) => fs.readSync(fd, buf, off, len, pos),
  writeSync: (fd, buf, off, len, pos) => fs.writeSync(fd, buf, off, len, pos),
  read: (fd, buf, off, len, pos, cb) => fs.read(fd, buf, off, len, pos, cb),
  write: (fd, buf, off, len, pos, cb) => fs.write(fd, buf, off, len, pos, cb),
};

export interface FileStorageOptions {
  /**
   * The swap file: a regular file (created; an existing one only with `overwrite`) or a block
   * device (only with `overwrite`); kept on close. Default: a new temp file, removed on close.
   */
  readonly path?: string;
  readonly nrSlots: number;
  /** Use an existing file or a block device, destroying what it holds (default false). */
  readonly overwrite?: boolean;
  /** Keep a 64-bit checksum per written slot and refuse (-EIO) a read that does not match. */
  readonly checksums?: boolean;
  /** Replaces the positional I/O calls (tests inject -ENOSPC / -EIO here). */
  readonly io?: FileIo;
}

/** Bound on the partial transfers that make up one page (each moves at least one byte). */
const TRANSFERS_MAX = PAGE_SIZE;

export class FileStorage implements SwapStorage {
  private closed = false;
  /** Asynchronous transfers not yet completed; the descriptor stays open until they are. */
  private pending = 0;
  private fdOpen = true;

  private constructor(
    readonly path: string,
    readonly nrSlots: number,
    /** True when this storage created the file in the temp dir and removes it on close. */
    readonly temporary: boolean,
    private readonly fd: number,
    private readonly io: FileIo,
    /** What each slot should hold: refuses short, vanished and (with checksums) changed reads. */
    readonly check: SlotCheck,
  ) {}

  /** Opens the swap file (see FileStorageOptions.path) sized to nrSlots pages (sparse). */
  static open(opts: FileStorageOptions): FileStorage {
    const { nrSlots } = opts;
    if (!Number.isSafeInteger(nrSlots) || nrSlots < 1 || nrSlots * PAGE_SIZE > 2 ** 52) {
      throw new SwapFileError(
        `Cannot create swap file: expected nrSlots to be an integer in 1..${2 ** 40}, got ${nrSlots}`,
      );
    }
    const temporary = opts.path === undefined;
    const path =
      opts.path ?? join(tmpdir(), `zswap-ts-${process.pid}-${randomBytes(6).toString("hex")}.swap`);
    // A temporary name is new (wx+, inside openSwapPath); it is removed on exit from now on.
    if (temporary) trackTemporary(path);
    let fd: number;
    try {
      fd = openSwapPath(path, nrSlots, opts.overwrite === true).fd;
    } catch (e) {
      if (temporary) untrackTemporary(path);
      throw e;
    }
    const check = new SlotCheck(nrSlots, opts.checksums === true);
    return new FileStorage(path, nrSlots, temporary, fd, opts.io ?? nodeFileIo, check);
  }

  readSync(slot: number, dst: Uint8Array): number {
    this.checkArgs(slot, dst, "read");
    let done = 0;
    try {
      for (let i = 0; i < TRANSFERS_MAX && done < PAGE_SIZE; i++) {
        const n = this.io.readSync(this.fd, dst, done, PAGE_SIZE - done, slot * PAGE_SIZE + done);
        if (n === 0) break;
        done += n;
      }
    } catch (e) {
      return negativeErrno(e);
    }
    // The file is sized to nrSlots pages, so a short read means it shrank under us.
    return done === PAGE_SIZE ? this.check.read(slot, dst) : this.check.short(slot);
  }

  writeSync(slot: number, src: Uint8Array): number {
    this.checkArgs(slot, src, "write");
    let done = 0;
    try {
      for (let i = 0; i < TRANSFERS_MAX && done < PAGE_SIZE; i++) {
        const n = this.io.writeSync(this.fd, src, done, PAGE_SIZE - done, slot * PAGE_SIZE + done);
        if (n === 0) break;
        done += n;
      }
    } catch (e) {
      return this.written(slot, src, negativeErrno(e));
    }
    return this.written(slot, src, done === PAGE_SIZE ? 0 : -EIO);
  }

  readAsync(slot: number, dst: Uint8Array): Promise<number> {
    this.checkArgs(slot, dst, "read");
    return this.transferAsync(this.io.read, slot, dst).then((done) => {
      if (done < 0) return done;
      return done === PAGE_SIZE ? this.check.read(slot, dst) : this.check.short(slot);
    });
  }

  writeAsync(slot: number, src: Uint8Array): Promise<number> {
    this.checkArgs(slot, src, "write");
    return this.transferAsync(this.io.write, slot, src).then((done) =>
      this.written(slot, src, done < 0 ? done : done === PAGE_SIZE ? 0 : -EIO),
    );
  }

  private written(slot: number, src: Uint8Array, ret: number): number {
    this.check.written(slot, src, ret);
    return ret;
  }

  /**
   * Closes the file, and removes it if it is temporary. Transfers still in flight complete
   * first (the descriptor is closed after the last one); new ones are refused.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.temporary) {
      fs.rmSync(this.path, { force: true });
      untrackTemporary(this.path);
    }
    if (this.pending === 0) this.closeFd();
  }

  private closeFd(): void {
    if (!this.fdOpen) return;
    this.fdOpen = false;
    fs.closeSync(this.fd);
  }

  private checkArgs(slot: number, buf: Uint8Array, what: string): void {
    if (this.closed) throw new Error(`Cannot ${what} swap file ${this.path}: it is closed`);
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.nrSlots) {
      throw new RangeError(
        `Cannot ${what} swap slot ${slot}: expected 0..${this.nrSlots - 1} (${this.path})`,
      );
    }
    if (buf.length < PAGE_SIZE) {
      throw new RangeError(`Cannot ${what} swap slot ${slot}: buffer holds ${buf.length} bytes`);
    }
  }

  /** Moves one page; resolves with the bytes moved (PAGE_SIZE, or fewer at EOF) or -errno. */
  private transferAsync(
    op: FileIo["read"] | FileIo["write"],
    slot: number,
    buf: Uint8Array,
  ): Promise<number> {
    this.pending++;
    return new Promise<number>((resolve, reject) => {
      let done = 0;
      let transfers = 0;
      const finish = (v: number | { readonly error: unknown }): void => {
        if (--this.pending === 0 && this.closed) this.closeFd();
        if (typeof v === "number") resolve(v);
        else reject(v.error);
      };
      const fail = (e: unknown): void => {
        let v: number | { readonly error: unknown };
        try {
          v = negativeErrno(e);
        } catch {
          v = { error: e }; // not an OS error: a bug, reported rather than turned into -EIO
        }
        finish(v);
      };
      const step = (): void => {
        const cb: IoCallback = (err, n) => {
          if (err !== null) return fail(err);
          done += n;
          if (done === PAGE_SIZE || n === 0 || ++transfers >= TRANSFERS_MAX) return finish(done);
          step();
        };
        try {
          op(this.fd, buf, done, PAGE_SIZE - done, slot * PAGE_SIZE + done, cb);
        } catch (e) {
          fail(e);
        }
      };
      step();
    });
  }
}

/**
 * The negative errno of an fs error (-28 for ENOSPC). Anything that is not an OS error (a bad
 * argument) is a programmer error and is rethrown.
 */
export function negativeErrno(e: unknown): number {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  const errno =
    code === undefined ? undefined : (osConstants.errno as Record<string, number>)[code];
  if (errno === undefined) throw e;
  return -errno;
}

// Temporary files are removed on close, and on process exit if close never came.
const temporaries = new Set<string>();
let exitHookInstalled = false;

function trackTemporary(path: string): void {
  temporaries.add(path);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const p of temporaries) fs.rmSync(p, { force: true });
  });
}

function untrackTemporary(path: string): void {
  temporaries.delete(path);
}
