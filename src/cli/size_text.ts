/** Byte counts for people: one formatter for every command's summary. */

/** "1.5 GiB", "64.0 MiB", "12 KiB". */
export function sizeText(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${Math.round(bytes / 2 ** 10)} KiB`;
}
