/**
 * The kernel's LZ4 block compressor (lib/lz4/lz4_compress.c, LZ4_compress_default for an input
 * under 64 KiB: a 2^13-entry table of 16-bit positions, no dictionary, acceleration 1), as a
 * reference: it is what the lz4 backend's lengths are checked against, not what it runs.
 *
 * The kernel's compressor is a port of LZ4 1.7.3; node-lz4 bundles LZ4 1.9.2, which also tests
 * for a match at the last position where one may start (`forwardIp > mflimitPlusOne` where
 * 1.7.3 stops at `forwardIp > mflimit`). On the few pages where such a last match exists 1.9.2
 * encodes it and comes out 1-6 bytes shorter; everywhere else the two write the same bytes.
 * Over the public corpus this port gives 14,245,038 bytes, both kernels' figure to the byte,
 * and the binding 623 bytes fewer on 211 of 6,554 pages. The backend stays on the binding:
 * this port costs 2.2 times its CPU per page (2.4 times if it only reran the pages that
 * `mayDiffer` flags, 46% of them; medians of 15 paired passes over the corpus, at load average
 * 15, a throwaway script), and lz4 is the fast compressor (docs/compressors.md).
 *
 * What is followed exactly: the hash (Knuth's 2654435761, 13 bits for 16-bit positions), the
 * table zeroed per call, the first byte put before the search, the skip step (one more byte
 * per 64 misses), catch-up, the "test next position" after a match, the end limits (MFLIMIT
 * 12, LASTLITERALS 5) and the limited-output checks when `dst` is below LZ4_COMPRESSBOUND,
 * where the kernel returns 0 (crypto/lz4.c: -EINVAL).
 */

const MINMATCH = 4;
const MFLIMIT = 12;
const LASTLITERALS = 5;
const ML_MASK = 15;
const RUN_MASK = 15;
const SKIP_TRIGGER = 6;
/** LZ4_64Klimit: from here the kernel uses 32-bit positions and another hash (not ported). */
export const LZ4_64K_LIMIT = 64 * 1024 + MFLIMIT - 1;

/** LZ4_COMPRESSBOUND(n). */
export function lz4CompressBound(n: number): number {
  return n + Math.floor(n / 255) + 16;
}

/** The table LZ4_compress_default keeps in its wrkmem for 16-bit positions (2^13 entries). */
export function lz4WorkMemory(): Uint16Array {
  return new Uint16Array(1 << 13);
}

function hash4(v: number): number {
  return Math.imul(v, 2654435761 | 0) >>> 19;
}

/** Common bytes of src[a..] and src[b..], a running up to `limit` (LZ4_count), 4 at a time. */
function count(s: Uint8Array, w: DataView, a: number, b: number, limit: number): number {
  const start = a;
  while (a < limit - 3) {
    const diff = w.getInt32(a, true) ^ w.getInt32(b, true);
    if (diff !== 0) return a - start + ((31 - Math.clz32(diff & -diff)) >>> 3);
    a += 4;
    b += 4;
  }
  while (a < limit && s[a] === s[b]) {
    a++;
    b++;
  }
  return a - start;
}

/**
 * LZ4_compress_default(src, dst, src.length, dst.length) for src.length < LZ4_64K_LIMIT: the
 * compressed length, or 0 where the kernel returns 0 (the output does not fit).
 */
