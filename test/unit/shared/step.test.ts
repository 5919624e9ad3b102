import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod/mini';
import { derivedMediaId } from '../../../functions/shared/derived';
import { MalformedEventError } from '../../../functions/shared/errors';
import { logger } from '../../../functions/shared/powertools';
import { metrics } from '../../../functions/shared/metrics';
import { parseStepInput, runStep } from '../../../functions/shared/step';

const schema = z.object({ image: z.object({ bucket: z.string(), key: z.string() }) });

afterEach(() => {
  jest.restoreAllMocks();
});

describe('parseStepInput', () => {
  it('returns the validated input', () => {
    // Act
    const input = parseStepInput(schema, { image: { bucket: 'b', key: 'k' } }, 'DetectLabels');

    // Assert
    expect(input).toEqual({ image: { bucket: 'b', key: 'k' } });
  });

  it('throws MalformedEventError naming the step and every offending field', () => {
    // Act
    const parse = (): unknown => parseStepInput(schema, { image: { bucket: 3 } }, 'DetectLabels');

    // Assert
    expect(parse).toThrow(MalformedEventError);
    expect(parse).toThrow(/^Malformed DetectLabels input: image\.bucket: .*; image\.key: /);
  });

  it('explains each problem in English, not just "Invalid input"', () => {
    // Act
    const parse = (): unknown => parseStepInput(schema, { image: { bucket: 3, key: 'k' } }, 'DetectLabels');

    // Assert
    expect(parse).toThrow(
      'Malformed DetectLabels input: image.bucket: Invalid input: expected string, received number',
    );
  });

  it('appends the execution id the state machine passes to every log line', () => {
    // Arrange
    const append = jest.spyOn(logger, 'appendKeys');
    const executionId = 'arn:aws:states:eu-west-1:111122223333:execution:MediaPipeline:abc';

    // Act
    const input = parseStepInput(schema, { image: { bucket: 'b', key: 'k' }, executionId }, 'DetectLabels');

    // Assert
    expect(append).toHaveBeenCalledWith({ executionId });
    expect(input).toEqual({ image: { bucket: 'b', key: 'k' } });
  });

  it('says "(input)" when the whole event is of the wrong type', () => {
    expect(() => parseStepInput(schema, 'not an object', 'Moderate')).toThrow(/Malformed Moderate input: \(input\): /);
  });
});

describe('runStep', () => {
  it('returns what the step returns', async () => {
    // Act
    const result = await runStep(undefined, async () => 42);

    // Assert
    expect(result).toBe(42);
  });

  it('rethrows the very error the step threw, so Lambda reports its name to the state machine', async () => {
    // Arrange
    const error = new MalformedEventError('bad');

    // Act
    const result = runStep(undefined, async () => {
      throw error;
    });

    // Assert
    await expect(result).rejects.toBe(error);
  });

  it('publishes stored metrics even when the step fails', async () => {
    // Arrange
    const publish = jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);

    // Act
    await runStep(undefined, async () => {
      metrics.addMetric('Probe', MetricUnit.Count, 1);
      throw new Error('boom');
    }).catch(() => undefined);

    // Assert
    expect(publish).toHaveBeenCalledTimes(1);
  });

  it('clears log keys appended by the previous invocation', async () => {
    // Arrange
    const reset = jest.spyOn(logger, 'resetKeys');
    logger.appendKeys({ mediaId: 'previous' });

    // Act
    await runStep(undefined, async () => undefined);

    // Assert
    expect(reset).toHaveBeenCalledTimes(1);
  });
});

describe('derivedMediaId', () => {
  it('reads the media id from a derived key', () => {
    expect(derivedMediaId('derived/01JDX3ZK2Q/00AB/analysis.jpg')).toBe('01JDX3ZK2Q');
  });

  it('returns undefined for a key outside derived/', () => {
    expect(derivedMediaId('uploads/alice/01JDX3ZK2Q')).toBeUndefined();
  });

  it('returns undefined for the bare prefix', () => {
    expect(derivedMediaId('derived/')).toBeUndefined();
  });
});
