/**
 * Prints the fidelity table: every configuration of test/fidelity/ (profile x compressor, and
 * the writeback one), each counter, the kernel's figure against ours.
 *
 *   npx tsx scripts/fidelity_table.ts
 */
import {
  COMPRESSORS,
  compareNoWb,
  compareWb,
  kernelNoWb,
  kernelWb,
  nowbKey,
  ourCounters,
  PROFILES,
  type Row,
  runNoWb,
  runWb,
  unpackCorpus,
} from "../test/fidelity/fidelity.ts";

function table(title: string, rows: Row[]): string {
  const lines = [
    `### ${title}`,
    "",
    "| counter | kernel | ours | |",
    "| --- | ---: | ---: | --- |",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.counter} | ${r.kernel} | ${r.ours} | ${r.ok ? "ok" : `OFF ${r.divergence ?? ""}`} |`,
    );
  }
  return `${lines.join("\n")}\n`;
}

const corpus = unpackCorpus();
try {
  const kernels = kernelNoWb();
  for (const profile of PROFILES) {
    for (const compressor of COMPRESSORS) {
      const k = kernels[nowbKey(profile, compressor)];
      if (k === undefined) continue;
      const r = await runNoWb(corpus.path, profile, k);
      process.stdout.write(
        `${table(`${profile} ${compressor} (${k.kernel}), max_pool_percent 50`, compareNoWb(k, ourCounters(r)))}\n`,
      );
    }
  }
  const k = kernelWb();
  const r = await runWb(corpus.path, k);
  process.stdout.write(
    table(
      "7.3 lz4, max_pool_percent 2, memcg 16M (kernel: three runs)",
      compareWb(k, ourCounters(r)),
    ),
  );
} finally {
  corpus.remove();
}
