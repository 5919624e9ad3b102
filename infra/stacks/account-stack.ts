import {
  ArnFormat,
  CfnOutput,
  CfnResource,
  RemovalPolicy,
  Stack,
  type StackProps,
  Tags,
  Validations,
} from 'aws-cdk-lib';
import * as accessanalyzer from 'aws-cdk-lib/aws-accessanalyzer';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/** What API Gateway does with its CloudWatch role: create log groups and streams, and write to them. */
export const API_GATEWAY_LOGGING_ACTIONS = [
  'logs:CreateLogGroup',
  'logs:CreateLogStream',
  'logs:DescribeLogGroups',
  'logs:DescribeLogStreams',
  'logs:PutLogEvents',
];

/** Properties of an {@link AccountStack}. */
export interface AccountStackProps extends StackProps {
  /** Set API Gateway's account-wide CloudWatch role, which access and execution logging need. */
  readonly apiGatewayCloudWatchRole: boolean;
  /** Create the region's IAM Access Analyzer (account zone of trust). */
  readonly withAccessAnalyzer: boolean;
}

/**
 * What exists once per account and region, whatever the number of stages: API Gateway's
 * CloudWatch role (the `AWS::ApiGateway::Account` setting, off on a new account, without which a
 * stage with access logging fails to deploy) and an IAM Access Analyzer (one account analyzer per
 * region). No stage stack creates either; each stage stack depends on this one, so
 * `cdk deploy TravelGuide-dev` deploys it first on a new account.
 *
 * Everything here is retained when the stack is deleted: the logging role and the analyzer are
 * the account's, and other stacks (or other projects) may rely on them.
 */
export class AccountStack extends Stack {
  /** The role API Gateway assumes to write logs to CloudWatch, when the stack sets it. */
  public readonly apiGatewayCloudWatchRole?: iam.Role;
  /** The account's API Gateway settings, when the stack sets the role. */
  public readonly apiGatewayAccount?: apigw.CfnAccount;
  /** The region's account analyzer, when enabled. */
  public readonly accessAnalyzer?: accessanalyzer.CfnAnalyzer;

  constructor(scope: Construct, id: string, props: AccountStackProps) {
    super(scope, id, props);
    // Shared by every stage: the Environment tag must not flip with the stage being deployed.
    Tags.of(this).add('Environment', 'account', { priority: 200 });

    if (props.apiGatewayCloudWatchRole) {
      this.apiGatewayCloudWatchRole = new iam.Role(this, 'ApiGatewayCloudWatchRole', {
        assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com', {
          conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
        }),
        description: "API Gateway's account-wide role for writing access and execution logs to CloudWatch Logs",
      });
      // The write half of AWS's AmazonAPIGatewayPushToCloudWatchLogs, inline so it can be reviewed
      // and tested, and held to this account's and region's log groups: API Gateway creates
      // `API-Gateway-Execution-Logs_{apiId}/{stage}` itself and writes each stage's access log
      // group, whichever API of the account they belong to.
      this.apiGatewayCloudWatchRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: API_GATEWAY_LOGGING_ACTIONS,
          resources: [
            this.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
      );
      Validations.of(this.apiGatewayCloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*]',
        reason:
          "API Gateway's one account-wide logging role serves every API and stage of the account and region, and creates their execution log groups itself, so it cannot name them in advance; it is held to this account's and region's log groups and to the write actions.",
      });
      this.apiGatewayAccount = new apigw.CfnAccount(this, 'ApiGatewayAccount', {
        cloudWatchRoleArn: this.apiGatewayCloudWatchRole.roleArn,
      });
      // API Gateway checks the role's permissions when the setting is applied: the role's policy is
      // a resource of its own, so the setting waits for the role and its policy, not its ARN alone.
      this.apiGatewayAccount.node.addDependency(this.apiGatewayCloudWatchRole);
      new CfnOutput(this, 'ApiGatewayCloudWatchRoleArn', { value: this.apiGatewayCloudWatchRole.roleArn });
    }

    if (props.withAccessAnalyzer) {
      // Reports resources of this account shared outside it (bucket policies, role trusts, ...).
      this.accessAnalyzer = new accessanalyzer.CfnAnalyzer(this, 'AccessAnalyzer', { type: 'ACCOUNT' });
    }

    // Deleting this stack must not take the account's settings (or the role's policy) with it.
    for (const child of this.node.findAll()) {
      if (child instanceof CfnResource) child.applyRemovalPolicy(RemovalPolicy.RETAIN);
    }
  }
}
