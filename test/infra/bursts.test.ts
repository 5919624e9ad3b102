import { stageConfig } from '../../infra/config';
import {
  DETECTOR_FUNCTIONS,
  detectorReservedConcurrency,
  reservedConcurrency,
  type StepFunctionName,
} from '../../infra/definitions/pipeline';
import { LambdaConcurrency } from '../../local/pipeline/lambda-concurrency';
import { logicalId, resourcesOfType, synthStack, type Synthesized } from './support';

/*
 * Admission control for bursts, written once (reservedConcurrency in infra/definitions/pipeline.ts)
 * and expressed the same way by the stack (-c rekognitionTps) and by the twin (REKOGNITION_TPS):
 * with a stated Rekognition quota, each detector function gets reserved concurrency derived from it.
 */

function reservedByFunction(synth: Synthesized): Record<StepFunctionName, unknown> {
  const { pipeline } = synth.stack;
  const functions = resourcesOfType(synth.template, 'AWS::Lambda::Function');
  const of = (fn: { function: Parameters<typeof logicalId>[0] }): unknown =>
    functions[logicalId(fn.function)]?.ReservedConcurrentExecutions;
  return {
    thumbnail: of(pipeline.thumbnail),
    labels: of(pipeline.labels),
    moderation: of(pipeline.moderation),
    record: of(pipeline.record),
    takedown: of(pipeline.takedown),
  };
}

describe('reserved concurrency of the step functions', () => {
  it('reserves none without a stated Rekognition quota: every function shares the account limit', () => {
    const synth = synthStack();

    const reserved = reservedByFunction(synth);

    expect(reserved).toEqual({
      thumbnail: undefined,
      labels: undefined,
      moderation: undefined,
      record: undefined,
      takedown: undefined,
    });
    const functions = Object.values(resourcesOfType(synth.template, 'AWS::Lambda::Function'));
    expect(functions.filter((fn) => fn.ReservedConcurrentExecutions !== undefined)).toEqual([]);
  });

  it.each([1, 2.5, 5, 50])(
    'reserves for each detector function what rekognitionTps=%p allows, and for no other function',
    (rekognitionTps) => {
      const synth = synthStack({ config: stageConfig('dev', { rekognitionTps }) });

      const reserved = reservedByFunction(synth);

      expect(reserved).toEqual({
        thumbnail: undefined,
        record: undefined,
        takedown: undefined,
        ...reservedConcurrency(rekognitionTps),
      });
      for (const name of DETECTOR_FUNCTIONS) expect(reserved[name]).toBe(detectorReservedConcurrency(rekognitionTps));
      expect(reserved.labels).toBe(Math.max(1, Math.floor(rekognitionTps)));
    },
  );

  it("gives the twin's detector functions the same limits as the stack for the same quota", () => {
    const rekognitionTps = 3;
    const synth = synthStack({ config: stageConfig('dev', { rekognitionTps }) });
    const twin = new LambdaConcurrency({ accountLimit: 4, reserved: reservedConcurrency(rekognitionTps) });

    for (const name of ['thumbnail', 'labels', 'moderation', 'record'] as const) twin.acquire(name)();
    const limits = twin.snapshot().functions;

    const reserved = reservedByFunction(synth);
    for (const name of DETECTOR_FUNCTIONS) {
      expect({ name, limit: limits[name]?.limit, reserved: limits[name]?.reserved }).toEqual({
        name,
        limit: reserved[name],
        reserved: true,
      });
    }
    expect(limits.thumbnail?.reserved).toBe(false);
    expect(limits.record?.reserved).toBe(false);
  });
});
