import { type Stage, stageConfig } from '../../infra/config';
import { logicalId, resourcesOfType, synthStack, type Synthesized } from './support';

/*
 * What a stack delete does to the buckets and the other resources README "Cleanup" names. A stage whose removal policy is
 * DESTROY (dev) deletes both: CloudFormation cannot delete a bucket that holds any object version
 * or delete marker, so CDK's Custom::S3AutoDeleteObjects empties each one first, every version of
 * it. Prod retains both, contents and all, and has no such custom resource.
 */

/** CDK's marker tag: the provider empties a bucket only while it carries it. */
const AUTO_DELETE_TAG = 'aws-cdk:auto-delete-objects';

interface RawResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

describe.each<[Stage, 'Delete' | 'Retain']>([
  ['dev', 'Delete'],
  ['prod', 'Retain'],
])('buckets of the %s stage on stack delete', (stage, policy) => {
  let synth: Synthesized;
  let resources: Record<string, RawResource>;
  let buckets: { what: string; id: string }[];

  beforeAll(() => {
    synth = synthStack({ config: stageConfig(stage) });
    resources = synth.template.toJSON().Resources as Record<string, RawResource>;
    buckets = [
      { what: 'media bucket', id: logicalId(synth.stack.media.bucket) },
      { what: 'access-log bucket', id: logicalId(synth.stack.media.accessLogsBucket) },
    ];
  });

  it(`gives both buckets DeletionPolicy ${policy}`, () => {
    // Act
    const policies = buckets.map(({ what, id }) => [
      what,
      resources[id]?.DeletionPolicy,
      resources[id]?.UpdateReplacePolicy,
    ]);

    // Assert
    expect(policies).toEqual(buckets.map(({ what }) => [what, policy, policy]));
  });

  if (stage === 'dev') {
    it('empties each bucket of every version with its own Custom::S3AutoDeleteObjects, deleted with the stack', () => {
      // Act: the custom resources, by the bucket they name.
      const autoDeletes = Object.values(resources)
        .filter((resource) => resource.Type === 'Custom::S3AutoDeleteObjects')
        .map((resource) => ({
          bucket: (resource.Properties?.BucketName as { Ref?: string } | undefined)?.Ref,
          deletionPolicy: resource.DeletionPolicy,
        }));

      // Assert
      expect(autoDeletes).toEqual(
        expect.arrayContaining(buckets.map(({ id }) => ({ bucket: id, deletionPolicy: 'Delete' }))),
      );
      expect(autoDeletes).toHaveLength(buckets.length);
    });

    it('marks both buckets for the provider, which empties only a bucket still tagged', () => {
      // Act
      const tagged = buckets.map(({ what, id }) => [
        what,
        (resources[id]?.Properties?.Tags as { Key: string; Value: string }[] | undefined)?.find(
          (tag) => tag.Key === AUTO_DELETE_TAG,
        )?.Value,
      ]);

      // Assert
      expect(tagged).toEqual(buckets.map(({ what }) => [what, 'true']));
    });

    it("runs the provider on a Node.js runtime no older than the app's own functions", () => {
      // Arrange: cdk-nag's runtime rule reads L1 functions only, and the provider's is a plain CfnResource.
      const functions = resourcesOfType(synth.template, 'AWS::Lambda::Function');
      const major = (runtime: unknown): number => Number(/^nodejs(\d+)\.x$/.exec(String(runtime))?.[1] ?? NaN);
      const [providerId, ...more] = Object.keys(functions).filter((id) =>
        id.startsWith('CustomS3AutoDeleteObjectsCustomResourceProviderHandler'),
      );
      if (providerId === undefined || more.length > 0) throw new Error('expected one auto-delete provider function');

      // Act
      const provider = major(functions[providerId]?.Runtime);
      const app = Math.max(
        ...Object.entries(functions)
          .filter(([id]) => id !== providerId)
          .map(([, fn]) => major(fn.Runtime)),
      );

      // Assert
      expect(provider).toBeGreaterThanOrEqual(app);
    });
  } else {
    it('has no auto-delete custom resource, provider or marker tag', () => {
      // Act
      const autoDelete = Object.entries(resources)
        .filter(
          ([id, resource]) =>
            resource.Type === 'Custom::S3AutoDeleteObjects' || id.startsWith('CustomS3AutoDeleteObjects'),
        )
        .map(([id]) => id);
      const tagged = buckets.filter(({ id }) =>
        ((resources[id]?.Properties?.Tags ?? []) as { Key: string }[]).some((tag) => tag.Key === AUTO_DELETE_TAG),
      );

      // Assert
      expect(Object.keys(resources).length).toBeGreaterThan(50);
      expect(autoDelete).toEqual([]);
      expect(tagged).toEqual([]);
    });
  }
});

describe.each<[Stage, 'Delete' | 'Retain']>([
  ['dev', 'Delete'],
  ['prod', 'Retain'],
])('other resources of the %s stage on stack delete', (stage, auditPolicy) => {
  let synth: Synthesized;
  let resources: Record<string, RawResource>;

  beforeAll(() => {
    synth = synthStack({ config: stageConfig(stage) });
    resources = synth.template.toJSON().Resources as Record<string, RawResource>;
  });

  it(`gives the two audit log groups (API access log, execution log) DeletionPolicy ${auditPolicy}`, () => {
    // Act
    const policies = [synth.stack.api.gateway.accessLogGroup, synth.stack.pipeline.stateMachineLogGroup].map(
      (group) => resources[logicalId(group)]?.DeletionPolicy,
    );

    // Assert
    expect(policies).toEqual([auditPolicy, auditPolicy]);
  });

  it("deletes the sweeper's schedule group, whose fixed name would block the stage's next deploy", () => {
    // Act
    const group = resources[logicalId(synth.stack.pipeline.sweeper.scheduleGroup)];

    // Assert
    expect(group?.Type).toBe('AWS::Scheduler::ScheduleGroup');
    expect([group?.DeletionPolicy, group?.UpdateReplacePolicy]).toEqual(['Delete', 'Delete']);
  });
});
