/** The connector types the gateway knows, by the `type` named in config. */
import { bidding } from '../../connectors/bidding/index.js';
import { courtDishonest } from '../../connectors/court-dishonest/index.js';
import { courtJudgments } from '../../connectors/court-judgments/index.js';
import { httpJson } from '../../connectors/http-json/index.js';
import { procurement } from '../../connectors/procurement/index.js';
import type { ConnectorType } from '../config/types.js';
import type { ConnectorSource } from './types.js';

export const CONNECTOR_SOURCES: Readonly<Record<ConnectorType, ConnectorSource>> = Object.freeze({
  'court-dishonest': courtDishonest,
  'court-judgments': courtJudgments,
  procurement,
  bidding,
  'http-json': httpJson,
});

export function sourceFor(type: ConnectorType): ConnectorSource {
  return CONNECTOR_SOURCES[type];
}
