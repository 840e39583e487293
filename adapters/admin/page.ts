import type { InsightsReport } from '../../src/insights/insights.ts';
import type { RateRow } from '../../src/store/interactionStore.ts';
import { formatMs, latencyChart, ratesChart } from './charts.ts';
import { esc, safeHref } from './html.ts';

export const PERIODS = { '1d': 1, '7d': 7, '30d': 30, '90d': 90 } as const;
export type Period = keyof typeof PERIODS;

export interface PageFilter {
  period: Period;
  platform?: string;
  collection?: string;
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:16px 24px;color:#1a202c}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #e2e8f0;padding-bottom:4px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #edf2f7;vertical-align:top}
th{font-weight:600;background:#f7fafc}td.n,th.n{text-align:right;white-space:nowrap}.muted{color:#718096}.variants{color:#4a5568;font-size:12px}
form.filters{display:flex;gap:12px;align-items:end;flex-wrap:wrap;margin:12px 0}label{display:flex;flex-direction:column;font-size:12px;color:#4a5568}
select,input,button{font:inherit;padding:3px 6px}nav a{margin-right:10px}nav a.current{font-weight:700;text-decoration:none;color:#1a202c}
.charts{display:flex;gap:16px;flex-wrap:wrap}.chart{border:1px solid #e2e8f0;background:#fff;max-width:100%;height:auto}
blockquote{margin:4px 0;padding:4px 8px;border-left:3px solid #cbd5e0;white-space:pre-wrap;max-height:8em;overflow:hidden}.empty{color:#718096}`;

function query(f: PageFilter, over: Partial<PageFilter> = {}): string {
  const q = new URLSearchParams();
  const m = { ...f, ...over };
  q.set('period', m.period);
  if (m.platform) q.set('platform', m.platform);
  if (m.collection) q.set('collection', m.collection);
  return `/admin?${q.toString()}`;
}

function select(name: string, label: string, current: string | undefined, values: string[]): string {
  const opts = ['', ...new Set([...values, ...(current ? [current] : [])])].map((v) => `<option value="${esc(v)}"${v === (current ?? '') ? ' selected' : ''}>${v ? esc(v) : 'all'}</option>`);
  return `<label>${esc(label)}<select name="${name}">${opts.join('')}</select></label>`;
}

const pct = (n: number, total: number) => (total ? `${Math.round((n / total) * 100)}%` : '–');

function rateTable(id: string, keyLabel: string, rows: RateRow[]): string {
  if (!rows.length) return '<p class="empty">No questions in this period.</p>';
  const body = rows
    .map((r) => `<tr><td>${esc(r.key)}</td><td class="n">${r.total}</td><td class="n">${pct(r.answered, r.total)}</td><td class="n">${pct(r.refused, r.total)}</td><td class="n">${pct(r.degraded, r.total)}</td><td class="n">${r.rate_limited + r.error}</td><td class="n">${formatMs(r.p50_ms)}</td><td class="n">${formatMs(r.p95_ms)}</td></tr>`)
    .join('');
  return `<table id="${id}"><thead><tr><th>${esc(keyLabel)}</th><th class="n">questions</th><th class="n">answered</th><th class="n">refused</th><th class="n">degraded</th><th class="n">errors / rate-limited</th><th class="n">p50</th><th class="n">p95</th></tr></thead><tbody>${body}</tbody></table>`;
}

function sourceLink(s: { title: string; location: string; url?: string | null }): string {
  const href = safeHref(s.url);
  const label = `${esc(s.title)} <span class="muted">${esc(s.location)}</span>`;
  return href ? `<a href="${href}" rel="noopener noreferrer">${label}</a>` : label;
}

/** The whole admin page, server-rendered: every stored string goes through esc(). */
export function renderAdminPage(r: InsightsReport, f: PageFilter, now: Date): string {
  const periodLinks = (Object.keys(PERIODS) as Period[]).map((p) => `<a href="${esc(query(f, { period: p }))}"${p === f.period ? ' class="current"' : ''}>last ${p}</a>`).join('');
  const gaps = r.gaps.length
    ? `<table id="gaps"><thead><tr><th>question</th><th class="n">asked</th><th class="n">refused</th><th class="n">low confidence</th><th class="n">last asked</th></tr></thead><tbody>${r.gaps
        .map((g) => `<tr class="gap"><td><span class="question">${esc(g.question)}</span>${g.variants.length ? `<div class="variants">also: ${g.variants.map((v) => `“${esc(v)}”`).join(', ')}</div>` : ''}</td><td class="n count">${g.count}</td><td class="n">${g.refused}</td><td class="n">${g.lowConfidence}</td><td class="n">${esc(g.lastAsked.toISOString().slice(0, 16).replace('T', ' '))}</td></tr>`)
        .join('')}</tbody></table>`
    : '<p class="empty" id="gaps-empty">No refused or low-confidence questions in this period.</p>';
  const downvoted = r.downvoted.length
    ? `<table id="downvoted"><thead><tr><th>when</th><th>question and answer</th><th>sources</th></tr></thead><tbody>${r.downvoted
        .map((d) => `<tr><td class="n">${esc(new Date(d.created_at).toISOString().slice(0, 16).replace('T', ' '))}<div class="muted">${esc(d.platform)}</div></td><td><strong>${esc(d.question)}</strong><blockquote>${esc(d.answer ?? '')}</blockquote></td><td>${(d.sources ?? []).map((s) => sourceLink(s)).join('<br>') || '<span class="muted">none</span>'}</td></tr>`)
        .join('')}</tbody></table>`
    : '<p class="empty">No 👎 in this period.</p>';
  const sources = r.topSources.length
    ? `<table id="sources"><thead><tr><th>source</th><th class="n">cited in answers</th></tr></thead><tbody>${r.topSources.map((s) => `<tr><td>${sourceLink(s)}</td><td class="n">${s.n}</td></tr>`).join('')}</tbody></table>`
    : '<p class="empty">No cited answers in this period.</p>';
  const scope = [f.platform && `platform ${f.platform}`, f.collection && `collection ${f.collection}`].filter(Boolean).join(', ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>kb-bot admin</title><style>${STYLE}</style></head>
<body>
<header><h1>kb-bot: what people ask</h1><p class="muted">${esc(r.filter.from.toISOString().slice(0, 10))} to ${esc(now.toISOString().slice(0, 16).replace('T', ' '))} UTC${scope ? ` · ${esc(scope)}` : ''}</p></header>
<nav>${periodLinks}</nav>
<form class="filters" method="get" action="/admin">
<label>period<select name="period">${(Object.keys(PERIODS) as Period[]).map((p) => `<option value="${p}"${p === f.period ? ' selected' : ''}>last ${p}</option>`).join('')}</select></label>
${select('platform', 'platform', f.platform, r.facets.platforms)}
${select('collection', 'collection', f.collection, r.facets.collections)}
<button type="submit">Apply</button></form>
<form method="post" action="/admin/logout" style="position:absolute;top:16px;right:24px"><button type="submit">Log out</button></form>
<h2>Coverage gaps</h2><p class="muted">Refused and low-confidence questions, near-duplicates grouped, most asked first: the docs to write.</p>
${gaps}
<h2>Rates and latency per day</h2>
<div class="charts">${ratesChart(r.perDay)}${latencyChart(r.perDay)}</div>
${rateTable('per-day', 'day', r.perDay)}
<h2>Per platform</h2>
${rateTable('per-platform', 'platform', r.perPlatform)}
<h2>Downvoted answers (👎)</h2>
${downvoted}
<h2>Top cited sources</h2>
${sources}
</body></html>`;
}

export function renderLoginPage(message?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kb-bot admin: log in</title><style>${STYLE}</style></head>
<body><h1>kb-bot admin</h1>${message ? `<p role="alert">${esc(message)}</p>` : ''}
<form method="post" action="/admin/login"><label>Admin token<input type="password" name="token" autocomplete="current-password" required autofocus></label><p><button type="submit">Log in</button></p></form>
</body></html>`;
}
