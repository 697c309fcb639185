/**
 * zstd (crypto/zstd.c) over zstd-napi's low-level binding (zstd 1.5.7; the 6.12 profile: 1.5.6).
 *
 * The kernel compresses a one-segment request (a page into one buffer) with
 *   zstd_compress_cctx(cctx, dst, dlen, src, slen, &params),
 *   params = zstd_get_params(ZSTD_DEF_LEVEL = 3, ZSTD_MAX_SIZE = 1 << 18)
 *          = ZSTD_getParams(3, 256 KiB, 0)      (the "srcSize <= 256 KB" row of clevels.h)
 *          = {windowLog 18, chainLog 16, hashLog 16, searchLog 1, minMatch 4, targetLength 0,
 *             strategy dfast; contentSizeFlag 1, checksumFlag 0, noDictIDFlag 0},
 * and lib/zstd/zstd_compress_module.c's zstd_compress_cctx is zstd_cctx_init() (reset, pledge
 * slen, set each of those parameters with ZSTD_CCtx_setParameter) then ZSTD_compress2().
 * ZSTD_compress2 shrinks the window and tables to the pledged size (for a page: windowLog 12,
 * hashLog 13, chainLog 12). We make the same calls: the parameters are set once per context
 * (ZSTD_compress2 resets only the session, so they persist) and every page is one
 * ZSTD_compress2 into the caller's buffer.
 *
 * Decompression is ZSTD_decompressDCtx, as zstd_decompress_dctx. The kernel folds every failure
 * into -EINVAL; here a compression that does not fit is -ENOSPC.
 */

import { EINVAL, ENOSPC } from "../../../kernel/errno.ts";
import type { CompressorBackend, CompressorFactory } from "../types.ts";
import {
  loadZstd,
  loadZstd156,
  ZSTD_DST_SIZE_TOO_SMALL,
  type ZstdBinding,
  type ZstdCCtx,
  type ZstdDCtx,
} from "./load.ts";

/** crypto/zstd.c ZSTD_DEF_LEVEL. */
export const ZSTD_DEF_LEVEL = 3;

/**
 * zstd_get_params(ZSTD_DEF_LEVEL, ZSTD_MAX_SIZE), as zstd_cctx_init sets them. Before crypto/zstd.c
 * was converted to acomp it used zstd_get_params(3, 0) (the default row: windowLog 21,
 * hashLog 17, minMatch 5); after shrinking to a page the only difference is minMatch 5.
 */
export const ZSTD_KERNEL_PARAMS = {
  windowLog: 18,
  chainLog: 16,
  hashLog: 16,
  searchLog: 1,
  minMatch: 4,
  targetLength: 0,
  strategy: "dfast",
  contentSizeFlag: 1,
  checksumFlag: 0,
  dictIDFlag: 1,
} as const;

/**
 * 6.12's crypto/zstd.c: zstd_get_params(ZSTD_DEF_LEVEL, 0), the level-3 row for an unknown
 * source size (clevels.h "default" table), given to zstd_compress_cctx. Shrunk to a page as
 * ZSTD_compress2 does, it differs from the later row only in minMatch (5, not 4). 6.12's
 * lengths are not zstd 1.5.7's (zstd-napi 0.0.13's library, whose lengths 7.3.4 gives on the
 * public corpus; the kernels' lib/zstd versions were not read, only their lengths compared):
 * at these parameters 1.5.7 finds other matches: on the public corpus zstd 1.5.7 gives
 * 10,123,568 bytes, zstd 1.5.6 and 1.5.5 give 10,125,882, the 6.12 kernel's figure to the byte,
 * so this profile compresses with zstd 1.5.6 (zstd-napi 0.0.8 under the alias zstd-napi-1.5.6).
 * The unshrunk tables (hashLog 17, chainLog 16) gave 10,102,737 (-0.23%), so the kernel's zstd
 * shrinks too. The workspace (zstd_cctx_workspace_bound of these parameters) decides no byte.
 */
export const ZSTD_KERNEL_PARAMS_6_12 = {
  ...ZSTD_KERNEL_PARAMS,
  windowLog: 21,
  hashLog: 17,
  minMatch: 5,
} as const;

type ZstdParams = typeof ZSTD_KERNEL_PARAMS | typeof ZSTD_KERNEL_PARAMS_6_12;

class ZstdBackend implements CompressorBackend {
  readonly name = "zstd";
  private readonly cctx: ZstdCCtx;
  private readonly dctx: ZstdDCtx;

  constructor(zstd: ZstdBinding, p: ZstdParams) {
    this.cctx = new zstd.CCtx();
    this.dctx = new zstd.DCtx();
    const set = (param: number, value: number) => this.cctx.setParameter(param, value);
    const C = zstd.CParameter;
    set(C.windowLog, p.windowLog);
    set(C.hashLog, p.hashLog);
    set(C.chainLog, p.chainLog);
    set(C.searchLog, p.searchLog);
    set(C.minMatch, p.minMatch);
    set(C.targetLength, p.targetLength);
    set(C.strategy, zstd.Strategy[p.strategy]);
    set(C.contentSizeFlag, p.contentSizeFlag);
    set(C.checksumFlag, p.checksumFlag);
    set(C.dictIDFlag, p.dictIDFlag);
  }

  compress(src: Uint8Array, dst: Uint8Array): number {
    try {
      return this.cctx.compress2(dst, src);
    } catch (err) {
      return (err as Error).message === ZSTD_DST_SIZE_TOO_SMALL ? -ENOSPC : -EINVAL;
    }
  }

  decompress(src: Uint8Array, dst: Uint8Array): number {
    try {
      return this.dctx.decompress(dst, src);
    } catch {
      return -EINVAL;
    }
  }
}

export const zstdCompressorFactory: CompressorFactory = {
  name: "zstd",
  kernelParams:
    "ZSTD_DEF_LEVEL 3; zstd_get_params(3, 256 KiB) = dfast wlog 18 clog 16 hlog 16 slog 1 mml 4; content size on, checksum off; ZSTD_compress2",
  kernelNoSpaceErrno: -EINVAL,
  create: () => new ZstdBackend(loadZstd(), ZSTD_KERNEL_PARAMS),
};

/** 6.12's zstd wrapper: the default-row parameters (ZSTD_KERNEL_PARAMS_6_12). */
export const zstd612CompressorFactory: CompressorFactory = {
  name: "zstd",
  kernelParams:
    "6.12: ZSTD_DEF_LEVEL 3; zstd_get_params(3, 0) = dfast wlog 21 clog 16 hlog 17 slog 1 mml 5; content size on, checksum off; zstd 1.5.6",
  kernelNoSpaceErrno: -EINVAL,
  create: () => new ZstdBackend(loadZstd156(), ZSTD_KERNEL_PARAMS_6_12),
};
