/**
 * The sources connector instances read: a source file under connectors/ named by the instance's
 * `source`, or the instance's inline `spec`; for an instance with `exchangeDb`, a table file
 * (`<variant>.table.yaml`) or an inline one, read from the exchange database. Each instance's source
 * is made once; a missing or broken one stops start-up (assertConnectorSources), naming the instance.
 */
import { ConfigError } from '../config/load.js';
import type { Config, ConnectorInstanceConfig } from '../config/types.js';
import { declarativeSource } from './declarative/declarative-source.js';
import { checkSourceSpec, checkTableSpec, sourceSpecs, SourceSpecError, tableSpecs } from './declarative/load-specs.js';
import type { SourceSpec, TableSpec } from './declarative/spec.js';
import { exchangeDbSource } from './exchange-db/exchange-source.js';
import { exchangeDbProblems } from './exchange-db/settings.js';
import type { ConnectorSource } from './types.js';

const inlineSources = new WeakMap<ConnectorInstanceConfig, ConnectorSource>();
const fileSources = new Map<string, ConnectorSource>();
/** an exchange database's source is the instance's own (its table, its connections) */
const exchangeSources = new WeakMap<ConnectorInstanceConfig, ConnectorSource>();

/** The table file of an exchange-database instance (its own inline one, or the named file). */
export function tableSpecOf(name: string, inst: ConnectorInstanceConfig): TableSpec {
  if (inst.spec) return checkTableSpec(inst.spec, `connectors.instances.${name}.spec`);
  const spec = tableSpecs().get(inst.source ?? '');
  if (!spec) {
    throw new SourceSpecError(`connectors.instances.${name}.source`, [`no table file "${inst.source}" (connectors/<connector>/<variant>.table.yaml); known: ${[...tableSpecs().keys()].join(', ')}`]);
  }
  return spec;
}

/** The source file's spec of an instance (its own inline one, or the named file). */
export function specOf(name: string, inst: ConnectorInstanceConfig): SourceSpec {
  if (inst.spec) return checkSourceSpec(inst.spec, `connectors.instances.${name}.spec`);
  const spec = sourceSpecs().get(inst.source ?? '');
  if (!spec) {
    throw new SourceSpecError(`connectors.instances.${name}.source`, [`no source file "${inst.source}"; known: ${[...sourceSpecs().keys()].join(', ')}`]);
  }
  return spec;
}

export function sourceFor(name: string, inst: ConnectorInstanceConfig): ConnectorSource {
  if (inst.exchangeDb) {
    let source = exchangeSources.get(inst);
    if (!source) {
      source = exchangeDbSource(inst.spec ? `${name} (inline)` : inst.source ?? name, tableSpecOf(name, inst), inst.exchangeDb);
      exchangeSources.set(inst, source);
    }
    return source;
  }
  if (inst.spec) {
    let source = inlineSources.get(inst);
    if (!source) {
      source = declarativeSource(`${name} (inline)`, specOf(name, inst));
      inlineSources.set(inst, source);
    }
    return source;
  }
  const id = inst.source ?? '';
  let source = fileSources.get(id);
  if (!source) {
    source = declarativeSource(id, specOf(name, inst));
    fileSources.set(id, source);
  }
  return source;
}

/** Refuses start-up (ConfigError naming the instance) when an instance's source is missing or broken. */
export function assertConnectorSources(config: Pick<Config, 'connectors'>): void {
  const problems: string[] = [];
  for (const [name, inst] of Object.entries(config.connectors.instances)) {
    if (inst.exchangeDb) problems.push(...exchangeDbProblems(name, inst.exchangeDb, inst.enabled));
    try {
      if (inst.exchangeDb) tableSpecOf(name, inst);
      else specOf(name, inst);
    } catch (err) {
      if (!(err instanceof SourceSpecError)) throw err;
      problems.push(err.message);
    }
  }
  if (problems.length) throw new ConfigError(problems);
}

/** The source systems connectors write under: every source file's, and every configured instance's own. */
export function connectorSystems(config: Pick<Config, 'connectors'>): Set<string> {
  const systems = new Set([...sourceSpecs().values(), ...tableSpecs().values()].map((s) => s.system));
  for (const [name, inst] of Object.entries(config.connectors.instances)) {
    if (inst.system) systems.add(inst.system);
    else if (inst.spec) systems.add((inst.exchangeDb ? tableSpecOf(name, inst) : specOf(name, inst)).system);
  }
  return systems;
}
