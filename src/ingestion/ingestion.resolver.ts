import { Arg, Authorized, Field, ID, InputType, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { AuthContext } from '../platform/context/auth-context';
import { PebbleError } from '../platform/errors/pebble-error';
import { CurrentAuth } from '../platform/graphql/context';
import { IngestionStatus, type EmailStatus } from './email.entity';
import type { EmailSubmission } from './email-submission';
import { INGESTION_WRITERS, type IngestionReceipt as Receipt, type IngestionService, type IngestionStatusView } from './ingestion.service';



@InputType({ description: 'An email handed to Pebble; the same contract as the JSON body of `POST /api/v1/ingestion/email/`.' })
export class EmailInput {
  @Field({ description: 'Subject line.' })
  subject!: string;

  @Field({ description: 'Sender, an RFC 5322 address; a display name is allowed: `Ann Lee <ann@acme.example>`.' })
  from!: string;

  @Field({ description: 'Plain-text body.' })
  body!: string;

  @Field(() => [String], { nullable: true, description: 'Links to the attachments, http or https, at most 50.' })
  attachmentUrls?: string[] | null;

  @Field(() => String, { nullable: true, description: 'The Message-ID header, e.g. `<abc@mail.acme.example>`.' })
  messageId?: string | null;

  @Field(() => String, { nullable: true, description: 'The In-Reply-To header.' })
  inReplyTo?: string | null;

  @Field(() => [String], { nullable: true, description: 'The Message-IDs of the References header.' })
  references?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Recipients (RFC 5322 addresses).' })
  to?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Carbon-copy recipients (RFC 5322 addresses).' })
  cc?: string[] | null;

  @Field(() => String, { nullable: true, description: 'When the mail server received it, ISO 8601 with a time zone.' })
  receivedAt?: string | null;

  @Field(() => String, { nullable: true, description: 'The system handing it over; default `email-listener`.' })
  sourceSystem?: string | null;
}

/** GraphQL field → wire field, so errors from the shared validation name the field the caller sent. */
const WIRE_NAMES = {
  subject: 'subject',
  from: 'from',
  body: 'body',
  attachmentUrls: 'attachment_urls',
  messageId: 'message_id',
  inReplyTo: 'in_reply_to',
  references: 'references',
  to: 'to',
  cc: 'cc',
  receivedAt: 'received_at',
  sourceSystem: 'source_system',
} as const satisfies Record<keyof EmailInput, keyof EmailSubmission>;

@ObjectType({ description: 'The answer to an accepted email: where to follow it.' })
export class IngestionReceipt {
  @Field(() => ID, { description: 'Follow the email with `ingestion(trackingId)`.' })
  trackingId!: string;

  @Field(() => IngestionStatus, { description: 'Always `queued`: the email and its processing job are committed.' })
  status!: EmailStatus;

  @Field({ description: 'True when the Idempotency-Key was used before and this is the first answer again.' })
  replayed!: boolean;
}

@ObjectType({ description: 'The progress of one accepted email.' })
export class EmailIngestion {
  @Field(() => ID, { description: 'The tracking id returned on ingestion.' })
  trackingId!: string;

  @Field(() => IngestionStatus, { description: 'Current status.' })
  status!: EmailStatus;

  @Field({ description: 'Subject line as stored.' })
  subject!: string;

  @Field({ description: 'Sender address.' })
  fromAddress!: string;

  @Field(() => String, { nullable: true, description: 'Message-ID header, when the email had one.' })
  messageId!: string | null;

  @Field({ description: 'The system that handed it over.' })
  sourceSystem!: string;

  @Field({ description: 'When Pebble accepted it (the 202).' })
  acceptedAt!: Date;

  @Field({ description: 'When its status last changed.' })
  updatedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When a worker started on it.' })
  processingStartedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it reached carded, duplicate or dead.' })
  finishedAt!: Date | null;

  @Field(() => ID, { nullable: true, description: 'The Kanban card it belongs to, once known.' })
  cardId!: string | null;

  @Field(() => String, { nullable: true, description: 'Why processing failed, for dead emails.' })
  lastError!: string | null;
}

@Resolver()
export class IngestionResolver {
  constructor(private readonly service: IngestionService) {}

  @Authorized(...INGESTION_WRITERS)
  @Mutation(() => IngestionReceipt, { description: 'Hands an email to Pebble for processing (admin, integration).' })
  async ingestEmail(
    @CurrentAuth() auth: AuthContext,
    @Arg('input', { description: 'The email.' }) input: EmailInput,
    @Arg('idempotencyKey', () => String, { nullable: true, description: 'Repeating a key within 24 h returns the first receipt.' })
    idempotencyKey: string | null,
  ): Promise<Receipt> {
    const submission = Object.fromEntries(
      Object.entries(WIRE_NAMES)
        .filter(([field]) => input[field as keyof EmailInput] !== undefined && input[field as keyof EmailInput] !== null)
        .map(([field, wire]) => [wire, input[field as keyof EmailInput]]),
    );
    try {
      return await this.service.ingestJson(auth, submission, JSON.stringify(submission), idempotencyKey);
    } catch (error) {
      throw error instanceof PebbleError ? withGraphQLFieldNames(error) : error;
    }
  }

  @Authorized()
  @Query(() => EmailIngestion, { description: "An accepted email's progress; NOT_FOUND for another tenant's tracking id." })
  ingestion(@CurrentAuth() auth: AuthContext, @Arg('trackingId', () => ID, { description: 'Tracking id.' }) trackingId: string): Promise<IngestionStatusView> {
    return this.service.status(auth, trackingId);
  }
}

function withGraphQLFieldNames(error: PebbleError): PebbleError {
  const fields = error.details.fields;
  if (!fields) return error;
  const graphqlName = new Map(Object.entries(WIRE_NAMES).map(([field, wire]) => [wire as string, field]));
  const renamed = fields.map(({ field, message }) => {
    // The service names the REST header; a GraphQL caller sent the `idempotencyKey` argument.
    if (field === 'Idempotency-Key') return { field: 'idempotencyKey', message };
    const [head, ...rest] = field.split('.');
    const name = graphqlName.get(head);
    return { field: name ? ['input', name, ...rest].join('.') : field, message };
  });
  Object.assign(error, { details: { ...error.details, fields: renamed } });
  return error;
}
