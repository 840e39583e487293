import type { RateRow } from '../../src/store/interactionStore.ts';
import { esc } from './html.ts';

const W = 640;
const H = 200;
const PAD = { left: 44, right: 8, top: 10, bottom: 28 };

export const SERIES = {
  answered: '#2f855a',
  degraded: '#d69e2e',
  refused: '#c53030',
  failed: '#718096',
  p50: '#2b6cb0',
  p95: '#805ad5',
};

function frame(id: string, label: string, body: string, legend: Array<[string, string]>): string {
  const keys = legend.map(([name, color], i) => `<g transform="translate(${PAD.left + i * 110},${H - 6})"><rect width="10" height="10" y="-9" fill="${color}"/><text x="14" font-size="11">${esc(name)}</text></g>`).join('');
  return `<svg id="${id}" class="chart" role="img" aria-label="${esc(label)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg"><title>${esc(label)}</title>${body}${keys}</svg>`;
}

function dayLabels(days: string[], x: (i: number) => number): string {
  const every = Math.max(1, Math.ceil(days.length / 8));
  return days
    .map((d, i) => (i % every === 0 ? `<text class="tick" x="${x(i).toFixed(1)}" y="${H - PAD.bottom + 12}" font-size="10" text-anchor="middle">${esc(d.slice(5))}</text>` : ''))
    .join('');
}

/** Answered / degraded / refused / failed share of each day's questions, as stacked bars. */
export function ratesChart(days: RateRow[]): string {
  if (!days.length) return '<p class="empty">No questions in this period.</p>';
  const plotH = H - PAD.top - PAD.bottom;
  const slot = (W - PAD.left - PAD.right) / days.length;
  const bar = Math.max(2, Math.min(40, slot * 0.7));
  const x = (i: number) => PAD.left + slot * i + slot / 2;
  const bars = days
    .map((d, i) => {
      const parts: Array<[string, number]> = [
        ['answered', d.answered - d.degraded],
        ['degraded', d.degraded],
        ['refused', d.refused],
        ['failed', d.error + d.rate_limited],
      ];
      let y = PAD.top + plotH;
      return parts
        .filter(([, n]) => n > 0)
        .map(([name, n]) => {
          const h = (n / d.total) * plotH;
          y -= h;
          const pct = Math.round((n / d.total) * 100);
          return `<rect class="bar ${name}" data-day="${esc(d.key)}" x="${(x(i) - bar / 2).toFixed(1)}" y="${y.toFixed(1)}" width="${bar.toFixed(1)}" height="${h.toFixed(1)}" fill="${SERIES[name as keyof typeof SERIES]}"><title>${esc(d.key)}: ${name} ${n} of ${d.total} (${pct}%)</title></rect>`;
        })
        .join('');
    })
    .join('');
  const grid = [0, 50, 100].map((p) => {
    const y = PAD.top + plotH * (1 - p / 100);
    return `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}" stroke="#e2e8f0"/><text x="${PAD.left - 4}" y="${y + 3}" font-size="10" text-anchor="end">${p}%</text>`;
  });
  const legend: Array<[string, string]> = [['answered', SERIES.answered], ['degraded', SERIES.degraded], ['refused', SERIES.refused], ['error / rate-limited', SERIES.failed]];
  return frame('rates-chart', 'Answered, degraded and refused share per day', grid.join('') + bars + dayLabels(days.map((d) => d.key), x), legend);
}

/** Latency p50 and p95 per day, as two lines with a point per day. */
export function latencyChart(days: RateRow[]): string {
  const points = days.filter((d) => d.p50_ms !== null && d.p95_ms !== null);
  if (!points.length) return '<p class="empty">No answers in this period.</p>';
  const plotH = H - PAD.top - PAD.bottom;
  const max = niceCeil(Math.max(...points.map((d) => d.p95_ms!)));
  const slot = (W - PAD.left - PAD.right) / points.length;
  const x = (i: number) => PAD.left + slot * i + slot / 2;
  const y = (ms: number) => PAD.top + plotH * (1 - ms / max);
  const line = (field: 'p50_ms' | 'p95_ms', color: string, name: string) => {
    const coords = points.map((d, i) => `${x(i).toFixed(1)},${y(d[field]!).toFixed(1)}`);
    const dots = points.map((d, i) => `<circle class="point ${name}" cx="${x(i).toFixed(1)}" cy="${y(d[field]!).toFixed(1)}" r="3" fill="${color}"><title>${esc(d.key)}: ${name} ${Math.round(d[field]!)} ms</title></circle>`);
    return `<polyline class="line ${name}" fill="none" stroke="${color}" stroke-width="2" points="${coords.join(' ')}"/>${dots.join('')}`;
  };
  const grid = [0, 0.5, 1].map((f) => `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(max * f)}" y2="${y(max * f)}" stroke="#e2e8f0"/><text x="${PAD.left - 4}" y="${y(max * f) + 3}" font-size="10" text-anchor="end">${formatMs(max * f)}</text>`);
  return frame('latency-chart', 'Answer latency p50 and p95 per day', grid.join('') + line('p95_ms', SERIES.p95, 'p95') + line('p50_ms', SERIES.p50, 'p50') + dayLabels(points.map((d) => d.key), x), [['p50', SERIES.p50], ['p95', SERIES.p95]]);
}

function niceCeil(v: number): number {
  if (v <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(v));
  return Math.ceil(v / step) * step;
}

export function formatMs(ms: number | null): string {
  if (ms === null) return '–';
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
