/**
 * The fixture source of `npm run bench:pull`, in its own process so that generating and serving the
 * rows does not share the gateway's thread (nor count in its memory). Serves ROWS generated
 * 失信被执行人 rows (argv[2]) and prints its base URL on the first line of stdout; SIGTERM stops it.
 */
import { dishonestRow } from '../connectors/fixtures-server/generate.js';
import { generatedRows, startFixtureSources } from '../connectors/fixtures-server/server.js';

const rows = Number(process.argv[2] ?? 100_000);
const source = await startFixtureSources();
source.sets.dishonest = generatedRows(rows, dishonestRow);
process.stdout.write(`${source.url}\n`);
process.once('SIGTERM', () => {
  void source.close().then(() => process.exit(0));
});
