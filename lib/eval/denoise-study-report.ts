import type { Chart } from '../report/chart';
import { markdownTable } from '../report/markdown';
import type { Report } from '../report/write-report';
import type { DenoiseStudy, StudyRow } from './denoise-study';

/** The study as the paper's tables 2-4 (Markdown), JSON and plots: metric against reverse step, and best values. */
export function denoiseStudyReport(study: DenoiseStudy, title = 'Denoising study'): Report {
  const lp = study.lpips;
  const rowsTable = markdownTable<StudyRow>(study.rows, [
    { title: 'denoiser', value: (r) => r.denoiser },
    { title: 'noise step', value: (r) => r.noiseStep },
    { title: 'trace', value: (r) => r.trace },
    { title: 'best SSIM ↑', value: (r) => r.bestSsim, digits: 4 },
    { title: 'at t', value: (r) => r.ssimPeakT },
    { title: 'steps to best', value: (r) => r.ssimPeakSteps },
    { title: 's to best SSIM', value: (r) => r.ssimPeakSeconds, digits: 2 },
    ...(lp
      ? [
          { title: 'best LPIPS ↓', value: (r: StudyRow) => r.bestLpips, digits: 4 },
          { title: 'at t', value: (r: StudyRow) => r.lpipsPeakT },
          { title: 'steps to best', value: (r: StudyRow) => r.lpipsPeakSteps },
          { title: 's to best LPIPS', value: (r: StudyRow) => r.lpipsPeakSeconds, digits: 2 },
        ]
      : []),
    { title: 'best PSNR (dB)', value: (r) => r.bestPsnr, digits: 2 },
    { title: 'SSIM at t=0', value: (r) => r.finalSsim, digits: 4 },
    { title: 's total', value: (r) => r.totalSeconds, digits: 2 },
  ]);
  const baselineTable = study.baseline.length
    ? `\n### Baseline: Gaussian blur of x_t / sqrt(abar_t) at the best sigma (no training)\n\n${markdownTable(
        study.baseline,
        [
          { title: 'noise step', value: (r) => r.noiseStep },
          { title: 'sigma', value: (r) => r.sigma },
          { title: 'SSIM', value: (r) => r.ssim, digits: 4 },
          ...(lp ? [{ title: 'LPIPS', value: (r: (typeof study.baseline)[number]) => r.lpips, digits: 4 }] : []),
          { title: 'PSNR (dB)', value: (r) => r.psnr, digits: 2 },
        ],
      )}`
    : '';
  const markdown =
    `# ${title}\n\n` +
    `${study.images} images of shape ${study.imageShape.join('x')}, ${study.sampler ?? 'each denoiser’s own'} reverse process, seed ${study.seed}; ` +
    `values are means over the images at each reverse step, "best" is the best step of that mean. ` +
    'Two traces per denoiser: x_t, the reverse process itself, and x0-hat, the clean image the denoiser predicted at that step. ' +
    (lp
      ? 'LPIPS v0.1 from the given backbone (grey images repeated to RGB, images under 64 px enlarged by an integer factor).'
      : 'No LPIPS backbone was given.') +
    `\n\n${rowsTable}${baselineTable}`;
  // One line per denoiser and trace.
  const curves = study.curves.map((c) => ({ ...c, line: `${c.denoiser} ${c.trace}` }));
  const charts: Record<string, Chart> = {
    ssim: {
      kind: 'line',
      title: 'SSIM along the reverse process',
      rows: curves,
      x: { field: 't', title: 'diffusion step t (0 last)', reverse: true },
      y: { field: 'ssim', title: 'mean SSIM' },
      series: 'line',
      facet: { field: 'noiseStep', title: 'noised to step' },
    },
    best: {
      kind: 'bar',
      title: 'Best SSIM per noise step',
      rows: [
        ...study.rows.map((r) => ({ denoiser: `${r.denoiser} ${r.trace}`, noiseStep: r.noiseStep, value: r.bestSsim })),
        ...study.baseline.map((b) => ({ denoiser: 'gaussian blur', noiseStep: b.noiseStep, value: b.ssim })),
      ],
      category: { field: 'noiseStep', title: 'noise step' },
      y: { field: 'value', title: 'best mean SSIM' },
      series: 'denoiser',
    },
  };
  if (lp) {
    charts.lpips = {
      kind: 'line',
      title: 'LPIPS along the reverse process',
      rows: curves,
      x: { field: 't', title: 'diffusion step t (0 last)', reverse: true },
      y: { field: 'lpips', title: 'mean LPIPS' },
      series: 'line',
      facet: { field: 'noiseStep', title: 'noised to step' },
    };
  }
  return { name: 'denoise-study', json: study, markdown, charts };
}
