/**
 * The conditions AWS recommends on a service role's trust against the confused deputy: the
 * service may assume the role only on behalf of these resources (`aws:SourceArn`) of this account
 * (`aws:SourceAccount`).
 */
export function confusedDeputyConditions(
  account: string,
  sourceArns: readonly string[],
): Record<string, Record<string, unknown>> {
  return {
    ArnLike: { 'aws:SourceArn': sourceArns.length === 1 ? sourceArns[0] : [...sourceArns] },
    StringEquals: { 'aws:SourceAccount': account },
  };
}
