import type { IamReport } from '../iam/enforcer';
import type { RunLog, RunOutcome, RunRecord } from '../pipeline/runs';

/**
 * The local counterpart of the pipeline's CloudWatch dashboard: outcome counts, then recent
 * runs with per-step durations and failure reasons. Plain HTML, no external assets, refreshes
 * itself every 3 seconds.
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
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="3">
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
</style></head><body>
<h1>Media pipeline — local twin</h1>
<p class="sub">Recent executions of statemachines/media-pipeline.asl.json (newest first, last ${runs.length} kept). S3 events: ${events.received} received, ${events.matched} matched the rule, ${events.ignored} ignored. Labels and moderation come from local image analysis (not Rekognition). JSON: <a href="/_local/runs">/_local/runs</a>.</p>
<div class="tiles">${tiles}</div>
<table><thead><tr><th>Outcome</th><th>Media</th><th>Started (UTC)</th><th>Duration</th><th>Steps</th><th>Failure</th><th>Execution</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="7">No runs yet: upload an image to start one.</td></tr>'}
</tbody></table>
${iam === undefined ? '' : iamSection(iam)}
</body></html>`;
}
