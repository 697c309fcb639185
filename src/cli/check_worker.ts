/**
 * A worker thread of `check --jobs N` (check_jobs.ts): it runs parts of split searches
 * (src/check/split.ts) on request, one at a time, and answers with the part's result.
 */
import { parentPort } from "node:worker_threads";
import { designWithClaim } from "../check/check_token.ts";
import { scenarioProgram } from "../check/harness.ts";
import { scenarioById } from "../check/scenarios/index.ts";
import { explorePart } from "../check/split.ts";
import type { PartReply, PartRequest } from "./check_jobs.ts";
import { loadDesignFile } from "./design_file.ts";

const loaded = new Set<string>();

async function answer(req: PartRequest): Promise<PartReply> {
  try {
    if (req.designFile !== undefined && !loaded.has(req.designFile)) {
      await loadDesignFile(req.designFile, req.loadTimeoutMs);
      loaded.add(req.designFile);
    }
    const program = scenarioProgram(
      designWithClaim(req.design),
      scenarioById(req.scenario),
      req.program,
    );
    return { id: req.id, part: explorePart(program, req.index, req.count, req.part) };
  } catch (e) {
    return { id: req.id, error: (e as Error).message };
  }
}

parentPort?.on("message", (req: PartRequest) => {
  answer(req).then((reply) => parentPort?.postMessage(reply));
});
