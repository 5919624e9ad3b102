import * as errors from '../../../functions/shared/errors';
import asl from '../../../statemachines/media-pipeline.asl.json';

/** [name, class] of every domain error, from the one list in errors.ts. */
const DOMAIN_ERRORS = errors.DOMAIN_ERRORS.map((ErrorClass) => [ErrorClass.name, ErrorClass] as const);

/** Every ErrorEquals entry anywhere in the state machine definition. */
function errorNamesInAsl(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((child) => errorNamesInAsl(child, found));
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'ErrorEquals' && Array.isArray(value)) value.forEach((name) => found.add(String(name)));
      else errorNamesInAsl(value, found);
    }
  }
  return found;
}

/** The error names a Choice rule compares `$.failure.Error` with (WasUploadRejected). */
function failureNamesInChoices(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((child) => failureNamesInChoices(child, found));
  else if (typeof node === 'object' && node !== null) {
    const rule = node as Record<string, unknown>;
    if (rule.Variable === '$.failure.Error' && typeof rule.StringEquals === 'string') found.add(rule.StringEquals);
    Object.values(rule).forEach((child) => failureNamesInChoices(child, found));
  }
  return found;
}

describe('domain errors', () => {
  it.each(DOMAIN_ERRORS)(
    '%s reports that name, which Lambda passes to the state machine as the error type',
    (name, ErrorClass) => {
      expect(new ErrorClass('x').name).toBe(name);
    },
  );

  it('exist for every custom error name the state machine matches', () => {
    // Arrange
    // States.* come from Step Functions, Lambda.* and Sandbox.* (a function's timeout) from Lambda itself.
    const custom = [...errorNamesInAsl(asl)].filter(
      (name) => !name.startsWith('States.') && !name.startsWith('Lambda.') && !name.startsWith('Sandbox.'),
    );

    // Act
    const missing = custom.filter((name) => !DOMAIN_ERRORS.some(([, ErrorClass]) => new ErrorClass('x').name === name));

    // Assert
    expect(custom.length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });

  it("are the uploader's fault exactly when the state machine treats them as a bad upload (WasUploadRejected)", () => {
    // Arrange
    const uploaderFaults = errors.DOMAIN_ERRORS.filter((ErrorClass) => ErrorClass.uploaderFault).map(
      (ErrorClass) => new ErrorClass('x').name,
    );

    // Act
    const badUpload = [...failureNamesInChoices(asl)];

    // Assert
    expect(badUpload.sort()).toEqual(uploaderFaults.sort());
    expect(uploaderFaults).toEqual(expect.arrayContaining(['UploadChangedError', 'UploadMissingError']));
  });

  it.each(DOMAIN_ERRORS)('%s has a default message for the record', (_name, ErrorClass) => {
    expect(ErrorClass.defaultMessage).toMatch(/^[A-Z].{10,}\.$/);
  });

  it('carry distinct codes, which FAILED records store', () => {
    // Act
    const codes = DOMAIN_ERRORS.map(([, ErrorClass]) => new ErrorClass('x').code);

    // Assert
    expect(new Set(codes).size).toBe(DOMAIN_ERRORS.length);
  });

  it('are recognised by isDomainError, and plain errors are not', () => {
    expect([errors.isDomainError(new errors.CorruptImageError('x')), errors.isDomainError(new Error('x'))]).toEqual([
      true,
      false,
    ]);
  });
});
