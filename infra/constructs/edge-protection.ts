import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/** Requests per client IP and 5 minutes to POST /media/uploads before WAF blocks that IP. */
export const UPLOAD_RATE_LIMIT_PER_5_MINUTES = 100;
/** Requests per client IP and 5 minutes to anything behind the web ACL (API and user pool). */
export const REQUEST_RATE_LIMIT_PER_5_MINUTES = 2000;

/** Properties of an {@link EdgeProtection}. */
export interface EdgeProtectionProps {
  /** Prefix of the web ACL's metric names (CloudWatch, sampled requests). */
  readonly metricPrefix: string;
  /** ARNs of the regional resources the web ACL protects: the API stage, and the user pool when sign-up is open. */
  readonly protectedArns: Readonly<Record<string, string>>;
  /** Path of the upload route as API Gateway receives it, stage included, e.g. `/v1/media/uploads`. */
  readonly uploadPath: string;
}

function visibility(metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty {
  return { cloudWatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true };
}

function managedRule(
  priority: number,
  name: string,
  metricPrefix: string,
  ruleActionOverrides?: wafv2.CfnWebACL.RuleActionOverrideProperty[],
): wafv2.CfnWebACL.RuleProperty {
  return {
    name,
    priority,
    overrideAction: { none: {} },
    statement: {
      managedRuleGroupStatement: { vendorName: 'AWS', name, ...(ruleActionOverrides ? { ruleActionOverrides } : {}) },
    },
    visibilityConfig: visibility(`${metricPrefix}-${name}`),
  };
}

/**
 * An AWS WAF web ACL (regional) for the API stage and the user pool: AWS's IP reputation list,
 * the core rule set and known bad inputs (managed rule groups at no extra charge), a rate limit
 * per client IP on every request, and a stricter one on POST /media/uploads, the route whose
 * every call can start two Rekognition calls. Blocked requests never reach API Gateway or
 * Cognito; API Gateway still throttles per stage and the media function still counts each
 * user's daily quota behind it.
 */
export class EdgeProtection extends Construct {
  /** The web ACL. */
  public readonly webAcl: wafv2.CfnWebACL;
  /** One association per protected resource, by the key given in `protectedArns`. */
  public readonly associations: Readonly<Record<string, wafv2.CfnWebACLAssociation>>;

  constructor(scope: Construct, id: string, props: EdgeProtectionProps) {
    super(scope, id);
    const { metricPrefix } = props;

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      description: 'Travel guide API and user pool: AWS managed rules and per-IP rate limits',
      visibilityConfig: visibility(`${metricPrefix}-web-acl`),
      rules: [
        managedRule(0, 'AWSManagedRulesAmazonIpReputationList', metricPrefix),
        // The core rule set blocks bodies over 8 KB; article bodies are up to 50,000 characters
        // (64 KiB, checked by API Gateway's model and the function), so that one rule only counts.
        managedRule(1, 'AWSManagedRulesCommonRuleSet', metricPrefix, [
          { name: 'SizeRestrictions_BODY', actionToUse: { count: {} } },
        ]),
        managedRule(2, 'AWSManagedRulesKnownBadInputsRuleSet', metricPrefix),
        {
          name: 'UploadUrlRateLimit',
          priority: 3,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit: UPLOAD_RATE_LIMIT_PER_5_MINUTES,
              evaluationWindowSec: 300,
              aggregateKeyType: 'IP',
              scopeDownStatement: {
                andStatement: {
                  statements: [
                    {
                      byteMatchStatement: {
                        fieldToMatch: { method: {} },
                        positionalConstraint: 'EXACTLY',
                        searchString: 'POST',
                        textTransformations: [{ priority: 0, type: 'NONE' }],
                      },
                    },
                    {
                      byteMatchStatement: {
                        fieldToMatch: { uriPath: {} },
                        positionalConstraint: 'EXACTLY',
                        searchString: props.uploadPath,
                        textTransformations: [{ priority: 0, type: 'NONE' }],
                      },
                    },
                  ],
                },
              },
            },
          },
          visibilityConfig: visibility(`${metricPrefix}-upload-url-rate-limit`),
        },
        {
          name: 'RequestRateLimit',
          priority: 4,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit: REQUEST_RATE_LIMIT_PER_5_MINUTES,
              evaluationWindowSec: 300,
              aggregateKeyType: 'IP',
            },
          },
          visibilityConfig: visibility(`${metricPrefix}-request-rate-limit`),
        },
      ],
    });

    this.associations = Object.fromEntries(
      Object.entries(props.protectedArns).map(([key, resourceArn]) => [
        key,
        new wafv2.CfnWebACLAssociation(this, `${key}Association`, { resourceArn, webAclArn: this.webAcl.attrArn }),
      ]),
    );
  }
}
