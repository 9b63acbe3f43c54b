/**
 * The benchmark's department file: the 行政处罚 template's 填报 layout (row 1 headings, row 2 keys)
 * with `rows` rows built from the template's example, each with its own source key and organisation
 * (a valid USCC), written with exceljs's streaming writer to a file by a child process.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import { scratchDir } from '../../src/dev/scratch-dir.js';
import { syntheticUscc } from '../../src/domain/uscc.js';
import { categoryTemplate } from '../../src/templates/template.js';
import { DATA_SHEET } from '../../src/templates/xlsx.js';

async function writePenaltyFile(rows: number, filename: string): Promise<void> {
  const template = categoryTemplate('admin_penalty');
  const example = template.examples[0]!;
  const writer = new ExcelJS.stream.xlsx.WorkbookWriter({ filename, useStyles: false, useSharedStrings: true });
  const sheet = writer.addWorksheet(DATA_SHEET);
  sheet.addRow(template.columns.map((c) => c.heading)).commit();
  sheet.addRow(template.columns.map((c) => c.key)).commit();
  for (let i = 0; i < rows; i++) {
    const uscc = syntheticUscc(1_000_000 + i);
    const row: Record<string, string> = {
      ...example, 'source.key': `bench-upload-${i}`, 'subject.uscc': uscc, 'subject.name': `某某商贸有限公司${i}`,
      'data.CF_XDR_SHXYM': uscc, 'data.CF_XDR_MC': `某某商贸有限公司${i}`, 'data.CF_WSH': `某市监罚〔2024〕${i}号`,
    };
    sheet.addRow(template.columns.map((c) => row[c.key] ?? '')).commit();
  }
  sheet.commit();
  await writer.commit();
}

/** The file, written by a child process (so its writer's memory is not counted in the benchmark's). */
export async function penaltyUploadFile(rows: number): Promise<Buffer> {
  const filename = join(scratchDir('gw-bench-upload-'), 'upload.xlsx');
  execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), String(rows), filename], { stdio: 'inherit' });
  return readFile(filename);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writePenaltyFile(Number(process.argv[2]), process.argv[3]!);
}
