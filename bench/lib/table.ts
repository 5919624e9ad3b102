/** Plain-text table: columns padded to their widest cell, numbers right-aligned. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, col) => Math.max(...cells.map((row) => (row[col] ?? '').length)));
  const numeric = headers.map(
    (_, col) =>
      rows.length > 0 &&
      rows.every((row) => typeof row[col] === 'number' || /^[\d.,x%+-]+( ?(ms|kB|MiB|s))?$/.test(String(row[col]))),
  );
  const line = (row: string[]): string =>
    row
      .map((cell, col) => (numeric[col] ? cell.padStart(widths[col] ?? 0) : cell.padEnd(widths[col] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(cells[0] ?? []), rule, ...cells.slice(1).map(line)].join('\n');
}
