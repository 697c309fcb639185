/**
 * A ZswapInstance's control calls: zswap parameters (sysfs), CPU hotplug, and the memcg
 * shrinker. The instance delegates to these; see zswap_instance.ts for their contracts.
 */
import { cpuDown, cpuUp } from "../kernel/cpu_updown.ts";
import { EBUSY } from "../kernel/errno.ts";
import { ParamError } from "../zswap/params.ts";
import { zswapShrinkerCount, zswapShrinkerScan } from "../zswap/shrinker.ts";
import { zswapParamSet } from "../zswap/zswap.ts";
import { ZswapError } from "./errors.ts";
import type { InstanceCore } from "./instance_core.ts";
import { paramText } from "./options.ts";
import { describe, type ParamValue } from "./types.ts";

/** ZswapInstance.setParam. */
export async function instanceSetParam(
  c: InstanceCore,
  name: string,
  value: ParamValue,
): Promise<void> {
  c.checkOpen();
  if (c.par?.queues) return c.par.call(`set ${name}`, () => instanceSetParam(c, name, value));
  const text = paramText(name, value);
  let ret: number;
  try {
    ret = await c.exec(`set ${name}`, zswapParamSet(c.kernel, name, text));
  } catch (e) {
    if (e instanceof ParamError) throw new ZswapError("EINVAL", e.message, { cause: e });
    throw e;
  }
  if (ret === 0) return;
  if (name === "enabled") {
    throw new ZswapError(
      "EINVAL",
      "Cannot set enabled: zswap has no pool (its creation failed at setup)",
    );
  }
  throw new ZswapError("ENOMEM", `Cannot set ${name} to '${text}': the kernel returned ${ret}`);
}

/** ZswapInstance.cpuOffline (cpu_down). */
export async function instanceCpuOffline(c: InstanceCore, cpu: number): Promise<void> {
  c.checkCpu(cpu, "take offline");
  if (c.par?.queues) return c.par.call("take a CPU offline", () => instanceCpuOffline(c, cpu));
  const ret = await c.exec(`cpu_down ${cpu}`, cpuDown(c.kernel, cpu), c.controlCpu(cpu));
  c.online = c.kernel.cpus.onlineList();
  if (ret === -EBUSY)
    throw new ZswapError("EBUSY", `Cannot take CPU ${cpu} offline: it is the last online CPU`);
  if (ret !== 0)
    throw new ZswapError("EIO", `Cannot take CPU ${cpu} offline: cpu_down returned ${ret}`);
}

/** ZswapInstance.cpuOnline (cpu_up). */
export async function instanceCpuOnline(c: InstanceCore, cpu: number): Promise<void> {
  c.checkCpu(cpu, "bring online");
  if (c.par?.queues) return c.par.call("bring a CPU online", () => instanceCpuOnline(c, cpu));
  const ret = await c.exec(`cpu_up ${cpu}`, cpuUp(c.kernel, cpu), c.controlCpu(cpu));
  c.online = c.kernel.cpus.onlineList();
  if (ret !== 0)
    throw new ZswapError("ENOMEM", `Cannot bring CPU ${cpu} online: cpu_up returned ${ret}`);
}

/** ZswapInstance.shrink (zswap_shrinker_scan). */
export async function instanceShrink(c: InstanceCore, nrToScan: number): Promise<number> {
  c.checkOpen();
  if (c.par?.queues) return c.par.call("shrink", () => instanceShrink(c, nrToScan));
  if (!Number.isSafeInteger(nrToScan) || nrToScan < 0) {
    throw new ZswapError(
      "EINVAL",
      `Cannot shrink: expected nrToScan to be an integer >= 0, got ${describe(nrToScan)}`,
    );
  }
  return await c.exec(
    "zswap_shrinker_scan",
    zswapShrinkerScan(c.kernel, c.memcg ?? c.z.rootMemcg, nrToScan),
  );
}

/** ZswapInstance.shrinkerCount (zswap_shrinker_count). */
export function instanceShrinkerCount(c: InstanceCore): number {
  c.checkOpen();
  return zswapShrinkerCount(c.kernel, c.memcg ?? c.z.rootMemcg);
}
