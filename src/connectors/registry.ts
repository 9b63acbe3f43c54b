/** The connector types the gateway knows, by the `type` named in config. */
import { bidding } from '../../connectors/bidding/index.js';
import { courtDishonest } from '../../connectors/court-dishonest/index.js';
import { courtJudgments } from '../../connectors/court-judgments/index.js';
import { httpJson } from '../../connectors/http-json/index.js';
import { procurement } from '../../connectors/procurement/index.js';
import type { Config, ConnectorType } from '../config/types.js';
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

/** The source systems the configured connectors write under (each type's default, and every instance's own). */
export function connectorSystems(config: Pick<Config, 'connectors'>): Set<string> {
  const systems = new Set(Object.values(CONNECTOR_SOURCES).map((s) => s.system));
  for (const inst of Object.values(config.connectors.instances)) if (inst.system) systems.add(inst.system);
  return systems;
}
