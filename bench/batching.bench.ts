/**
 * Compress batching (issue #14, docs/batching.md): the usemem job's store throughput, baseline
 * (profile latest: page by page on the calling thread) against batching (7.3-batching), in one
 * run, for 64K and 2M (PMD) folios:
 *
 * - deflate-iaa: batched on ENGINES worker-thread engines vs the same codec sequentially on one
 *   thread (goal on a 2-core machine: >= 1.6x throughput);
 * - zstd: software batching (compr_batch_size 1, store batches of 8) vs not (goal: within 3%).
 *
 * Each figure is the median of REPEAT alternating runs. A measurement, not a test: on a machine
 * shared with other work, a run with more threads also gets a larger share of the CPUs, so
 * read the CPU-time column too. Run: `npx tsx bench/index.ts batching`.
 */
import { runUsemem, type UsememConfig, usememText } from "../src/cli/usemem_job.ts";
import { DEFAULT_MIX, generateCorpus } from "../src/workload/corpus.ts";

const ENGINES = 2;
const PRODUCERS = 2;
const BYTES_PER_PRODUCER = 16 * 2 ** 20;
const REPEAT = 5;

export async function benchBatching(): Promise<void> {
  const corpus = generateCorpus({ sizeBytes: BYTES_PER_PRODUCER, seed: 1, mix: DEFAULT_MIX });
  const summary: string[] = [];
  for (const compressor of ["deflate-iaa", "zstd"]) {
    for (const folioPages of [16, 512]) {
      const c: UsememConfig = {
        producers: PRODUCERS,
        bytesPerProducer: BYTES_PER_PRODUCER,
        folioPages,
        compressor,
        iaaEngines: compressor === "deflate-iaa" ? ENGINES : 0,
        iaaSyncMode: "async",
        cpus: 2,
        repeat: REPEAT,
      };
      const r = await runUsemem(c, corpus);
      process.stdout.write(`${usememText(r)}\n`);
      summary.push(
        `${compressor.padEnd(12)} ${folioPages === 512 ? "2M " : "64K"}  throughput x${r.ratio.throughput.toFixed(2)}  elapsed x${r.ratio.elapsed.toFixed(2)}  cpu x${r.ratio.cpu.toFixed(2)}`,
      );
    }
  }
  process.stdout.write(`batching / baseline (medians of ${REPEAT}):\n${summary.join("\n")}\n`);
}