export function lz4CompressKernel(src: Uint8Array, dst: Uint8Array, table: Uint16Array): number {
  const n = src.length;
  if (n >= LZ4_64K_LIMIT) throw new RangeError("lz4CompressKernel: input of 64 KiB or more");
  const w = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const limited = dst.length < lz4CompressBound(n);
  const olimit = dst.length;
  const mflimit = n - MFLIMIT;
  const matchlimit = n - LASTLITERALS;
  let anchor = 0;
  let op = 0;
  table.fill(0);
  if (n < MFLIMIT + 1) return lastLiterals(src, dst, anchor, op, limited);
  let ip = 0;
  table[hash4(w.getInt32(0, true))] = 0;
  ip++;
  let forwardH = hash4(w.getInt32(ip, true));
  for (;;) {
    // Find a match: test positions further apart the longer the search goes.
    let forwardIp = ip;
    let step = 1;
    let searchMatchNb = 1 << SKIP_TRIGGER;
    let match: number;
    do {
      const h = forwardH;
      ip = forwardIp;
      forwardIp += step;
      step = searchMatchNb++ >>> SKIP_TRIGGER;
      if (forwardIp > mflimit) return lastLiterals(src, dst, anchor, op, limited); // 1.9.2: forwardIp > mflimit + 1
      match = table[h]!;
      forwardH = hash4(w.getInt32(forwardIp, true));
      table[h] = ip;
    } while (w.getInt32(match, true) !== w.getInt32(ip, true));
    // Catch up: extend the match backwards over equal bytes.
    while (ip > anchor && match > 0 && src[ip - 1] === src[match - 1]) {
      ip--;
      match--;
    }
    const litLength = ip - anchor;
    let token = op;
    if (
      limited &&
      op + 1 + litLength + (2 + 1 + LASTLITERALS) + Math.floor(litLength / 255) > olimit
    )
      return 0;
    op = writeLength(dst, op, litLength);
    if (litLength < 32) for (let i = anchor; i < ip; i++) dst[op++] = src[i]!;
    else {
      dst.set(src.subarray(anchor, ip), op);
      op += litLength;
    }
    // The match (and, while the next position matches at once, further matches without literals).
    for (;;) {
      dst[op++] = (ip - match) & 0xff;
      dst[op++] = (ip - match) >>> 8;
      let matchCode = count(src, w, ip + MINMATCH, match + MINMATCH, matchlimit);
      ip += MINMATCH + matchCode;
      if (limited && op + (1 + LASTLITERALS) + (matchCode >>> 8) > olimit) return 0;
      if (matchCode >= ML_MASK) {
        dst[token]! += ML_MASK;
        matchCode -= ML_MASK;
        while (matchCode >= 255) {
          dst[op++] = 255;
          matchCode -= 255;
        }
        dst[op++] = matchCode;
      } else dst[token]! += matchCode;
      anchor = ip;
      if (ip > mflimit) return lastLiterals(src, dst, anchor, op, limited);
      table[hash4(w.getInt32(ip - 2, true))] = ip - 2;
      const h = hash4(w.getInt32(ip, true));
      match = table[h]!;
      table[h] = ip;
      if (w.getInt32(match, true) !== w.getInt32(ip, true)) break;
      token = op++;
      dst[token] = 0;
    }
    forwardH = hash4(w.getInt32(++ip, true));
  }
}

/** The run from `anchor` to the end as the last literals: the length, or 0 if it does not fit. */
function lastLiterals(
  src: Uint8Array,
  dst: Uint8Array,
  anchor: number,
  op: number,
  limited: boolean,
): number {
  const run = src.length - anchor;
  if (limited && op + run + 1 + Math.floor((run + 255 - RUN_MASK) / 255) > dst.length) return 0;
  op = writeLength(dst, op, run);
  dst.set(src.subarray(anchor), op);
  return op + run;
}

/**
 * Writes a token at `op` whose literal field says `len`, then the length's extra bytes (255
 * each, then the rest); returns where the literals go. The match field is added later.
 */
function writeLength(dst: Uint8Array, op: number, len: number): number {
  if (len < RUN_MASK) {
    dst[op++] = len << 4;
    return op;
  }
  dst[op++] = RUN_MASK << 4;
  let rest = len - RUN_MASK;
  for (; rest >= 255; rest -= 255) dst[op++] = 255;
  dst[op++] = rest;
  return op;
}

/**
 * Whether LZ4 1.9.2's output `c` of an `n`-byte input could differ from the kernel's: some
 * match in it may have been found by a search step that ended exactly at the last position
 * 1.9.2 tests and 1.7.3 does not (found at f with f + step = n - MFLIMIT + 1). A match found
 * at f covers [f, f + 4) inside [start, end) of its sequence, and the step is at most 1 plus
 * one per 64 positions searched since the literals began, so this is conservative.
 */
export function mayDiffer(c: Uint8Array, len: number, n: number): boolean {
  const critical = n - MFLIMIT + 1;
  let i = 0;
  let pos = 0; // input position of the next literal
  while (i < len) {
    const token = c[i++]!;
    let lit = token >>> 4;
    if (lit === RUN_MASK) [lit, i] = readLength(c, i, lit);
    i += lit;
    const anchor = pos;
    pos += lit;
    if (i >= len) return false; // the last literals: no match
    i += 2;
    let ml = token & ML_MASK;
    if (ml === ML_MASK) [ml, i] = readLength(c, i, ml);
    const start = pos;
    const end = pos + ml + MINMATCH;
    pos = end;
    const maxFound = end - MINMATCH;
    const maxStep = 1 + ((maxFound - anchor) >>> SKIP_TRIGGER);
    if (maxFound + maxStep >= critical && start + 1 <= critical) return true;
  }
  return false;
}

/** A length continued past its token's nibble (255 per byte until one is not): [length, next]. */
function readLength(c: Uint8Array, i: number, len: number): [number, number] {
  let b: number;
  do {
    b = c[i++]!;
    len += b;
  } while (b === 255);
  return [len, i];
}
