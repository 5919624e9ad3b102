import { readFile } from 'node:fs/promises';
import { runAsChild } from '../lib/child';
import { join } from 'node:path';
import { startTwin } from '../../local/twin';
import type { RunRecord, StepTiming } from '../../local/pipeline/runs';
import { REPO_ROOT } from '../lib/paths';

/*
 * Child process: upload -> READY through the local twin, the way a client does it (token,
 * POST /media/uploads, multipart POST to the presigned URL on the S3 emulator), timed to the
 * moment the run finishes.
 *
 * No polling: the twin exposes its RunLog, and RunLog.finish() is called once per run right after
 * the terminal record write (RecordResult) has returned. The bench wraps that method on this
 * instance to take the end timestamp, so the latency has no polling granularity in it. The media
 * record is then read once over GET /media/{id} to check that it really is READY.
 *
 * argv: resultFile runs name=file=contentType ...
 */

export interface TwinRunSample {
  mediaId: string;
  /** Start of the multipart POST to the end of the run. */
  latencyMs: number;
  /** The multipart POST itself (client -> S3 emulator, stored, 204). */
  uploadMs: number;
  /** The S3 event's delivery to the end of the run (the execution). */
  executionMs: number;
  /** Sum of the durations of the top-level states (the Parallel counts once, as its wall time). */
  stepSumMs: number;
  /** Sum of the Lambda task durations on the critical path (the longer Parallel branch only). */
  taskPathMs: number;
  status: string;
  outcome: string;
  /** One per StateEntered in the execution history, Parallel branch states included. */
  stateTransitions: number;
  retries: number;
  steps: StepTiming[];
}

export interface TwinLatencyResult {
  startupMs: number;
  topLevelStates: string[];
  branchStates: string[];
  images: { name: string; bytes: number; samples: TwinRunSample[] }[];
}

interface Asl {
  States: Record<string, { Type: string; Branches?: { States: Record<string, unknown> }[] }>;
}

async function measure([runsArg, ...specs]: string[]): Promise<TwinLatencyResult> {
  if (runsArg === undefined) throw new Error('usage: twin-latency resultFile runs name=file=contentType ...');
  const runs = Number(runsArg);

  const asl = JSON.parse(await readFile(join(REPO_ROOT, 'statemachines', 'media-pipeline.asl.json'), 'utf8')) as Asl;
  const topLevelStates = Object.keys(asl.States);
  const parallels = Object.entries(asl.States).filter(([, state]) => state.Type === 'Parallel');
  const branchesOf = new Map(
    parallels.map(([name, state]) => [name, (state.Branches ?? []).map((b) => Object.keys(b.States))]),
  );
  const branchStates = [...branchesOf.values()].flat(2);

  const twin = await startTwin({ logLevel: 'ERROR' });
  const finished = new Map<string, (at: number) => void>();
  const originalFinish = twin.runs.finish.bind(twin.runs);
  twin.runs.finish = (run: RunRecord): void => {
    const at = performance.now();
    originalFinish(run);
    if (run.mediaId !== null) finished.get(run.mediaId)?.(at);
  };

  const api = async <T>(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${twin.apiUrl}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as T };
  };

  const result: TwinLatencyResult = { startupMs: twin.startupMs, topLevelStates, branchStates, images: [] };
  try {
    const { body: tokenBody } = await api<{ token: string }>('POST', '/_local/token', { userId: 'bench' });
    const token = tokenBody.token;

    const uploadOnce = async (bytes: Buffer, contentType: string): Promise<TwinRunSample> => {
      const ticket = await api<{ mediaId: string; url: string; fields: Record<string, string> }>(
        'POST',
        '/media/uploads',
        { contentType, contentLength: bytes.length },
        token,
      );
      if (ticket.status !== 201)
        throw new Error(`POST /media/uploads returned ${ticket.status}: ${JSON.stringify(ticket.body)}`);
      const { mediaId, url, fields } = ticket.body;
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      form.append('file', new Blob([new Uint8Array(bytes)], { type: contentType }), 'upload');
      // Encoded before the clock starts: building the multipart body is client-side work.
      const encoded = new Response(form);
      const formBody = Buffer.from(await encoded.arrayBuffer());
      const formType = encoded.headers.get('content-type') ?? '';

      const done = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`media ${mediaId} not finished after 60 s`)), 60_000);
        finished.set(mediaId, (at) => {
          clearTimeout(timer);
          resolve(at);
        });
      });
      const started = performance.now();
      const posted = await fetch(url, { method: 'POST', headers: { 'content-type': formType }, body: formBody });
      const uploadMs = performance.now() - started;
      if (posted.status < 200 || posted.status > 299) throw new Error(`upload POST returned ${posted.status}`);
      await posted.arrayBuffer();
      const endedAt = await done;
      finished.delete(mediaId);

      const view = await api<{ status: string }>('GET', `/media/${mediaId}`);
      const run = twin.runs.recent().find((r) => r.mediaId === mediaId);
      if (run === undefined) throw new Error(`no run recorded for ${mediaId}`);
      const duration = (name: string): number => run.steps.find((s) => s.name === name)?.durationMs ?? 0;
      const stepSumMs = run.steps
        .filter((s) => topLevelStates.includes(s.name))
        .reduce((sum, s) => sum + (s.durationMs ?? 0), 0);
      const taskPathMs = Object.entries(asl.States).reduce((sum, [name, state]) => {
        if (state.Type === 'Task') return sum + duration(name);
        if (state.Type === 'Parallel') {
          const branchTimes = (branchesOf.get(name) ?? []).map((states) => states.reduce((s, n) => s + duration(n), 0));
          return sum + Math.max(0, ...branchTimes);
        }
        return sum;
      }, 0);
      return {
        mediaId,
        latencyMs: endedAt - started,
        uploadMs,
        executionMs: run.durationMs ?? Number.NaN,
        stepSumMs,
        taskPathMs,
        status: view.body.status,
        outcome: run.outcome,
        stateTransitions: run.steps.length,
        retries: run.retries,
        steps: run.steps,
      };
    };

    for (const spec of specs) {
      const [name, file, contentType] = spec.split('=');
      if (name === undefined || file === undefined || contentType === undefined) throw new Error(`bad input ${spec}`);
      const bytes = await readFile(file);
      await uploadOnce(bytes, contentType); // warm-up: first SDK connections and module-level caches
      const samples: TwinRunSample[] = [];
      for (let run = 0; run < runs; run++) samples.push(await uploadOnce(bytes, contentType));
      result.images.push({ name, bytes: bytes.length, samples });
    }
  } finally {
    await twin.stop();
  }
  return result;
}

runAsChild(measure);
