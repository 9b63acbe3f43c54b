import { ggzyRow, ccgpRow } from './connectors/fixtures-server/generate.js';
import { generatedRows, startFixtureSources } from './connectors/fixtures-server/server.js';
const s = await startFixtureSources({ port: 18199 });
s.sets.ggzy = generatedRows(45, ggzyRow);
s.sets.ccgp = generatedRows(45, ccgpRow);
console.log(s.url);
setTimeout(() => s.close(), 60000);
