/** Where a grid's row labels go: one label per row of `rows` tiles of `tileHeight` pixels at `scale`. */
export interface RowLabelGeometry {
  labels: readonly string[];
  tileHeight: number;
  padding: number;
  scale: number;
}

/** The label font's size in pixels: 40% of a scaled tile's height, within 10-32 px. */
export function rowLabelFontSize({ tileHeight, scale }: RowLabelGeometry): number {
  return Math.min(32, Math.max(10, Math.floor(tileHeight * scale * 0.4)));
}

/**
 * The width of the label column: the longest label at 0.6 em a character (wide enough for a generic
 * sans-serif font's average advance), with half an em either side.
 */
export function rowLabelWidth(geometry: RowLabelGeometry): number {
  const size = rowLabelFontSize(geometry);
  const longest = Math.max(...geometry.labels.map((label) => [...label].length));
  return Math.ceil(longest * size * 0.6 + size);
}

const escapeXml = (text: string) =>
  text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);

/**
 * The label column as SVG, `height` pixels tall: each label right-aligned beside the middle of its
 * row. The font is the generic family sans-serif, so no font file ships with missing-u; where no font
 * is installed, librsvg draws placeholder boxes instead of failing.
 */
export function rowLabelsSvg(geometry: RowLabelGeometry, height: number): string {
  const { labels, tileHeight, padding, scale } = geometry;
  const size = rowLabelFontSize(geometry);
  const width = rowLabelWidth(geometry);
  const texts = labels.map((label, row) => {
    const middle = (padding + row * (tileHeight + padding) + tileHeight / 2) * scale;
    return (
      `<text x="${width - size / 2}" y="${middle}" text-anchor="end" dominant-baseline="middle">` +
      `${escapeXml(label)}</text>`
    );
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<g font-family="sans-serif" font-size="${size}" fill="#ffffff">${texts.join('')}</g></svg>`
  );
}
