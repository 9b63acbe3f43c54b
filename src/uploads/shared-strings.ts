/**
 * An XLSX workbook's shared-string table, kept compactly: every string's UTF-8 bytes in one growing
 * buffer, and where each ends. A department's file of 100,000 rows holds about 400,000 distinct
 * strings; kept as JavaScript strings (slices of the XML text they were parsed from) they were
 * about 40 MB of heap that grew with the file and was promoted, so a large upload's memory grew with
 * its size. Here they cost their bytes, outside the heap.
 */
export class SharedStringTable {
  private bytes = Buffer.allocUnsafe(1 << 16);
  private used = 0;
  private ends = new Uint32Array(1 << 10);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Appends the next string (index = the number added before it). */
  add(text: string): void {
    const length = Buffer.byteLength(text, 'utf8');
    if (this.used + length > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + length));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    this.used += this.bytes.write(text, this.used, length, 'utf8');
    if (this.count === this.ends.length) {
      const grown = new Uint32Array(this.ends.length * 2);
      grown.set(this.ends);
      this.ends = grown;
    }
    this.ends[this.count++] = this.used;
  }

  /** The string at `index`, or undefined when the table has none there. */
  get(index: number): string | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) return undefined;
    return this.bytes.toString('utf8', index === 0 ? 0 : this.ends[index - 1], this.ends[index]);
  }
}
