import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { AttributeType, KeyAttribute, TableDefinition } from '../definitions/tables';

const ATTRIBUTE_TYPES: Record<AttributeType, dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
  B: dynamodb.AttributeType.BINARY,
};

function attribute(key: KeyAttribute): dynamodb.Attribute {
  return { name: key.name, type: ATTRIBUTE_TYPES[key.type] };
}

/** Properties of a {@link DefinedTable}. */
export interface DefinedTableProps {
  /** Key schema and indexes, shared with the handlers and the local twin. */
  readonly definition: TableDefinition;
  /** What happens to the table (and its data) when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * A DynamoDB table built from its shared definition in `infra/definitions/tables.ts`: on-demand
 * capacity, point-in-time recovery, encryption at rest with the AWS-owned key, deletion
 * protection whenever the table is retained, and TTL when the definition names its attribute.
 */
export class DefinedTable extends Construct {
  /** The table. */
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: DefinedTableProps) {
    super(scope, id);
    const { definition } = props;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: attribute(definition.partitionKey),
      ...(definition.sortKey ? { sortKey: attribute(definition.sortKey) } : {}),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy,
      deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
      ...(definition.timeToLiveAttribute !== undefined ? { timeToLiveAttribute: definition.timeToLiveAttribute } : {}),
    });
    for (const index of definition.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        ...(index.sortKey ? { sortKey: attribute(index.sortKey) } : {}),
        ...(index.projection?.type === 'INCLUDE'
          ? {
              projectionType: dynamodb.ProjectionType.INCLUDE,
              nonKeyAttributes: [...index.projection.nonKeyAttributes],
            }
          : { projectionType: dynamodb.ProjectionType.ALL }),
      });
    }
  }
}
