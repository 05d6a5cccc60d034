import { markdownTable } from '../report/markdown';
import type { Report } from '../report/write-report';
import type { FidResult } from './fid';

/** Where `eval fid`'s two sides came from. */
export interface FidSources {
  real: string;
  fake: string;
  /** The statistics file of the real side, and whether it came from the cache. */
  realStats: string;
  realStatsCached: boolean;
}

/** An FID as Markdown (labelled with its extractor and image counts), JSON and a bar chart. */
export function fidReport(result: FidResult, sources: FidSources): Report {
  const summary = { ...result, ...sources };
  const table = markdownTable(
    [summary],
    [
      { title: 'real', value: (r) => r.real },
      { title: 'fake', value: (r) => r.fake },
      { title: 'images', value: (r) => `${r.realCount} / ${r.fakeCount}` },
      { title: 'extractor', value: (r) => r.extractor },
      { title: 'FID ↓', value: (r) => r.fid, digits: 3 },
    ],
  );
  return {
    name: 'fid',
    json: summary,
    markdown:
      `# FID\n\n${table}` + '\nFIDs are comparable only between runs with the same extractor and image counts.\n',
    charts: {
      fid: {
        kind: 'bar',
        title: `FID (${result.extractor})`,
        rows: [{ fake: sources.fake, extractor: result.extractor, fid: result.fid }],
        category: { field: 'extractor', title: 'extractor' },
        y: { field: 'fid', title: 'FID' },
        series: 'fake',
      },
    },
  };
}
