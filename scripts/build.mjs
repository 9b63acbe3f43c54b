// npm run build: compiles src/ to dist/ with tsc (tsconfig.build.json), then copies what the compiled
// code reads next to itself: SQL migrations and the console's static files. Config, schemas and source
// files are read from the repository root (or /app in the image), not from dist/.
import { cpSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
rmSync(join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
for (const dir of ['store/migrations', 'console/assets']) {
  cpSync(join(root, 'src', dir), join(root, 'dist', dir), { recursive: true });
}
