export interface Column<Row> {
  title: string;
  value: (row: Row) => string | number | null | undefined;
  /** Decimal places for numbers (default: as they are). */
  digits?: number;
}

function cell(value: string | number | null | undefined, digits?: number): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return value > 0 ? '∞' : value < 0 ? '-∞' : 'NaN';
    return digits === undefined ? String(value) : value.toFixed(digits);
  }
  return value.replace(/\|/g, '\\|');
}

/** A GitHub-flavoured Markdown table. */
export function markdownTable<Row>(rows: Row[], columns: Column<Row>[]): string {
  const lines = [
    `| ${columns.map((c) => c.title).join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${columns.map((c) => cell(c.value(row), c.digits)).join(' | ')} |`),
  ];
  return `${lines.join('\n')}\n`;
}
