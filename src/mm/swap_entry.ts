/** swp_entry_t: (swap type, offset). */
export interface SwpEntry {
  readonly type: number;
  readonly offset: number;
}

export function swpEntry(type: number, offset: number): SwpEntry {
  return { type, offset };
}

export function swpKey(e: SwpEntry): string {
  return `${e.type}:${e.offset}`;
}
