/**
 * The environment the CDK function constructs give every handler, with the local twin's settings
 * for what has no AWS counterpart here (no X-Ray daemon, no CloudWatch metrics). Set before a
 * handler module is imported: handlers read it at import.
 */
export function stepEnvironment(region: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_SERVICE_NAME: 'travel-guide-bench',
    POWERTOOLS_METRICS_NAMESPACE: 'TravelGuideBench',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_TRACE_ENABLED: 'false',
    AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    ...extra,
  };
}

export function applyEnvironment(values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) process.env[name] = value;
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
}
