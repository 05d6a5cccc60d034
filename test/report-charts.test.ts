import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { missingChartPackages } from '../lib/report/chart';
import { CHARTS_LEFT_OUT, writeReport } from '../lib/report/write-report';
import { runCliSync } from './helpers/cli-run';

let dir: string;
let withoutVega: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mu-report-'));
  // Preloaded into the CLI: vega and vega-lite resolve as an install without the optional peers does.
  withoutVega = path.join(dir, 'without-vega.js');
  fs.writeFileSync(
    withoutVega,
    `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'vega' || request === 'vega-lite') {
    throw Object.assign(new Error(\`Cannot find module '\${request}'\`), { code: 'MODULE_NOT_FOUND' });
  }
  return resolve.call(this, request, ...rest);
};
`,
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const psnr = (report: string) => ['eval', 'psnr', '--a', 'mnist', '--b', 'mnist', '--n', '4', '--report', report];

describe('eval --report without the chart packages', () => {
  it('says so before any work and writes the JSON and Markdown without charts', () => {
    const report = path.join(dir, 'no-charts');
    const run = runCliSync(psnr(report), { nodeArgs: ['-r', withoutVega] });
    expect(run.status).toBe(0);
    expect(run.stderr.split('\n')[0]).toBe(
      '--report: vega and vega-lite are not installed, so the report is written without charts (JSON and ' +
        'Markdown); npm install vega vega-lite draws them',
    );
    expect(fs.readdirSync(report).sort()).toEqual(['psnr.json', 'psnr.md']);
    expect(fs.readFileSync(path.join(report, 'psnr.md'), 'utf8')).toContain(CHARTS_LEFT_OUT);
    expect(JSON.parse(fs.readFileSync(path.join(report, 'psnr.json'), 'utf8'))).toMatchObject({ images: 4 });
  });

  it('draws the charts when the packages are there', () => {
    expect(missingChartPackages()).toEqual([]);
    const report = path.join(dir, 'charts');
    const run = runCliSync(psnr(report));
    expect(run.status).toBe(0);
    expect(run.stderr).not.toContain('not installed');
    expect(fs.readdirSync(report).sort()).toEqual(['psnr-images.png', 'psnr-images.svg', 'psnr.json', 'psnr.md']);
  });

  it('refuses a --report path it cannot write into before any work', () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');
    for (const [report, why] of [
      [file, `${file} is a file, not a folder`],
      [path.join(file, 'sub'), `${file} is a file, so no folder can be made under it`],
    ]) {
      const run = runCliSync(psnr(report));
      expect(run.status).toBe(1);
      expect(run.stderr).toBe(`missing-u: --report ${report}: ${why}\n`);
    }
  });

  it('writeReport with charts: false leaves a note in place of the charts', async () => {
    const report = path.join(dir, 'api');
    const chart = { kind: 'bar' as const, title: 't', rows: [], category: { field: 'c', title: 'c' }, series: 's' };
    const files = await writeReport(
      report,
      { name: 'x', json: { a: 1 }, markdown: '# X\n', charts: { c: { ...chart, y: { field: 'y', title: 'y' } } } },
      { charts: false },
    );
    expect(files).toEqual([path.join(report, 'x.json'), path.join(report, 'x.md')]);
    expect(fs.readFileSync(files[1], 'utf8')).toBe(`# X\n\n${CHARTS_LEFT_OUT}\n`);
  });
});
