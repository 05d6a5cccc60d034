/**
 * Rows as a plain-text table: a header of the column names, a rule, then one line per row; numbers
 * and numeric-looking cells right-aligned, text left-aligned. No index column, no quotes.
 */
export function formatTable(rows: Array<Record<string, string>>): string {
  if (rows.length === 0) return '';
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((row) => (row[c] ?? '').length)));
  const numeric = columns.map((c) => rows.every((row) => /^[-+]?[\d,.]+(e[-+]?\d+)?$|^-$/.test(row[c] ?? '-')));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [
    line(columns),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((row) => line(columns.map((c) => row[c] ?? ''))),
  ].join('\n');
}
