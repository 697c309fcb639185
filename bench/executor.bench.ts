/** Executor throughput: executions per second of a 2-task x 20-step program, random strategy. */
import { runOnce } from "../src/sim/explore.ts";
import { stepper } from "../src/sim/programs_test_util.ts";
import { RandomStrategy } from "../src/sim/strategy_random.ts";
import { median, perSecond } from "./harness.ts";

export async function benchExecutor(): Promise<void> {
  const program = stepper(2, 20);
  let seed = 0;
  await median(
    "executor",
    "2 tasks x 20 steps, random, no trace",
    () => runOnce(program, new RandomStrategy(seed++)),
    perSecond("executions"),
  );
}
