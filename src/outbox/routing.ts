/**
 * Which destinations take which records: category and subject-region rules from config, and — for a
 * destination that requires a USCC — only records whose subject has one (a pending organisation goes
 * there once the subject registry resolves it). Pure.
 */
import type { DestinationConfig } from '../config/load.js';
import { isPendingSubject } from '../domain/record.js';

type Routed = { category: string; subject: { region: string; uscc?: string; kind: string } };

export function destinationTakes(dest: DestinationConfig, record: Routed): boolean {
  const categoryOk = dest.categories.includes('*') || dest.categories.includes(record.category);
  const regionOk = dest.regions.length === 0 || dest.regions.some((prefix) => record.subject.region.startsWith(prefix));
  const usccOk = !dest.requireUscc || !isPendingSubject(record.subject as { uscc?: string; kind: 'person' });
  return categoryOk && regionOk && usccOk;
}

export function destinationsFor(destinations: readonly DestinationConfig[], record: Routed): DestinationConfig[] {
  return destinations.filter((d) => destinationTakes(d, record));
}
