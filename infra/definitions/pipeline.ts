/**
 * Time limits of the media pipeline, written once. CDK sets each step function's Lambda timeout
 * from {@link STEP_FUNCTION_TIMEOUT_SECONDS}, and {@link renderPipelineDefinition} writes the
 * `TimeoutSeconds` of every Task and of the machine into the ASL file's placeholders, for CDK and
 * for the local twin alike. (CDK's `StateMachine({ timeout })` does not reach a definition read
 * from a file, and CloudFormation's DefinitionSubstitutions only substitute strings, so the
 * numbers are put in before the definition is handed over.)
 */

/** Step Functions workflow types, as `infra/config.ts` names them. */
export type PipelineWorkflowType = 'STANDARD' | 'EXPRESS';

/** Lambda timeout of each step function, by its folder under functions/. */
export const STEP_FUNCTION_TIMEOUT_SECONDS = {
  // sharp decodes up to 100 MP; a 54 MP JPEG takes a few seconds in one environment.
  thumbnail: 60,
  labels: 15,
  moderation: 15,
  record: 10,
  // A copy and a few deletes and listings; a media has at most a few dozen derived objects.
  takedown: 30,
} as const satisfies Record<string, number>;

export type StepFunctionName = keyof typeof STEP_FUNCTION_TIMEOUT_SECONDS;

/**
 * A Task waits this much longer than its function may run: the function's own timeout (Lambda's
 * `Sandbox.Timedout`) ends a slow invocation first, and the Task's `States.Timeout` only fires
 * when Lambda itself never answers (a cold start's init also counts against the Task).
 */
export const TASK_TIMEOUT_MARGIN_SECONDS = 5;

/**
 * Limit of one execution. Standard: above the worst case the ASL's retry budgets allow (a test
 * computes it from the ASL), so only a stuck run reaches it. Express: AWS's hard cap of 5 minutes,
 * which the patient throttle budgets do not fit (see README "Bursts").
 */
export const EXECUTION_TIMEOUT_SECONDS: Record<PipelineWorkflowType, number> = {
  STANDARD: 4 * 60 * 60,
  EXPRESS: 5 * 60,
};

/**
 * How much longer than the execution limit a claim must be held before the sweeper settles it: the
 * watcher's status-change event, which names the precise cause (PIPELINE_TIMEOUT, PIPELINE_ABORTED),
 * normally comes within seconds, and an invocation still running when its execution ended (at most
 * a step's Lambda timeout) may still write its outcome.
 */
export const STRANDED_CLAIM_MARGIN_SECONDS = 15 * 60;

/** How often EventBridge Scheduler runs the sweeper (and the twin its timer). */
export const SWEEP_INTERVAL_MINUTES = 10;

/** The sweeper's Lambda timeout (the stack's and the twin's): a run settles at most a few hundred media. */
export const SWEEPER_TIMEOUT_SECONDS = 60;

/**
 * Age after which a held claim is stranded: no execution of this workflow type can still hold it.
 * The sweeper's `strandedClaimAgeSeconds`, for the stack and the twin alike.
 */
export function strandedClaimAgeSeconds(workflowType: PipelineWorkflowType): number {
  return EXECUTION_TIMEOUT_SECONDS[workflowType] + STRANDED_CLAIM_MARGIN_SECONDS;
}

/**
 * Days the pipeline's dead-letter queues (the upload rule's, the watcher's, the sweeper schedule's)
 * keep a message: SQS's maximum, the time an operator has to re-drive. The twin keeps its watcher
 * dead letters as long.
 */
export const DEAD_LETTER_RETENTION_DAYS = 14;

/** TimeoutSeconds of a Task that invokes this function. */
export function taskTimeoutSeconds(name: StepFunctionName): number {
  return STEP_FUNCTION_TIMEOUT_SECONDS[name] + TASK_TIMEOUT_MARGIN_SECONDS;
}

export function isStepFunctionName(name: string): name is StepFunctionName {
  return Object.hasOwn(STEP_FUNCTION_TIMEOUT_SECONDS, name);
}

/** `"TimeoutSeconds": "${ThumbnailTimeoutSeconds}"` in the ASL file: the quotes keep the file valid JSON. */
const TIMEOUT_PLACEHOLDER = /"\$\{([A-Za-z0-9]+)TimeoutSeconds\}"/g;

/**
 * Fills the ASL file's timeout placeholders with numbers: `"${ExecutionTimeoutSeconds}"` with the
 * workflow type's execution limit, `"${XxxTimeoutSeconds}"` with {@link taskTimeoutSeconds} of
 * function `xxx`. The `${XxxFunctionArn}` placeholders are left for CDK's definitionSubstitutions
 * (or the twin's ARNs).
 * @throws when a placeholder names no step function
 */
export function renderPipelineDefinition(source: string, workflowType: PipelineWorkflowType): string {
  return source.replace(TIMEOUT_PLACEHOLDER, (_all, name: string) => {
    if (name === 'Execution') return String(EXECUTION_TIMEOUT_SECONDS[workflowType]);
    const functionName = name.toLowerCase();
    if (!isStepFunctionName(functionName))
      throw new Error(`Timeout placeholder \${${name}TimeoutSeconds} names no step function`);
    return String(taskTimeoutSeconds(functionName));
  });
}

/**
 * Reserved concurrency of each detector function (labels, moderation) for a Rekognition quota of
 * `rekognitionTps` calls per second per API: one environment per call a second, since a
 * Rekognition call takes about a second or less. Admission happens at Lambda (throttled
 * invocations cost nothing and are retried by the ASL); the few calls that still exceed the
 * quota are retried as DetectorThrottledError.
 */
export function detectorReservedConcurrency(rekognitionTps: number): number {
  return Math.max(1, Math.floor(rekognitionTps));
}

/**
 * Lambda's concurrency quota of an account and region unless raised (Service Quotas), and the part
 * of it Lambda never lets functions reserve: PutFunctionConcurrency fails when reserving would leave
 * fewer than 100 concurrent executions unreserved.
 */
export const LAMBDA_DEFAULT_CONCURRENCY_QUOTA = 1000;
export const LAMBDA_MIN_UNRESERVED_CONCURRENCY = 100;

/** The functions that call Rekognition, one API each. */
export const DETECTOR_FUNCTIONS = ['labels', 'moderation'] as const satisfies readonly StepFunctionName[];

/**
 * Reserved concurrency of each step function, for the stack and the twin alike: the detector
 * functions get {@link detectorReservedConcurrency} when a Rekognition quota is stated, every other
 * function shares the account's concurrency.
 */
export function reservedConcurrency(rekognitionTps: number | undefined): Partial<Record<StepFunctionName, number>> {
  if (rekognitionTps === undefined) return {};
  const reserved = detectorReservedConcurrency(rekognitionTps);
  return Object.fromEntries(DETECTOR_FUNCTIONS.map((name) => [name, reserved]));
}
