/**
 * What a swap path may name, decided before anything is written: as swapon(2) does
 * (claim_swapfile() takes a block device or a regular file, and nothing else, -EINVAL), a swap
 * file is a regular file or a block device. A character device (/dev/zero reads back zeros,
 * /dev/null drops every write), a FIFO, a socket or a directory is refused. An existing file or
 * a block device is overwritten only when the caller says so (`--force`, `overwrite: true`):
 * mkswap would ask too.
 */
import * as fs from "node:fs";
import { getSystemErrorMap } from "node:util";
import { PAGE_SIZE } from "../kernel/page.ts";

/** The swap file cannot be created, opened or sized; the message is one line, for the CLI. */
export class SwapFileError extends Error {
  override name = "SwapFileError";
}

export interface OpenedSwapPath {
  readonly fd: number;
  readonly blockDevice: boolean;
}

/**
 * Opens `path` for nrSlots pages: creates a new regular file, or (with `overwrite`) empties an
 * existing one, or opens a block device holding at least nrSlots pages. Throws SwapFileError.
 */
export function openSwapPath(path: string, nrSlots: number, overwrite: boolean): OpenedSwapPath {
  const st = statOrNull(path);
  if (st === null) return { fd: create(path, nrSlots, "wx+"), blockDevice: false };
  refuseKind(path, st);
  if (!overwrite) {
    const what = st.isBlockDevice()
      ? "is a block device, whose contents would be overwritten"
      : `already exists (${st.size} bytes) and would be overwritten`;
    throw new SwapFileError(
      `Cannot use ${path} as a swap file: it ${what}; pass --force (library: overwrite: true) to use it anyway`,
    );
  }
  if (st.isFile()) return { fd: create(path, nrSlots, "r+"), blockDevice: false };
  return { fd: openBlockDevice(path, nrSlots), blockDevice: true };
}

function statOrNull(path: string): fs.Stats | null {
  try {
    return fs.statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new SwapFileError(`Cannot use ${path} as a swap file: ${describeFsError(e)}`);
  }
}

/** Throws unless `st` is a regular file or a block device. */
function refuseKind(path: string, st: fs.Stats): void {
  if (st.isFile() || st.isBlockDevice()) return;
  const kind = st.isCharacterDevice()
    ? "a character device"
    : st.isFIFO()
      ? "a FIFO"
      : st.isDirectory()
        ? "a directory"
        : st.isSocket()
          ? "a socket"
          : "not a regular file";
  throw new SwapFileError(
    `Cannot use ${path} as a swap file: it is ${kind}; expected a regular file (created if it does not exist) or a block device`,
  );
}

/** Creates (wx+) or reopens and empties (r+) a regular file, sized to nrSlots pages (sparse). */
function create(path: string, nrSlots: number, flags: "wx+" | "r+"): number {
  let fd: number;
  try {
    fd = fs.openSync(path, flags, 0o600);
  } catch (e) {
    throw new SwapFileError(`Cannot create swap file ${path}: ${describeFsError(e)}`);
  }
  try {
    // Between stat and open the path could have become something else: look again.
    refuseKind(path, fs.fstatSync(fd));
    // Old contents go: a slot never written reads back as zeros, not as someone's data.
    fs.ftruncateSync(fd, 0);
    fs.ftruncateSync(fd, nrSlots * PAGE_SIZE);
  } catch (e) {
    fs.closeSync(fd);
    if (flags === "wx+") fs.rmSync(path, { force: true });
    if (e instanceof SwapFileError) throw e;
    throw new SwapFileError(
      `Cannot size swap file ${path} to ${nrSlots} pages: ${describeFsError(e)}`,
    );
  }
  return fd;
}

/** Opens a block device and checks that its last needed page can be read (it is big enough). */
function openBlockDevice(path: string, nrSlots: number): number {
  let fd: number;
  try {
    fd = fs.openSync(path, "r+");
  } catch (e) {
    throw new SwapFileError(`Cannot open block device ${path}: ${describeFsError(e)}`);
  }
  let n = 0;
  try {
    if (!fs.fstatSync(fd).isBlockDevice()) throw new Error("it is no longer a block device");
    n = fs.readSync(fd, new Uint8Array(PAGE_SIZE), 0, PAGE_SIZE, (nrSlots - 1) * PAGE_SIZE);
  } catch (e) {
    fs.closeSync(fd);
    throw new SwapFileError(`Cannot use block device ${path}: ${describeFsError(e)}`);
  }
  if (n !== PAGE_SIZE) {
    fs.closeSync(fd);
    throw new SwapFileError(
      `Cannot use block device ${path}: it holds fewer than the ${nrSlots} pages asked for`,
    );
  }
  return fd;
}

/**
 * "ENOENT: no such file or directory" for a Node fs error, from its errno (not its message,
 * which also names the call and the path); any other error's message as it is.
 */
export function describeFsError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const errno = (e as NodeJS.ErrnoException).errno;
  const known = errno === undefined ? undefined : getSystemErrorMap().get(errno);
  return known === undefined ? e.message : `${known[0]}: ${known[1]}`;
}
