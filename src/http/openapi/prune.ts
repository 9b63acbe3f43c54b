/**
 * Leaves out the schema-file components no operation reaches. Every file under schemas/ is bundled
 * (./schema-components.ts); the HTTP document keeps those its paths use, directly or through other
 * components — the Kafka event schemas, for one, belong to the AsyncAPI document and stay out.
 */

interface Document {
  paths: Record<string, unknown>;
  components: { schemas: Record<string, unknown> } & Record<string, unknown>;
}

const SCHEMA_REF = /^#\/components\/schemas\/([^/]+)/;

function collectRefs(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) {
    for (const item of node) collectRefs(item, into);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    const m = key === '$ref' && typeof value === 'string' ? SCHEMA_REF.exec(value) : null;
    if (m) into.add(decodeURIComponent(m[1]!));
    else collectRefs(value, into);
  }
}

/** The schema components reachable from the paths and from the other kinds of components. */
function reachableSchemas(doc: Document): Set<string> {
  const { schemas, ...otherComponents } = doc.components;
  const reached = new Set<string>();
  collectRefs([doc.paths, otherComponents], reached);
  const queue = [...reached];
  while (queue.length) {
    const found = new Set<string>();
    collectRefs(schemas[queue.pop()!], found);
    for (const name of found) {
      if (reached.has(name)) continue;
      reached.add(name);
      queue.push(name);
    }
  }
  return reached;
}

/** Removes the components among `candidates` that nothing reaches; returns their names. */
export function pruneUnreachable(doc: Document, candidates: Iterable<string>): string[] {
  const reached = reachableSchemas(doc);
  const removed: string[] = [];
  for (const name of candidates) {
    if (reached.has(name) || !(name in doc.components.schemas)) continue;
    delete doc.components.schemas[name];
    removed.push(name);
  }
  return removed;
}
