/*
 * Cost per million images, from counts and durations measured on the local twin and the public
 * us-east-1 list prices below (printed with the results; check them before quoting). Free tiers
 * are ignored: at a million images a month they are noise.
 */

export const PRICES = {
  region: 'us-east-1',
  checked: '2026-11 (public list prices)',
  standardPerTransition: 0.025 / 1000,
  expressPerRequest: 1.0 / 1_000_000,
  /** First tier (up to 1,000,000 GB-hours a month). */
  expressPerGbSecond: 0.00001667,
  /** Express bills memory in 64 MB chunks and duration rounded up to 100 ms. */
  expressMemoryChunkMb: 64,
  expressDurationStepMs: 100,
  lambdaPerRequest: 0.2 / 1_000_000,
  /** arm64, first tier (up to 7.5 billion GB-seconds a month); billed per 1 ms. */
  lambdaArmPerGbSecond: 0.0000133334,
  /** Group 1 APIs (DetectLabels, DetectModerationLabels), first 1 million images a month. */
  rekognitionPerImagePerApi: 0.001,
  s3PutPerRequest: 0.005 / 1000,
  s3GetPerRequest: 0.0004 / 1000,
  dynamoDbPerWriteUnit: 0.625 / 1_000_000,
} as const;

export interface LambdaStep {
  /** State name in the ASL. */
  state: string;
  /** Function folder under functions/. */
  functionName: string;
  memoryMb: number;
  /** Median local duration of this step (ms). */
  durationMs: number;
}

export interface CostInputs {
  images: number;
  /** StateEntered events per execution (Parallel branch states included) + retries. */
  transitionsPerExecution: number;
  /** Median execution duration (ms). */
  executionMs: number;
  /** Assumed memory an Express execution is billed for. */
  expressMemoryMb: number;
  lambdaSteps: LambdaStep[];
  rekognitionApis: number;
  s3Puts: number;
  s3Gets: number;
  dynamoDbWriteUnits: number;
}

export interface CostLine {
  item: string;
  usd: number;
  basis: string;
}

export interface CostModel {
  inputs: CostInputs;
  standard: CostLine;
  express: CostLine;
  lambda: CostLine[];
  rekognition: CostLine;
  other: CostLine[];
  totalStandard: number;
  totalExpress: number;
}

const fmt = (value: number, digits = 2): string => value.toFixed(digits);

export function costModel(inputs: CostInputs): CostModel {
  const n = inputs.images;
  const standard: CostLine = {
    item: 'Step Functions Standard',
    usd: n * inputs.transitionsPerExecution * PRICES.standardPerTransition,
    basis: `${inputs.transitionsPerExecution} transitions x $0.025/1k`,
  };
  const billedSeconds =
    Math.ceil(inputs.executionMs / PRICES.expressDurationStepMs) * (PRICES.expressDurationStepMs / 1000);
  const billedGb =
    (Math.ceil(inputs.expressMemoryMb / PRICES.expressMemoryChunkMb) * PRICES.expressMemoryChunkMb) / 1024;
  const express: CostLine = {
    item: 'Step Functions Express',
    usd: n * (PRICES.expressPerRequest + billedSeconds * billedGb * PRICES.expressPerGbSecond),
    basis: `$1/M requests + ${fmt(billedSeconds, 1)} s x ${billedGb} GB x $${PRICES.expressPerGbSecond}/GB-s`,
  };
  const lambda: CostLine[] = inputs.lambdaSteps.map((step) => {
    const gbSeconds = (Math.ceil(step.durationMs) / 1000) * (step.memoryMb / 1024);
    return {
      item: `Lambda ${step.state} (${step.functionName}, ${step.memoryMb} MB)`,
      usd: n * (PRICES.lambdaPerRequest + gbSeconds * PRICES.lambdaArmPerGbSecond),
      basis: `1 request + ${Math.round(step.durationMs)} ms x ${step.memoryMb / 1024} GB arm64`,
    };
  });
  const rekognition: CostLine = {
    item: 'Rekognition',
    usd: n * inputs.rekognitionApis * PRICES.rekognitionPerImagePerApi,
    basis: `${inputs.rekognitionApis} APIs x $0.001/image`,
  };
  const other: CostLine[] = [
    {
      item: 'S3 requests',
      usd: n * (inputs.s3Puts * PRICES.s3PutPerRequest + inputs.s3Gets * PRICES.s3GetPerRequest),
      basis: `${inputs.s3Puts} PUT/POST x $0.005/1k + ${inputs.s3Gets} GET x $0.0004/1k`,
    },
    {
      item: 'DynamoDB writes',
      usd: n * inputs.dynamoDbWriteUnits * PRICES.dynamoDbPerWriteUnit,
      basis: `${inputs.dynamoDbWriteUnits} WRU x $0.625/M (on-demand)`,
    },
  ];
  const shared = [...lambda, rekognition, ...other].reduce((sum, line) => sum + line.usd, 0);
  return {
    inputs,
    standard,
    express,
    lambda,
    rekognition,
    other,
    totalStandard: shared + standard.usd,
    totalExpress: shared + express.usd,
  };
}
