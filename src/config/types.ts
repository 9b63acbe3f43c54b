/**
 * The validated configuration as the rest of the code sees it: every type here is derived from the
 * JSON Schema in schema.ts (json-schema-to-ts), with defaulted keys present, so the two cannot drift
 * apart. Named parts are the schema's parts.
 */
import type { FromSchema } from 'json-schema-to-ts';
import type { configSchema } from './schema.js';

export type Config = FromSchema<typeof configSchema>;

export type DestinationConfig = Config['destinations'][number];
export type ConnectorsConfig = Config['connectors'];
/** HTTP behaviour of a connector towards its source (defaults, overridable per instance). */
export type ConnectorHttpConfig = Omit<
  ConnectorsConfig['defaults'], 'invalidThreshold' | 'removalAfterRuns' | 'removalMaxShare' | 'removalBrakeMinRecords' | 'timeZone'
>;
export type ConnectorInstanceConfig = ConnectorsConfig['instances'][string];
export type ConnectorAuthConfig = ConnectorInstanceConfig['auth'];
export type PublicationPeriodsConfig = Config['publicationPeriods'];
export type PublicationRegimeConfig = PublicationPeriodsConfig['regimes'][number];
/** Periods by severity; a category without its own entry uses the regime's "*" entry (which has all three). */
export type SeverityPeriodsConfig = Partial<PublicationRegimeConfig['rules']['*']>;
/** A minimum and maximum publication period, in months. */
export type PeriodRangeConfig = PublicationRegimeConfig['rules']['*']['minor'];
/** A joint-punishment measure (联合惩戒措施) and the records it applies to. */
export type MeasureConfig = Config['measures'][number];
export type MonitoringConfig = Config['monitoring'];
export type ConsoleConfig = Config['console'];
export type AuthConfig = Config['auth'];
/** A registered partner agency (README "Onboarding a partner agency"). */
export type PartnerConfig = AuthConfig['partners'][number];
/** A connector instance's exchange database (前置库): table, paging, feedback (src/connectors/exchange-db/). */
export type ExchangeDbConfig = NonNullable<ConnectorInstanceConfig['exchangeDb']>;
export type DeliveryConfig = NonNullable<DestinationConfig['delivery']>;
/** The delivery ways' own configurations (DeliveryConfig is their union, by `way`). */
export type FileDeliveryConfig = Extract<DeliveryConfig, { way: 'file' }>;
export type ServiceDeliveryConfig = Extract<DeliveryConfig, { way: 'service' }>;
export type DatabaseDeliveryConfig = Extract<DeliveryConfig, { way: 'database' }>;
export type UploadsConfig = Config['uploads'];
