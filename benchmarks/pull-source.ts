/**
 * The fixture source of `npm run bench:pull`, in its own process so that generating and serving the
 * rows does not share the gateway's thread (nor count in its memory). Serves ROWS (argv[2]) generated
 * rows in the real shapes of a city credit portal's 行政处罚 JSON (`{total, rows}` with upper-case
 * `CF_*` fields: shuanggongshi/syscredit-xzcf) and of a trading centre's GBK HTML list, and prints its base URL on the first line of stdout; SIGTERM stops it.
 */
import { ggzyRow } from '../connectors/fixtures-server/generate.js';
import { generatedRows, startFixtureSources } from '../connectors/fixtures-server/server.js';
import { syntheticUscc } from '../src/domain/uscc.js';

/** 行政处罚 row i in the portal's CF_* shape (the keys of connectors/shuanggongshi/fixtures/syscredit/xzcf-page.json). */
function penaltyRow(i: number): Record<string, unknown> {
  const isoDay = (offset: number) => new Date(Date.UTC(2023, 0, 3) + offset * 86_400_000).toISOString().slice(0, 10);
  const day = isoDay(i % 600);
  return {
    RESOURCE_ID: 'DIR-20180902-164730-458', ID: `bench${i}`, PERSON_ID: 'p', CHECK_FLAG: '1', CREATE_DEPT_NAME: '市市场监管局',
    COMP_NAME: `样例餐饮管理有限公司${i}`, CF_XDR_LB: '法人及非法人组织', CF_XDR_SHXYM: syntheticUscc(95_000_000 + i),
    CF_XDR_GSZC: null, CF_XDR_ZZJG: null, CF_XDR_SWDJ: null, CF_XDR_SYDW: null, CF_XDR_SHZZ: null, CF_XDR_ZJLX: null, CF_XDR_ZJHM: null,
    CF_FRDB: `王某${i % 50}`, CF_FR_ZJLX: null, CF_FR_ZJHM: null,
    CF_WSH: `市场【${day.slice(0, 4)}】${i + 1}号`, CF_WFXW: '经营超过保质期的食品', CF_SY: '销售超过保质期的预包装食品', CF_YJ: '《中华人民共和国食品安全法》第一百二十四条',
    CF_CFLB: '罚款', CF_NR: `罚款${2000 + (i % 100) * 100}元`, CF_NR_FK: (2000 + (i % 100) * 100) / 10_000, CF_NR_WFFF: null, CF_NR_ZKDX: null,
    CF_JDRQ: day, CF_YXQ: day, CF_GSJZQ: isoDay((i % 600) + 365),
    CF_CFJG: '双鸭山市市场监督管理局', CF_CFJGDM: '11230500001755309F', CF_SJLY: '双鸭山市市场监督管理局', CF_SJLYDM: '11230500001755309F', BZ: null,
  };
}

const rows = Number(process.argv[2] ?? 100_000);
const htmlPageSize = Number(process.argv[3] ?? 500);
const source = await startFixtureSources();
source.sets.syscreditXzcf = generatedRows(rows, penaltyRow);
source.sets.ggzy = generatedRows(rows, ggzyRow);
source.pageSizes.ggzy = htmlPageSize;
process.stdout.write(`${source.url}\n`);
process.once('SIGTERM', () => {
  void source.close().then(() => process.exit(0));
});
