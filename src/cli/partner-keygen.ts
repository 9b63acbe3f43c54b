/**
 * npm run partner:keygen -- --id <agency USCC> --name <name> [--alg ES256|PS256|EdDSA] [--out ./partner-keys]
 *     [--scopes records:write,subjects:read] [--categories dishonest_debtor] [--regions 32]
 * Makes a key pair, keeps the private JWK in --out (mode 0600; it never leaves the agency), and
 * prints the registry entry for the gateway's config (auth.partners) with the public key inline.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { exportJWK, generateKeyPair } from 'jose';
import { stringify } from 'yaml';
import { isPartnerAlgorithm, PARTNER_ALGORITHMS } from '../auth/jws-algorithms.js';
import { isScope } from '../domain/scopes.js';
import { checkUscc } from '../domain/uscc.js';

const { values } = parseArgs({
  options: {
    id: { type: 'string' },
    name: { type: 'string' },
    alg: { type: 'string', default: 'ES256' },
    out: { type: 'string', default: './partner-keys' },
    scopes: { type: 'string', default: 'records:read' },
    categories: { type: 'string', default: '' },
    regions: { type: 'string', default: '' },
  },
});

function fail(message: string): never {
  process.stderr.write(`partner:keygen: ${message}\n`);
  process.exit(2);
}

const id = checkUscc(values.id ?? '');
if (!values.id || !id.ok) fail(`--id must be the agency's USCC (${id.errors.map((e) => e.en).join('; ') || 'missing'})`);
if (!values.name) fail('--name is required');
const alg = values.alg!;
if (!isPartnerAlgorithm(alg)) fail(`--alg must be one of ${PARTNER_ALGORITHMS.join(', ')}`);
const scopes = values.scopes!.split(',').map((s) => s.trim()).filter(Boolean);
const badScope = scopes.find((s) => !isScope(s));
if (badScope) fail(`unknown scope "${badScope}"`);
const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

const kid = `${id.code.slice(-6).toLowerCase()}-${new Date().toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(3).toString('hex')}`;
const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
const privateJwk = { ...(await exportJWK(privateKey)), kid, alg };
const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };

const dir = resolve(values.out!);
mkdirSync(dir, { recursive: true, mode: 0o700 });
const keyFile = join(dir, `${id.code}-${kid}.private.jwk.json`);
writeFileSync(keyFile, JSON.stringify({ partnerId: id.code, ...privateJwk }, null, 2) + '\n', { mode: 0o600, flag: 'wx' });

const entry = {
  id: id.code,
  name: values.name,
  jwks: { keys: [publicJwk] },
  scopes,
  categories: list(values.categories!),
  regions: list(values.regions!),
  rateLimit: { requests: 600, perSeconds: 60 },
  cidrs: [],
};
process.stderr.write(`private key written to ${keyFile} (keep it at the agency; never send it)\n`);
if (scopes.includes('records:write') && (!entry.categories.length || !entry.regions.length)) {
  process.stderr.write('note: no --categories or no --regions given: this agency may not write any record until they are filled in\n');
}
process.stderr.write('registry entry for the gateway config, under auth.partners:\n');
process.stdout.write(stringify([entry]));
