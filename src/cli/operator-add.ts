/**
 * npm run operator:add -- <username>   (password read from stdin, or prompted for)
 * Prints a `console.operators` entry with a scrypt hash for the file named by CONFIG_FILE.
 */
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { hashOperatorPassword } from '../console/operator-password.js';

async function readPassword(): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  if (process.stdin.isTTY) process.stderr.write('password: ');
  for await (const line of rl) {
    rl.close();
    return line;
  }
  return '';
}

async function main(): Promise<void> {
  const username = process.argv[2];
  if (!username || !/^[A-Za-z0-9._-]{1,64}$/.test(username)) {
    process.stderr.write('usage: npm run operator:add -- <username>  (letters, digits, . _ -; password on stdin)\n');
    process.exit(2);
  }
  const password = await readPassword();
  if (password.length < 12) {
    process.stderr.write('operator:add: the password must have at least 12 characters\n');
    process.exit(2);
  }
  const entry = { console: { operators: [{ username, passwordHash: await hashOperatorPassword(password) }] } };
  process.stderr.write('# add to the file named by CONFIG_FILE (merge with any operators already there):\n');
  process.stdout.write(stringify(entry));
}

void main();
