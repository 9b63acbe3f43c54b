/**
 * A client generated from the served OpenAPI document compiles and works: openapi-typescript turns
 * /docs/json into types, tsc (strict) checks test/http/generated-client/program.ts against them, and
 * the program — openapi-fetch with a fetch that signs like a partner — pushes a record, reads the
 * subject's profile and runs a check against a real gateway. A documented contract that no longer
 * fits the program (here: the push answer without its summary) fails the type-check.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/config/load.js';
import { authOverrides, makePartner, TEST_AUDIENCE, type TestPartner } from '../../src/dev/partner.js';
import { addDays, chinaDayOf } from '../../src/domain/publication-periods.js';
import { syntheticUscc } from '../../src/domain/uscc.js';
import { scratchDir } from '../../src/dev/scratch-dir.js';
import { startTestGateway, type TestGateway } from '../support/env.js';

const run = promisify(execFile);
const PROGRAM = join(REPO_ROOT, 'test/http/generated-client/program.ts');

let gw: TestGateway;
let partner: TestPartner;
let doc: any;

beforeAll(async () => {
  partner = await makePartner({ scopes: ['records:write', 'records:read', 'subjects:read', 'checks:run'] });
  gw = await startTestGateway(authOverrides([partner]));
  doc = await (await fetch(`${gw.url}/docs/json`)).json();
});

afterAll(async () => {
  await gw?.stop();
  await gw?.db.drop();
});

/** Generates the types of `document` into a fresh directory, with a tsconfig that checks the program against them. */
async function generate(document: unknown): Promise<{ dir: string; tsconfig: string }> {
  const dir = scratchDir('openapi-client-');
  writeFileSync(join(dir, 'api.ts'), astToString(await openapiTS(document as never)));
  const tsconfig = join(dir, 'tsconfig.json');
  writeFileSync(tsconfig, JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023'],
      types: ['node'], typeRoots: [join(REPO_ROOT, 'node_modules/@types')],
      strict: true, noUncheckedIndexedAccess: true, skipLibCheck: true, noEmit: true, verbatimModuleSyntax: true, isolatedModules: true,
      paths: { 'credit-gateway-api': [join(dir, 'api.ts')] },
    },
    files: [PROGRAM],
  }));
  return { dir, tsconfig };
}

/** tsc's exit status and output for the program against the generated types. */
async function typeCheck(tsconfig: string): Promise<{ ok: boolean; output: string }> {
  try {
    await run(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', tsconfig], { cwd: REPO_ROOT });
    return { ok: true, output: '' };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('a client generated from /docs/json', () => {
  it('type-checks strictly, then pushes, reads a profile and runs a check through openapi-fetch', async () => {
    const { tsconfig } = await generate(doc);
    const checked = await typeCheck(tsconfig);
    expect(checked.output).toBe('');
    expect(checked.ok).toBe(true);

    const uscc = syntheticUscc(71_000_001);
    const cleanUscc = syntheticUscc(71_000_002);
    const env = {
      baseUrl: gw.url, partnerId: partner.id, privateJwk: partner.privateJwk, audience: TEST_AUDIENCE,
      sourceSystem: 'sample-dishonest_debtor', uscc, cleanUscc, decidedAt: addDays(chinaDayOf(new Date()), -30),
    };
    const { stdout } = await run(process.execPath, ['--import', 'tsx/esm', PROGRAM], {
      cwd: REPO_ROOT, env: { ...process.env, GENERATED_CLIENT_ENV: JSON.stringify(env) },
    });
    const seen = JSON.parse(stdout);

    expect(seen.pushed).toMatchObject({ status: 200, summary: { created: 1, updated: 0, unchanged: 0, rejected: 0 }, itemStatus: 'created' });
    const { recordId } = seen.pushed;
    expect(recordId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.profile).toMatchObject({ status: 200, uscc, total: 1, negative: 1, recordIds: [recordId], subjectName: '生成客户端样例有限公司' });
    expect(seen.check.status).toBe(200);
    expect(seen.check.summary).toEqual({ codes: 2, invalid: 0, punished: 1, clear: 1 });
    expect(seen.check.results).toEqual([
      { input: uscc, verdict: 'punished', underJointPunishment: true, recordIds: [recordId] },
      { input: cleanUscc, verdict: 'clear', underJointPunishment: false, recordIds: [] },
    ]);
    expect(seen.missing).toEqual({ status: 404, code: 'GW_RECORD_NOT_FOUND' });
  }, 120_000);

  it('fails the type-check when the documented contract no longer fits the program', async () => {
    const changed = structuredClone(doc);
    const answer = changed.components.schemas.BatchAnswer;
    delete answer.properties.summary;
    answer.required = answer.required.filter((name: string) => name !== 'summary');
    const checked = await typeCheck((await generate(changed)).tsconfig);
    expect(checked.ok).toBe(false);
    expect(checked.output).toMatch(/program\.ts.*Property 'summary' does not exist/s);
  }, 120_000);
});
