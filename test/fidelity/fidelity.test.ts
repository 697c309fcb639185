/**
 * The fidelity test: the public corpus run through both profiles and all four compressors,
 * counters against the kernels' own (test/fidelity/README.md). Exact counters must be exact,
 * pool_total_size within 1%, compressed bytes within 0.1% (lz4, zstd) or 0.5% (lzo, deflate);
 * in the writeback configuration each counter must lie in the kernel's three-run range. A
 * counter known to diverge is a `todo` subtest that states the measured gap and the reason
 * (docs/zswap.md, "Fidelity"): it runs and reports, and turns green when the model reaches it.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  kernelWb,
  measureNoWb,
  measureWb,
  noWbConfigs,
  type Row,
  unpackCorpus,
} from "./fidelity.ts";

/**
 * Writeback counters outside the kernel's range, with the measured gap (docs/zswap.md,
 * "Fidelity"). The run is deterministic here; the kernel's three runs are not, and these
 * counters depend on where in the pool's fill/drain cycle the swap-out ends and on how the
 * shrink worker and the storing task share the CPU, which the run models as one writeback per
 * store (the kworker yields at each entry's might_sleep point) rather than by time slices.
 */
const KNOWN_DIVERGENT_WB: Readonly<Record<string, string>> = {
  stored_pages: "3288 against 2932..3235: the run ends later in a fill phase than the kernel's",
  pool_total_size: "8921088 against 8560640..8855552 (+0.74%): as stored_pages",
  pool_limit_hit:
    "254 against 68..230: more stores meet the full pool before it drains below the max",
  pswpout: "3675 against 3728..4031: as stored_pages (fewer stores refused at the end)",
  compressed_bytes: "7469282 against 6725915..7403286 (+0.9%): as stored_pages",
};

const corpus = { path: "", remove: () => {} };

describe("fidelity: t80z15-seed12 against Linux 7.3.4 and Debian's 6.12.117", () => {
  before(() => Object.assign(corpus, unpackCorpus()));
  after(() => corpus.remove());

  for (const { profile, compressor, kernel: k } of noWbConfigs()) {
    it(`--profile ${profile} --compressor ${compressor}, max_pool_percent 50: counters as the kernel's`, async () => {
      assert.ok(k !== undefined, `no kernel figures for ${profile} ${compressor}`);
      const { result, rows } = await measureNoWb(corpus.path, profile, k);
      assert.ok(result.verification.ok, "every page came back");
      const bad = rows.filter((row) => !row.ok);
      assert.deepEqual(bad, [], `${profile} ${compressor}: counters off`);
    });
  }

  describe("writeback: 7.3, lz4, max_pool_percent 2, 16 MiB memcg", () => {
    const k = kernelWb();
    let ours: Record<string, number> = {};
    let rows: Row[] = [];
    before(async () => {
      const m = await measureWb(corpus.path, k);
      assert.ok(m.result.verification.ok, "every page came back");
      ours = m.ours;
      rows = m.rows;
    });
    it("every non-zero page is stored, written back or refused exactly once", () => {
      const n = (c: string) => ours[c] ?? Number.NaN;
      const refused = n("pswpout") - n("zswpwb");
      assert.equal(n("zswpout") + refused + n("swpout_zero"), 8192);
    });
    for (const c of Object.keys(k)) {
      const v = k[c];
      if (!Array.isArray(v) || typeof v[0] !== "number" || c === "mem_total_kb") continue;
      const todo = KNOWN_DIVERGENT_WB[c];
      it(
        `${c} in the kernel's range`,
        todo === undefined ? {} : { todo: `known divergent: ${todo}` },
        () => {
          const row = rows.find((x) => x.counter === c);
          assert.ok(row !== undefined);
          assert.ok(row.ok, `${c}: kernel ${row.kernel}, ours ${row.ours}`);
        },
      );
    }
  });
});
