/** The scopes a partner can be granted; every /v1 route declares the one it needs (deny by default). */
export const SCOPES = [
  'records:write',
  'records:read',
  'subjects:read',
  'checks:run',
  'objections:write',
  'connectors:admin',
  'pii:read',
  // beyond the list, for the routes that decide on objections and repairs, and monitoring reads
  'objections:decide',
  'repairs:decide',
  'monitoring:read',
  // delivery to platforms: re-delivering a record after the platform's rejection
  'deliveries:admin',
] as const;

export type Scope = (typeof SCOPES)[number];

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}
