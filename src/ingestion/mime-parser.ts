import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { badInput } from '../platform/errors/pebble-error';
import { DEFAULT_SOURCE_SYSTEM, splitMessageIds, type EmailLimits, type NormalizedEmail } from './email-submission';

const MAX_LISTED = 500;
const MAX_HEADER_CHARS = 998;
// Half of a UTF-16 pair without the other half (an encoded-word in the UTF-16 charset can decode to one):
// JSON.stringify keeps it as `\udXXX`, which Postgres refuses in jsonb, failing the insert.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Parses a whole RFC 5322/MIME message into the same form as a JSON submission. Real mail is often
 * malformed: whatever can be recovered is kept, each problem is recorded in `parseProblems`, and the raw
 * bytes are stored as received. Only a message without a usable From address is refused.
 */
export async function parseMime(raw: Buffer, limits: EmailLimits): Promise<NormalizedEmail> {
  let mail: ParsedMail;
  try {
    mail = await simpleParser(raw, { skipTextLinks: true, skipImageLinks: true, maxHtmlLengthToParse: limits.textMaxChars * 4 });
  } catch (error) {
    throw badInput([{ field: 'body', message: `is not a parseable MIME message (${(error as Error).message})` }]);
  }
  const problems: string[] = [];
  const senders = addresses(mail.from);
  const from = senders[0];
  if (!from) throw badInput([{ field: 'from', message: 'the message has no parseable From address' }]);

  const clean = (field: string, value: string, max: number): string => {
    let text = value;
    if (text.includes('\u0000')) {
      text = text.replaceAll('\u0000', '');
      problems.push(`${field}: NUL characters removed`);
    }
    if (text.length > max) {
      text = text.slice(0, max);
      problems.push(`${field}: truncated to ${max} characters (the raw message is complete)`);
    }
    // After truncating, which may itself cut a pair in two.
    const wellFormed = text.replace(LONE_SURROGATE, '\ufffd');
    if (wellFormed !== text) {
      text = wellFormed;
      problems.push(`${field}: unpaired UTF-16 surrogates replaced`);
    }
    return text;
  };

  const dateHeader = mail.headerLines.find((line) => line.key === 'date');
  const date = dateHeader ? new Date(dateHeader.line.slice(dateHeader.line.indexOf(':') + 1).trim()) : null;
  // `new Date` also reads ISO years such as -010000, before anything Postgres can store (4713 BC).
  const usableDate = date !== null && !Number.isNaN(date.getTime()) && date.getUTCFullYear() >= 1;
  if (dateHeader && !usableDate) problems.push('date: unparseable Date header, ingestion time used');
  if (!mail.messageId) problems.push('message_id: no Message-ID header');

  return {
    subject: clean('subject', mail.subject ?? '', limits.subjectMaxChars),
    fromAddress: from.address,
    fromName: from.name,
    senders: senders.map((sender) => sender.address),
    to: addresses(mail.to).map((entry) => entry.address),
    cc: addresses(mail.cc).map((entry) => entry.address),
    body: clean('body', mail.text ?? '', limits.textMaxChars),
    attachmentUrls: [],
    attachments: mail.attachments.slice(0, MAX_LISTED).map((attachment) => ({
      name: attachment.filename ? clean('attachments', attachment.filename, MAX_HEADER_CHARS) : null,
      type: clean('attachments', attachment.contentType, MAX_HEADER_CHARS),
      size: attachment.size,
      sha256: createHash('sha256').update(attachment.content).digest('hex'),
    })),
    messageId: clean('message_id', mail.messageId?.trim() ?? '', MAX_HEADER_CHARS) || null,
    inReplyTo: clean('in_reply_to', mail.inReplyTo?.trim() ?? '', MAX_HEADER_CHARS) || null,
    references: (Array.isArray(mail.references) ? mail.references : splitMessageIds(mail.references ?? ''))
      .slice(0, MAX_LISTED)
      .map((id) => clean('references', id, MAX_HEADER_CHARS)),
    receivedAt: usableDate ? date : null,
    sourceSystem: DEFAULT_SOURCE_SYSTEM,
    raw,
    rawContentType: 'message/rfc822',
    parseProblems: problems,
  };
}

function addresses(field: AddressObject | AddressObject[] | undefined): { address: string; name: string | null }[] {
  const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return objects
    .flatMap((object) => object.value)
    .flatMap((entry) => (entry.group ? entry.group : [entry]))
    .filter(
      (entry) =>
        typeof entry.address === 'string' &&
        entry.address.length <= MAX_HEADER_CHARS &&
        /^[^@\s\u0000]+@[^@\s\u0000]+$/.test(entry.address) &&
        entry.address.replace(LONE_SURROGATE, '') === entry.address,
    )
    .slice(0, MAX_LISTED)
    .map((entry) => ({ address: entry.address!, name: entry.name?.replaceAll('\u0000', '').slice(0, MAX_HEADER_CHARS) || null }));
}
