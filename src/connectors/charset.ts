/**
 * Decoding a source's bytes to text. Many Chinese government sources send GBK or GB18030 (often
 * declared as gb2312); the declared charset is taken from Content-Type, else from an HTML <meta>,
 * else UTF-8. GB2312 and GBK are decoded as GB18030, their superset, so a page that declares GB2312
 * but uses GBK-only characters (common) still decodes correctly.
 */
import iconv from 'iconv-lite';

const SUPERSET: Record<string, string> = { gb2312: 'gb18030', gbk: 'gb18030', 'x-gbk': 'gb18030', cp936: 'gb18030', 'utf8': 'utf-8' };

export function charsetFromContentType(contentType: string | undefined): string | undefined {
  const m = /charset\s*=\s*"?([A-Za-z0-9_-]+)"?/i.exec(contentType ?? '');
  return m?.[1]?.toLowerCase();
}

/** `<meta charset="gbk">` or `<meta http-equiv="Content-Type" content="text/html; charset=gb2312">` in the first 2 KiB. */
export function charsetFromHtmlMeta(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.subarray(0, 2048)).toString('latin1');
  const m = /<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)/i.exec(head);
  return m?.[1]?.toLowerCase();
}

export function decodeBody(bytes: Uint8Array, declared: string | undefined): { text: string; charset: string } {
  const name = (declared ?? 'utf-8').toLowerCase();
  const charset = SUPERSET[name] ?? name;
  if (charset === 'utf-8') return { text: Buffer.from(bytes).toString('utf8').replace(/^\uFEFF/, ''), charset };
  if (!iconv.encodingExists(charset)) throw new Error(`unsupported character set "${declared}"`);
  return { text: iconv.decode(Buffer.from(bytes), charset), charset };
}
