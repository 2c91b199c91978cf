import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Authorized, Field, ID, InputType, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { AuthContext } from '../platform/context/auth-context';
import { PebbleError } from '../platform/errors/pebble-error';
import { CurrentAuth } from '../platform/graphql/context';
import { stringEnum } from '../platform/graphql/string-enum';
import { BusinessRecord, RecordKindEnum, type RecordKind } from './business-record.entity';
import type { UpsertStatus } from './record-batch-writer';
import type { RecordSubmission } from './record-submission';
import { RECORD_WRITERS, type RecordService, type UpsertRecordsResult } from './record.service';

const UpsertStatusEnum = stringEnum('RecordUpsertStatus', ['created', 'updated', 'unchanged'] as const, 'What an upsert did to a record.', {
  created: 'The record is new.',
  updated: 'The record existed and its title, attributes or company changed.',
  unchanged: 'The record existed as sent; nothing was written.',
});

@InputType({ description: 'A CRM/ERP record; the same contract as one item of `POST /api/v1/records/`.' })
export class RecordInput {
  @Field({ description: 'The system the record comes from, a short lower-case name such as `salesforce`.' })
  sourceSystem!: string;

  @Field(() => RecordKindEnum, { description: 'What the record describes.' })
  kind!: RecordKind;

  @Field({ description: 'Its id in the source system, 1-200 characters; with `sourceSystem` and `kind` the key of the upsert.' })
  externalId!: string;

  @Field(() => String, { nullable: true, description: 'Display name, at most 500 characters.' })
  title?: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Free-form attributes; size- and depth-limited. `domain`, `website` or `email` link it to a company.' })
  attributes?: Record<string, unknown> | null;

  @Field(() => String, { nullable: true, description: 'External id of the company record it belongs to (not for `company` records).' })
  companyExternalId?: string | null;
}

/** GraphQL field → wire field, so errors from the shared validation name the field the caller sent. */
const WIRE_NAMES = {
  sourceSystem: 'source_system',
  kind: 'kind',
  externalId: 'external_id',
  title: 'title',
  attributes: 'attributes',
  companyExternalId: 'company_external_id',
} as const satisfies Record<keyof RecordInput, keyof RecordSubmission>;

@ObjectType({ description: 'A record that was stored.' })
export class StoredRecord {
  @Field(() => Int, { description: 'Its position in `input`.' })
  index!: number;

  @Field(() => ID, { description: 'The record id; read it with `record(id)`.' })
  id!: string;

  @Field(() => UpsertStatusEnum, { description: 'What the upsert did.' })
  status!: UpsertStatus;
}

@ObjectType({ description: 'One problem with a record that was not stored.' })
export class RejectedRecord {
  @Field(() => Int, { description: 'Its position in `input`.' })
  index!: number;

  @Field({ description: 'The bad field, e.g. `input[3].externalId`.' })
  field!: string;

  @Field({ description: 'What is wrong with it.' })
  message!: string;
}

@ObjectType({ description: 'The outcome of `upsertRecords`: every record is either stored or rejected.' })
export class UpsertRecordsPayload {
  @Field(() => [StoredRecord], { description: 'Records stored (or found unchanged), in input order.' })
  stored!: StoredRecord[];

  @Field(() => [RejectedRecord], { description: 'Problems of the records not stored; a record may have several.' })
  rejected!: RejectedRecord[];
}

@Resolver(() => BusinessRecord)
export class RecordResolver {
  constructor(private readonly service: RecordService) {}

  @Authorized()
  @Query(() => [BusinessRecord], { description: "The caller's tenant's records, newest first." })
  records(
    @CurrentAuth() auth: AuthContext,
    @Arg('kind', () => RecordKindEnum, { nullable: true, description: 'Only this kind.' }) kind: RecordKind | null,
    @Arg('companyId', () => ID, { nullable: true, description: "Only this company's records." }) companyId: string | null,
    @Arg('first', () => Int, { defaultValue: 20, description: 'Page size, 1-100.' }) first: number,
    @Arg('after', () => ID, { nullable: true, description: 'Return records after (older than) this id.' }) after: string | null,
  ): Promise<BusinessRecord[]> {
    return this.service.list(auth, { kind, companyId, first, after });
  }

  @Authorized()
  @Query(() => BusinessRecord, { description: "One record of the caller's tenant; NOT_FOUND for any other id." })
  record(@CurrentAuth() auth: AuthContext, @Arg('id', () => ID, { description: 'Record id.' }) id: string): Promise<BusinessRecord> {
    return this.service.get(auth, id);
  }

  @Authorized(...RECORD_WRITERS)
  @Mutation(() => UpsertRecordsPayload, {
    description: 'Creates or updates CRM/ERP records by (sourceSystem, kind, externalId); bad records are rejected, the rest stored (admin, integration).',
  })
  async upsertRecords(
    @CurrentAuth() auth: AuthContext,
    @Arg('input', () => [RecordInput], { description: 'The records, at most RECORDS_MAX_PER_CALL (default 1000).' }) input: RecordInput[],
  ): Promise<UpsertRecordsResult> {
    const records = input.map((record) =>
      Object.fromEntries(
        Object.entries(WIRE_NAMES)
          .filter(([field]) => record[field as keyof RecordInput] !== undefined && record[field as keyof RecordInput] !== null)
          .map(([field, wire]) => [wire, record[field as keyof RecordInput]]),
      ),
    );
    try {
      const { stored, rejected } = await this.service.upsert(auth, { records });
      return { stored, rejected: rejected.map((problem) => ({ ...problem, field: graphqlField(problem.field) })) };
    } catch (error) {
      throw error instanceof PebbleError ? withGraphQLFieldNames(error) : error;
    }
  }
}

const GRAPHQL_NAMES = new Map<string, string>(Object.entries(WIRE_NAMES).map(([field, wire]) => [wire, field]));

/** `records[3].external_id.x` → `input[3].externalId.x`; attribute keys stay as sent. */
function graphqlField(field: string): string {
  const match = /^records(\[\d+\])?(?:\.([^.]+))?(.*)$/s.exec(field);
  if (!match) return field;
  const [, position = '', name, rest] = match;
  return `input${position}${name ? `.${GRAPHQL_NAMES.get(name) ?? name}` : ''}${rest}`;
}

function withGraphQLFieldNames(error: PebbleError): PebbleError {
  const fields = error.details.fields;
  if (!fields) return error;
  Object.assign(error, { details: { ...error.details, fields: fields.map(({ field, message }) => ({ field: graphqlField(field), message })) } });
  return error;
}
