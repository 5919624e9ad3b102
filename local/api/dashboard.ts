import type { IamReport } from '../iam/enforcer';
import type { RunLog, RunOutcome, RunRecord } from '../pipeline/runs';

/**
 * The local counterpart of the pipeline's CloudWatch dashboard: outcome counts, then recent
 * runs with a thumbnail of each READY photo, per-step durations and failure reasons, and a chart of
 * latency and step durations. Plain HTML and inline SVG, no external assets; it refreshes itself
 * every 3 seconds.
 */

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const COLOURS: Record<RunOutcome, string> = {
  RUNNING: '#1d4ed8',
  READY: '#15803d',
  REJECTED: '#b45309',
  FAILED: '#b91c1c',
  DUPLICATE: '#6b7280',
  ERROR: '#7f1d1d',
};

const ms = (value: number | null): string =>
  value === null ? '…' : value < 1000 ? `${value} ms` : `${(value / 1000).toFixed(2)} s`;

function stepsCell(run: RunRecord): string {
  return run.steps
    .map((s) => {
      const retries = s.attempts > 1 ? ` <span class="retry">×${s.attempts}</span>` : '';
      const cls = s.status === 'SUCCEEDED' ? 'ok' : s.status === 'RUNNING' ? 'run' : 'bad';
      return `<span class="step ${cls}" title="${escapeHtml(s.status + (s.error ? `: ${s.error}` : ''))}">${escapeHtml(s.name)} ${ms(s.durationMs)}${retries}</span>`;
    })
    .join(' ');
}

/** Colours of the pipeline's steps in the chart, in the order the steps first appear. */
const STEP_PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#0891b2', '#dc2626', '#4b5563', '#ca8a04'];
/** Finished runs the chart shows, newest on the right. */
const CHART_RUNS = 30;

/**
 * Inline SVG of the recent finished runs: per run, the latency from the upload (the bucket's
 * event; the twin delivers it at once, where EventBridge adds its own delay on AWS) to the final
 * record, and beside it each step on the run's own clock (from its start to its end; parallel
 * branches side by side). The gaps between steps are the workflow's own time: transitions,
 * retry waits, throttling.
 */
