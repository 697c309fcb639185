/**
 * Prints the fidelity table: every configuration of test/fidelity/ (profile x compressor, and
 * the writeback one), each counter, the kernel's figure against ours.
 *
 *   npx tsx scripts/fidelity_table.ts
 */
import {
  kernelWb,
  measureNoWb,
  measureWb,
  noWbConfigs,
  type Row,
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
  for (const { profile, compressor, kernel: k } of noWbConfigs()) {
    if (k === undefined) continue;
    const { rows } = await measureNoWb(corpus.path, profile, k);
    const title = `${profile} ${compressor} (${k.kernel}), max_pool_percent 50`;
    process.stdout.write(`${table(title, rows)}\n`);
  }
  const { rows } = await measureWb(corpus.path, kernelWb());
  process.stdout.write(table("7.3 lz4, max_pool_percent 2, memcg 16M (kernel: three runs)", rows));
} finally {
  corpus.remove();
}
