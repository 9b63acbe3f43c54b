/** Signed uploads for the upload tests: send a file, follow its progress to the end, fetch its feedback file. */
import ExcelJS from 'exceljs';
import { expect, vi } from 'vitest';
import { signRequest } from '../../src/client/sign-request.js';
import { TEST_AUDIENCE, type TestPartner } from '../../src/dev/partner.js';
import { XLSX_TYPE } from '../../src/uploads/inspect.js';

export { XLSX_TYPE };

export async function upload(partner: TestPartner, url: string, bytes: Uint8Array, contentType: string): Promise<{ status: number; body: any }> {
  const headers = await signRequest(
    { partnerId: partner.id, privateKey: partner.privateJwk, kid: partner.kid, alg: partner.alg, audience: TEST_AUDIENCE },
    { method: 'POST', url, body: bytes },
  );
  const res = await fetch(url, { method: 'POST', body: bytes, headers: { ...headers, 'content-type': contentType } });
  return { status: res.status, body: await res.json() };
}

/** Polls GET /v1/uploads/:id until it is done or failed; returns the last answer. */
export async function untilFinished(partner: TestPartner, base: string, id: string, timeout = 120_000): Promise<any> {
  let last: any;
  await vi.waitFor(async () => {
    const res = await partner.signedFetch(`${base}/v1/uploads/${id}`);
    expect(res.status).toBe(200);
    last = await res.json();
    if (last.state !== 'done' && last.state !== 'failed') throw new Error(`upload ${id} still ${last.state}`);
  }, { timeout, interval: 100 });
  return last;
}

export async function feedback(partner: TestPartner, base: string, id: string): Promise<Response> {
  return partner.signedFetch(`${base}/v1/uploads/${id}/feedback`);
}

/** The rows of a workbook's first sheet as texts, by row number (1-based). */
export async function xlsxSheetRows(bytes: ArrayBuffer): Promise<Map<number, string[]>> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes);
  const rows = new Map<number, string[]>();
  workbook.worksheets[0]!.eachRow({ includeEmpty: false }, (row, n) => {
    rows.set(n, (row.values as unknown[]).slice(1).map((v) => (v === null || v === undefined ? '' : String(v))));
  });
  return rows;
}