function latencyChart(allRuns: readonly RunRecord[]): string {
  const runs = allRuns
    .filter((run) => run.durationMs !== null && run.outcome !== 'RUNNING')
    .slice(0, CHART_RUNS)
    .reverse();
  if (runs.length === 0) return '<p class="sub">The chart appears after the first finished run.</p>';
  const stepNames = [...new Set(runs.flatMap((run) => run.steps.map((step) => step.name)))];
  const colour = (name: string): string => STEP_PALETTE[stepNames.indexOf(name) % STEP_PALETTE.length] ?? '#111';
  const startOf = (run: RunRecord): number => Date.parse(run.startedAt);
  /** A step on the run's own clock; a state that contains others (a Parallel) is left to its branches. */
  const timeline = (run: RunRecord): { name: string; from: number; to: number }[] => {
    const spans = run.steps
      .filter((step) => (step.durationMs ?? 0) > 0)
      .map((step) => {
        const from = Date.parse(step.startedAt) - startOf(run);
        return { name: step.name, from, to: from + (step.durationMs ?? 0) };
      });
    return spans.filter(
      (outer) => !spans.some((inner) => inner !== outer && inner.from >= outer.from && inner.to <= outer.to),
    );
  };
  const top = Math.max(1, ...runs.map((run) => Math.max(run.durationMs ?? 0, ...timeline(run).map((span) => span.to))));
  const [width, height, left, bottom, headroom] = [760, 180, 56, 20, 10];
  const plot = height - bottom - headroom;
  const slot = (width - left) / Math.max(runs.length, 10);
  const bar = Math.max(2, slot * 0.38);
  const y = (value: number): number => headroom + plot - (value / top) * plot;
  const bars = runs
    .map((run, i) => {
      const x = left + i * slot + slot * 0.08;
      const latency = run.durationMs ?? 0;
      const who = escapeHtml(`${run.mediaId ?? run.key} (${outcomeLabel(run)})`);
      // Steps that overlap (parallel branches) share the column side by side, one lane each.
      const lanes: number[] = [];
      const placed = timeline(run).map((span) => {
        let lane = lanes.findIndex((end) => end <= span.from);
        if (lane < 0) lane = lanes.push(span.to) - 1;
        else lanes[lane] = span.to;
        return { ...span, lane };
      });
      const laneWidth = bar / Math.max(1, lanes.length);
      const steps = placed
        .map(
          (span) =>
            `<rect class="step" x="${(x + bar + span.lane * laneWidth).toFixed(1)}" y="${y(span.to).toFixed(1)}" width="${laneWidth.toFixed(1)}" height="${(((span.to - span.from) / top) * plot).toFixed(1)}" fill="${colour(span.name)}"><title>${who}: ${escapeHtml(span.name)} ${ms(span.to - span.from)}, from ${ms(span.from)}</title></rect>`,
        )
        .join('');
      return `<rect class="latency" x="${x.toFixed(1)}" y="${y(latency).toFixed(1)}" width="${bar.toFixed(1)}" height="${((latency / top) * plot).toFixed(1)}" fill="${COLOURS[run.outcome]}" opacity="0.55"><title>${who}: upload to ${run.outcome} in ${ms(latency)}</title></rect>${steps}`;
    })
    .join('\n');
  const legend = stepNames
    .map((name) => `<span class="key"><i style="background:${colour(name)}"></i>${escapeHtml(name)}</span>`)
    .join(' ');
  return `<svg id="latency-chart" role="img" aria-label="Upload to final latency and step durations of the last ${runs.length} runs" viewBox="0 0 ${width} ${height}" width="100%" style="max-width:${width}px">
<line x1="${left}" y1="${y(0)}" x2="${width}" y2="${y(0)}" stroke="#999"/>
<line x1="${left}" y1="${headroom}" x2="${width}" y2="${headroom}" stroke="#eee"/>
<text x="${left - 6}" y="${headroom + 4}" text-anchor="end" font-size="11">${ms(top)}</text>
<text x="${left - 6}" y="${y(0)}" text-anchor="end" font-size="11">0</text>
<text x="${left}" y="${height - 4}" font-size="11" fill="#555">oldest</text>
<text x="${width}" y="${height - 4}" text-anchor="end" font-size="11" fill="#555">newest</text>
${bars}
</svg>
<p class="legend"><span class="key"><i class="latency-key"></i>upload → final (colour of the outcome)</span> ${legend}</p>`;
}

/** The smallest rendition of a READY run, read by the twin from the bucket (GET /_local/thumbnails/{id}). */
function thumbnailCell(run: RunRecord): string {
  if (run.outcome !== 'READY' || run.mediaId === null) return '';
  const id = encodeURIComponent(run.mediaId);
  return `<img class="thumbnail" src="/_local/thumbnails/${id}" alt="rendition of ${escapeHtml(run.mediaId)}" height="48">`;
}

/**
 * A refused run is labelled with why its claim was refused: "DUPLICATE" alone would hide objects
 * written without a ticket and reused upload forms among harmless redeliveries.
 */
function outcomeLabel(run: RunRecord): string {
  return run.outcome === 'DUPLICATE' && run.refusal !== undefined ? `REFUSED: ${run.refusal}` : run.outcome;
}

/** The IAM usage report as a table: each function's calls by action and grant, allowed or denied. */
function iamSection(report: IamReport): string {
  if (!report.enforcing)
    return '<h2>IAM</h2><p class="sub">IAM enforcement is off (IAM=off): calls are not checked.</p>';
  const rows = report.functions
    .flatMap((usage) =>
      usage.decisions.map(
        (row) => `<tr>
  <td>${escapeHtml(usage.fn)}</td>
  <td class="mono small">${escapeHtml(usage.role ?? 'no role')}</td>
  <td class="mono">${escapeHtml(row.action)}</td>
  <td class="mono small">${escapeHtml(row.resource)}</td>
  <td><span class="badge" style="background:${row.decision === 'allowed' ? COLOURS.READY : COLOURS.FAILED}">${row.decision}</span></td>
  <td class="num">${row.count}</td>
  <td class="small">${escapeHtml(row.via.join(', '))}</td>
</tr>`,
      ),
    )
    .join('\n');
  return `<h2>IAM: ${report.allowed} calls allowed, ${report.denied} denied</h2>
<p class="sub">Every AWS call of every function, checked against its role as synthesized from this app. JSON: <a href="/_local/iam">/_local/iam</a>.</p>
<table><thead><tr><th>Function</th><th>Role</th><th>Action</th><th>Resource (grant)</th><th>Decision</th><th>Calls</th><th>Via</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="7">No AWS calls yet.</td></tr>'}
</tbody></table>`;
}

