/** The /proc/vmstat events that the swap layer and zswap count, with the kernel's names. */
export interface VmEvents {
  zswpout: number;
  zswpin: number;
  zswpwb: number;
  pswpout: number;
  pswpin: number;
  swpout_zero: number;
  swpin_zero: number;
}

export function newVmEvents(): VmEvents {
  return { zswpout: 0, zswpin: 0, zswpwb: 0, pswpout: 0, pswpin: 0, swpout_zero: 0, swpin_zero: 0 };
}
