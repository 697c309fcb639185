/**
 * `npx tsx scripts/commute.ts [--seeds n] [--only DxC,...] [--pairs n]`: the commutation test
 * (src/check/commute.ts) over the lifecycle matrix, the engine and the batching scenarios: for `n` random
 * executions of each cell, every adjacent pair of steps the footprints call independent is
 * swapped and run again; prints the pairs swapped and every swap that changed something.
 */
import { commuteExecution, randomBase } from "../src/check/commute.ts";
import { zswapDigest } from "../src/check/commute_digest.ts";
import { DESIGN_COLUMNS } from "../src/check/expected.ts";
import { scenarioProgram } from "../src/check/harness.ts";
import { BATCHING_SCENARIOS } from "../src/check/scenarios/batching.ts";
import { ENGINE_SCENARIOS } from "../src/check/scenarios/engine.ts";
import { LIFECYCLE_SCENARIOS, scenarioById } from "../src/check/scenarios/index.ts";
import { deriveSeed } from "../src/util/rng.ts";
import { designByName } from "../src/zswap/acomp_ctx/index.ts";

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}
const seeds = Number(flag("--seeds") ?? 5);
const pairsMax = Number(flag("--pairs") ?? 1_000_000);
const only = flag("--only")?.split(",");
const cells: Array<[string, string]> = [];
for (const s of LIFECYCLE_SCENARIOS)
  for (const d of DESIGN_COLUMNS) if (!s.notApplicable?.includes(d)) cells.push([d, s.id]);
for (const s of [...ENGINE_SCENARIOS, scenarioById("C26")]) cells.push(["D7", s.id]);
for (const s of BATCHING_SCENARIOS)
  for (const d of ["D7-batch", "D7-batch-v7"])
    if (!s.notApplicable?.includes(d)) cells.push([d, s.id]);
let total = 0;
let bad = 0;
for (const [d, s] of cells) {
  if (only && !only.includes(`${d}x${s}`)) continue;
  const program = scenarioProgram(designByName(d), scenarioById(s));
  let swapped = 0;
  let pairs = 0;
  const fails: string[] = [];
  for (let i = 0; i < seeds; i++) {
    const r = commuteExecution(program, randomBase(deriveSeed(1, i)), zswapDigest, pairsMax);
    swapped += r.swapped;
    pairs += r.pairs;
    for (const f of r.failures) fails.push(`seed ${i} step ${f.index} tasks ${f.tasks}: ${f.what}`);
  }
  total += swapped;
  bad += fails.length;
  process.stdout.write(
    `${fails.length === 0 ? "ok  " : "FAIL"} ${d} x ${s}: ${swapped} of ${pairs} pairs swapped, ${fails.length} changed\n`,
  );
  for (const f of fails.slice(0, 5)) process.stdout.write(`     ${f}\n`);
}
process.stdout.write(`${total} swaps, ${bad} changed something\n`);
process.exit(bad === 0 ? 0 : 1);
