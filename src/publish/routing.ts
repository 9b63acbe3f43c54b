/** Which destinations take which records: category and subject-region rules from config. Pure. */
import type { DestinationConfig } from '../config/load.js';

export function destinationTakes(dest: DestinationConfig, record: { category: string; subject: { region: string } }): boolean {
  const categoryOk = dest.categories.includes('*') || dest.categories.includes(record.category);
  const regionOk = dest.regions.length === 0 || dest.regions.some((prefix) => record.subject.region.startsWith(prefix));
  return categoryOk && regionOk;
}

export function destinationsFor(
  destinations: DestinationConfig[],
  record: { category: string; subject: { region: string } },
): DestinationConfig[] {
  return destinations.filter((d) => destinationTakes(d, record));
}
