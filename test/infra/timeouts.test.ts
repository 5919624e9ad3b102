import { stageConfig } from '../../infra/config';
import {
  EXECUTION_TIMEOUT_SECONDS,
  STEP_FUNCTION_TIMEOUT_SECONDS,
  TASK_TIMEOUT_MARGIN_SECONDS,
} from '../../infra/definitions/pipeline';
import { logicalId, resourcesOfType, synthStack, type Synthesized } from './support';
import { worstCaseSeconds, type AslMachine, type AslState } from './asl-budget';

/*
 * Every Task and the machine carry TimeoutSeconds in the definition CloudFormation receives:
 * without one a Task waits forever on AWS (and 60 s in the ASL interpreter the twin runs), and
 * without the machine's the timed-out-executions alarm can never fire.
 */

let standard: Synthesized;
let express: Synthesized;
beforeAll(() => {
  standard = synthStack();
  express = synthStack({ config: { ...stageConfig('dev'), workflowType: 'EXPRESS' } });
});

function machineOf(synth: Synthesized): {
  definition: AslMachine;
  substitutions: Record<string, { 'Fn::GetAtt': [string, string] }>;
} {
  const machines = resourcesOfType(synth.template, 'AWS::StepFunctions::StateMachine');
  const machine = machines[logicalId(synth.stack.pipeline.stateMachine)];
  if (typeof machine?.DefinitionString !== 'string') throw new Error('The state machine has no inline definition');
  return {
    definition: JSON.parse(machine.DefinitionString) as AslMachine,
    substitutions: machine.DefinitionSubstitutions as Record<string, { 'Fn::GetAtt': [string, string] }>,
  };
}

function tasksOf(machine: AslMachine): [string, AslState][] {
  return Object.entries(machine.States).flatMap(([name, state]) => [
    ...(state.Type === 'Task' ? ([[name, state]] as [string, AslState][]) : []),
    ...(state.Branches ?? []).flatMap((branch) => tasksOf(branch)),
  ]);
}

describe('timeouts in the synthesized definition', () => {
  it('gives every Task a TimeoutSeconds of its own function timeout plus the margin', () => {
    // Arrange
    const { definition, substitutions } = machineOf(standard);
    const functions = resourcesOfType(standard.template, 'AWS::Lambda::Function');
    const tasks = tasksOf(definition);

    // Act
    const checked = tasks.map(([name, task]) => {
      const placeholder = /^\$\{(\w+)\}$/.exec(String(task.Resource))?.[1] ?? '';
      const functionId = substitutions[placeholder]?.['Fn::GetAtt'][0] ?? '';
      return {
        name,
        taskTimeout: task.TimeoutSeconds,
        functionTimeout: functions[functionId]?.Timeout as number | undefined,
      };
    });

    // Assert
    expect(tasks.map(([name]) => name).sort()).toEqual(
      [
        'CreateThumbnails',
        'DetectLabels',
        'DiscardFailedUpload',
        'MarkProcessing',
        'Moderate',
        'RecordFailure',
        'RecordResult',
        'RemoveReusedUpload',
        'RemoveUnissuedUpload',
        'TakeDownRejected',
      ].sort(),
    );
    for (const { name, taskTimeout, functionTimeout } of checked) {
      expect({ name, functionTimeout: typeof functionTimeout }).toEqual({ name, functionTimeout: 'number' });
      expect({ name, taskTimeout }).toEqual({
        name,
        taskTimeout: (functionTimeout ?? 0) + TASK_TIMEOUT_MARGIN_SECONDS,
      });
    }
  });

  it('sets each step function timeout from the one table of timeouts', () => {
    const { pipeline } = standard.stack;
    const functions = resourcesOfType(standard.template, 'AWS::Lambda::Function');

    const timeouts = {
      thumbnail: functions[logicalId(pipeline.thumbnail.function)]?.Timeout,
      labels: functions[logicalId(pipeline.labels.function)]?.Timeout,
      moderation: functions[logicalId(pipeline.moderation.function)]?.Timeout,
      record: functions[logicalId(pipeline.record.function)]?.Timeout,
      takedown: functions[logicalId(pipeline.takedown.function)]?.Timeout,
    };

    expect(timeouts).toEqual(STEP_FUNCTION_TIMEOUT_SECONDS);
  });

  it('gives a Standard machine an execution timeout above the worst case its retry budgets allow', () => {
    const { definition } = machineOf(standard);

    const worst = worstCaseSeconds(definition);

    expect(definition.TimeoutSeconds).toBe(EXECUTION_TIMEOUT_SECONDS.STANDARD);
    expect(definition.TimeoutSeconds).toBeGreaterThan(worst);
  });

  it("caps an Express machine at Express's 5 minutes, which the throttle budgets do not fit", () => {
    const { definition } = machineOf(express);

    const worst = worstCaseSeconds(definition);

    expect(definition.TimeoutSeconds).toBe(300);
    // README "Bursts" says so: Express is not recommended for bursty production.
    expect(worst).toBeGreaterThan(300);
  });
});