export function renderDashboard(runLog: RunLog, iam?: IamReport): string {
  const { counts, refusals, events, runs } = runLog.snapshot();
  const refusalBreakdown = Object.entries(refusals)
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(' · ');
  const tileLabel = (o: RunOutcome): string =>
    o === 'DUPLICATE' && refusalBreakdown !== '' ? `REFUSED (${refusalBreakdown})` : o;
  const tiles = (Object.keys(COLOURS) as RunOutcome[])
    .map(
      (o) =>
        `<div class="tile" style="border-color:${COLOURS[o]}"><b style="color:${COLOURS[o]}">${counts[o]}</b><span>${escapeHtml(tileLabel(o))}</span></div>`,
    )
    .join('');
  const rows = runs
    .map(
      (run) => `<tr>
  <td><span class="badge" style="background:${COLOURS[run.outcome]}">${escapeHtml(outcomeLabel(run))}</span></td>
  <td>${thumbnailCell(run)}</td>
  <td class="mono">${escapeHtml(run.mediaId ?? run.key)}</td>
  <td>${escapeHtml(run.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</td>
  <td class="num">${ms(run.durationMs)}</td>
  <td>${stepsCell(run)}</td>
  <td>${run.failure ? `<b>${escapeHtml(run.failure.error)}</b> ${escapeHtml(run.failure.cause.slice(0, 300))}` : ''}</td>
  <td class="mono small" title="${escapeHtml(`${run.executionStatus} · sequencer ${run.sequencer}`)}">${escapeHtml(run.executionId.slice(0, 8))}</td>
</tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Media pipeline — local twin</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#111}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:24px 0 4px} p.sub{color:#555;margin:0 0 16px}
.tiles{display:flex;gap:12px;margin-bottom:16px;flex-wrap:wrap}
.tile{border:2px solid;border-radius:8px;padding:8px 16px;min-width:90px;text-align:center}
.tile b{display:block;font-size:24px}.tile span{font-size:12px;color:#444}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f3f4f6}.mono{font-family:ui-monospace,monospace}.small{font-size:12px}.num{text-align:right;white-space:nowrap}
.badge{color:#fff;border-radius:4px;padding:2px 6px;font-size:12px;font-weight:600}
.step{display:inline-block;border-radius:4px;padding:1px 5px;margin:1px;font-size:12px;background:#ecfdf5}
.step.bad{background:#fee2e2}.step.run{background:#dbeafe}.retry{color:#b45309;font-weight:600}
img.thumbnail{display:block;max-width:96px;border-radius:3px}
.legend{font-size:12px;color:#444}.key{margin-right:10px;white-space:nowrap}
.key i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}.key i.latency-key{background:#15803d;opacity:.55}
</style></head><body><main>
<h1>Media pipeline — local twin</h1>
<p class="sub">Recent executions of statemachines/media-pipeline.asl.json (newest first, last ${runs.length} kept). S3 events: ${events.received} received, ${events.matched} matched the rule, ${events.ignored} ignored. Labels and moderation come from local image analysis (not Rekognition). JSON: <a href="/_local/runs">/_local/runs</a>.</p>
<div class="tiles">${tiles}</div>
<h2>Latency and steps, last ${CHART_RUNS} finished runs</h2>
${latencyChart(runs)}
<h2>Runs</h2>
<table><thead><tr><th>Outcome</th><th>Photo</th><th>Media</th><th>Started (UTC)</th><th>Duration</th><th>Steps</th><th>Failure</th><th>Execution</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="8">No runs yet: upload an image to start one.</td></tr>'}
</tbody></table>
${iam === undefined ? '' : iamSection(iam)}
</main>
<script>
// Refreshes itself every 3 s: the new page's <main> replaces this one (no reload, no flicker).
setInterval(async () => {
  try {
    const page = new DOMParser().parseFromString(await (await fetch(location.href)).text(), 'text/html');
    const next = page.querySelector('main');
    if (next) document.querySelector('main').replaceWith(next);
  } catch {}
}, 3000);
</script>
</body></html>`;
}
