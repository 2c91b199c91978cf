import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { callerFactory, type Caller } from '../factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { ingest, mailCorpus, storedCounts, storedEmail, type EmailRow } from './factories';

/** The shared corpus of real-world mail (read in place, never copied into the repo). */
const CORPUS = mailCorpus();

/** Every `.eml` below `dir`, as `folder/file.eml` paths relative to the corpus, sorted. */
function emlFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) return emlFiles(path.join(dir, entry.name), relative);
      return entry.name.endsWith('.eml') ? [relative] : [];
    })
    .sort();
}

const FIXTURES = emlFiles(CORPUS);
const fixture = (name: string): Buffer => readFileSync(path.join(CORPUS, name));

/** The corpus messages without a usable From address: the only ones the endpoint may refuse. */
const REFUSED: Record<string, string> = {
  // No From header at all (and a subject in the unknown charset "NONE").
  'error_emails/bad_encoded_subject.eml': 'from',
  // RFC 2822 §A.6.3 obsolete syntax: `From  : John Doe <jdoe@machine(comment).  example>`.
  'rfc2822/example13.eml': 'from',
};

const DATE_PROBLEM = 'date: unparseable Date header, ingestion time used';
const NO_MESSAGE_ID = 'message_id: no Message-ID header';

/**
 * What each file of `error_emails/` (malformed real mail) must become. Files not refused are stored with
 * what could be recovered; `parse_problems` lists exactly what could not.
 */
const ERROR_EMAILS: Record<string, { status: 400; field: string } | { status: 202; row: Partial<EmailRow> }> = {
  'bad_date_header.eml': {
    status: 202,
    // `Date:` is empty (the next line is HTML); In-Reply-To without brackets is normalised to `<...>`.
    row: { from_address: 'infoz@reactive-outpost.com', in_reply_to: '<someone@yahoo.com>', message_id: null, parse_problems: [DATE_PROBLEM, NO_MESSAGE_ID] },
  },
  'bad_date_header2.eml': {
    status: 202,
    row: { from_address: 'enews@Free-Quilting.com', from_name: 'Free-Quilting.com', parse_problems: [DATE_PROBLEM] },
  },
  'bad_encoded_subject.eml': { status: 400, field: 'from' },
  'bad_subject.eml': {
    status: 202,
    // A display name and a subject split over many encoded-words, one of them empty (`=?UTF-8?B??=`).
    row: { from_address: 'carol@mysurvey.com', from_name: 'MySurvey.com & Carol Adams', parse_problems: [NO_MESSAGE_ID] },
  },
  'cant_parse_from.eml': {
    status: 202,
    row: { from_address: 'News@InsideApple.Apple.com', from_name: 'Apple', to_addresses: ['karl.baum@gmail.com'], parse_problems: [] },
  },
  'content_transfer_encoding_7-bit.eml': {
    status: 202,
    row: { from_address: 'discovercard_newsflash@discover.qrs1.net', subject: 'Discover(R) Card News Online - January 2002', parse_problems: [] },
  },
  'content_transfer_encoding_empty.eml': { status: 202, row: { from_address: '3712f2@msa.hinet.net', parse_problems: [] } },
  'content_transfer_encoding_plain.eml': {
    status: 202,
    row: { from_address: 'baocqccyw@hq.lindsayelec.com', subject: 'bookkeeping Get in on IGTS asap.', parse_problems: [] },
  },
  'content_transfer_encoding_qp_with_space.eml': {
    status: 202,
    row: { from_address: 'fyouizjnp@swissonline.ch', subject: 'Low or High Blood Pressure? We can help.', parse_problems: [] },
  },
  'content_transfer_encoding_spam.eml': { status: 202, row: { from_address: 'shechem@poetrix.com', parse_problems: [] } },
  'content_transfer_encoding_text-html.eml': {
    status: 202,
    row: {
      from_address: 'abhijit.862153drinnan@datavalet.com',
      to_addresses: ['cvs@bruce-guenter.dyndns.org'],
      cc_addresses: ['rait@bruce-guenter.dyndns.org'],
      parse_problems: [NO_MESSAGE_ID],
    },
  },
  'content_transfer_encoding_with_8bits.eml': {
    status: 202,
    row: { from_address: 'announcements@provantage.com', subject: 'The Original Advantage #e13011', parse_problems: [] },
  },
  'content_transfer_encoding_with_semi_colon.eml': {
    status: 202,
    // The header name is lower-case (`from:`).
    row: { from_address: 'nsukijamq@morozstudio.tk', from_name: 'Shelby', subject: 'Attention', parse_problems: [NO_MESSAGE_ID] },
  },
  'content_transfer_encoding_x_uuencode.eml': {
    status: 202,
    row: { from_address: 'lpeters@PACIFIER.COM', in_reply_to: '<1168BAF252B7D41194810001028D743108913C@SERVER>', parse_problems: [] },
  },
  'empty_group_lists.eml': {
    status: 202,
    // `To: undisclosed recipients: ;` is a group without members.
    row: { from_address: 'ceciledwards@sbcglobal.net', to_addresses: [], parse_problems: [] },
  },
  'empty_in_reply_to.eml': { status: 202, row: { from_address: 'ak@g.com', in_reply_to: null, reference_ids: [], parse_problems: [] } },
  'encoding_madness.eml': { status: 202, row: { from_address: 'no-reply@crm.el-example.org', parse_problems: [] } },
  'header_fields_with_empty_values.eml': {
    status: 202,
    row: { from_address: 'jorn@prikkprikkprikk.no', from_name: 'Jørn Støylen', subject: 'Testmail', parse_problems: [] },
  },
  'invalid_subject_characters.eml': {
    status: 202,
    row: { from_address: 'info@formacaofrenetik.info', from_name: 'Formação Frenetikpolis', parse_problems: [NO_MESSAGE_ID] },
  },
  'missing_body.eml': { status: 202, row: { from_address: 'redacted@attglobal.net', subject: 'REDACTED', body: '', parse_problems: [] } },
  'missing_content_disposition.eml': { status: 202, row: { from_address: 'redacted@example.com', parse_problems: [] } },
  'multiple_content_types.eml': { status: 202, row: { from_address: 'redacted@flashmail.net', parse_problems: [] } },
  'multiple_invalid_content_dispositions.eml': { status: 202, row: { from_address: 'redacted@flashmail.net', parse_problems: [] } },
  'multiple_references_with_one_invalid.eml': { status: 202, row: { from_address: 'redacted@flashmail.net', parse_problems: [] } },
  'must_supply_encoding.eml': { status: 202, row: { from_address: 'info@here2there-travelers-msgs.net', parse_problems: [] } },
  'new_line_in_to_header.eml': {
    status: 202,
    row: {
      from_address: 'l@gcn-example.com',
      to_addresses: ['leads@sg.dc.com', 'sag@leads.gs.ry.com', 'sn@example-hotmail.com', 'e-s-a-g-8718@app.ar.com', 'jp@t-exmaple.com', 'cc@c-l-example.com'],
      parse_problems: [],
    },
  },
  'trademark_character_in_subject.eml': {
    status: 202,
    // `Date: Tue, 12 Oct 2010 16:21:05 H0500`: a zone that is no zone.
    row: { from_address: 'j@yahoo-example.com', parse_problems: [DATE_PROBLEM] },
  },
  'weird_to_header.eml': {
    status: 202,
    row: { from_address: 'anonymous@i.tp.host', to_addresses: ['user-example@aol.com', 'e-s-a-s-2200@app.ar.com'], parse_problems: [] },
  },
};

describe('POST /api/v1/ingestion/email/ with message/rfc822 (real-world corpus)', () => {
  let env: TestEnv;
  let integration: Caller;

  /** POSTs `raw` as message/rfc822, by default as the integration caller. */
  const post = (raw: Buffer | string, token = integration.access): Promise<LightMyRequestResponse> =>
    ingest(env, token, raw, { 'content-type': 'message/rfc822' });

  /** 202 with a receipt; on failure the answer's body is shown. */
  function expectAccepted(response: LightMyRequestResponse): string {
    expect({ status: response.statusCode, body: response.json() }).toEqual({
      status: 202,
      body: { tracking_id: expect.any(String), status: 'queued' },
    });
    return response.json().tracking_id;
  }

  async function jobOf(trackingId: string): Promise<{ name: string; data: Record<string, string> } | undefined> {
    const rows = await env.ownerDb.query<{ name: string; data: Record<string, string> }>('select name, data from pgboss.job where id = ?', [trackingId]);
    return rows[0];
  }

  /** How many emails are stored, in all tenants. */
  const countEmails = async (): Promise<number> => (await storedCounts(env)).emails;

  /** Posts a corpus file, expects 202, and returns the stored row. */
  async function ingestFixture(name: string): Promise<EmailRow> {
    return storedEmail(env, expectAccepted(await post(fixture(name))));
  }

  beforeAll(async () => {
    env = await createTestEnv();
    integration = await callerFactory(env, 'integration');
  });
  afterAll(() => env.close());

  describe('every file of the corpus', () => {
    it('is found: all eight folders, over a hundred messages', () => {
      const folders = new Set(FIXTURES.map((name) => name.split('/')[0]));
      expect([...folders].sort()).toEqual([
        'attachment_emails',
        'error_emails',
        'mime_emails',
        'multi_charset',
        'multipart_report_emails',
        'plain_emails',
        'rfc2822',
        'rfc6532',
      ]);
      expect(FIXTURES.length).toBeGreaterThanOrEqual(100);
    });

    it.each(FIXTURES)('%s is accepted byte-exact with a job, or refused with a clear 400, never a 500', async (name) => {
      const raw = fixture(name);
      const before = await countEmails();

      const response = await post(raw);

      if (REFUSED[name]) {
        expect(response.statusCode).toBe(400);
        const body = response.json();
        expect(body.code).toBe('BAD_USER_INPUT');
        expect(typeof body.detail).toBe('string');
        expect(body.detail.length).toBeGreaterThan(0);
        expect(body.errors.length).toBeGreaterThan(0);
        for (const error of body.errors) expect(error.field).toEqual(expect.any(String));
        expect(body.errors[0].field).toBe(REFUSED[name]);
        expect(await countEmails()).toBe(before);
        return;
      }
      const trackingId = expectAccepted(response);
      const row = await storedEmail(env, trackingId);
      expect(Buffer.isBuffer(row.raw)).toBe(true);
      expect(row.raw.equals(raw)).toBe(true);
      expect(row).toMatchObject({ tenant_id: integration.tenant.id, raw_content_type: 'message/rfc822', status: 'queued' });
      expect(await jobOf(trackingId)).toMatchObject({
        name: 'email_processing',
        data: { tenantId: integration.tenant.id, emailId: trackingId },
      });
    });
  });

  describe('error_emails/ (malformed real mail), file by file', () => {
    it('lists every file of the folder, so a new malformed message cannot go unchecked', () => {
      const folder = FIXTURES.filter((name) => name.startsWith('error_emails/')).map((name) => name.slice('error_emails/'.length));
      expect(folder).toEqual(Object.keys(ERROR_EMAILS).sort());
    });

    it.each(Object.entries(ERROR_EMAILS))('%s', async (name, expected) => {
      const response = await post(fixture(`error_emails/${name}`));

      expect(response.statusCode).toBe(expected.status);
      if (expected.status === 400) {
        expect(response.json().errors[0].field).toBe(expected.field);
        return;
      }
      const row = await storedEmail(env, response.json().tracking_id);
      expect(row).toMatchObject(expected.row);
    });
  });

  describe('normalisation of specific messages', () => {
    it.each<{ title: string; file: string; row: Partial<EmailRow>; body: string; receivedAt: string }>([
      {
        title: 'keeps the Message-ID, In-Reply-To and both References of a reply, the references as a list',
        file: 'plain_emails/raw_email_reply.eml',
        row: {
          subject: 'Re: Test reply email',
          from_address: 'xxxxxxxx@xxx.org',
          from_name: 'Testing',
          to_addresses: ['mikel@xxxx.net'],
          cc_addresses: [],
          message_id: '<473FFE27.20003@xxx.org>',
          in_reply_to: '<348F04F142D69C21-291E56D292BC@xxxx.net>',
          reference_ids: ['<473FF3B8.9020707@xxx.org>', '<348F04F142D69C21-291E56D292BC@xxxx.net>'],
          attachments: [],
          parse_problems: [],
        },
        body: 'Message body',
        // Date: Sun, 18 Nov 2007 19:56:07 +1100
        receivedAt: '2007-11-18T08:56:07.000Z',
      },
      {
        title: 'reads RFC 2822 Appendix A.2 example 7 (a reply to a reply) field by field',
        file: 'rfc2822/example07.eml',
        row: {
          subject: 'Re: Saying Hello',
          from_address: 'jdoe@machine.example',
          from_name: 'John Doe',
          to_addresses: ['smith@home.example'],
          message_id: '<abcd.1234@local.machine.tld>',
          in_reply_to: '<3456@example.net>',
          reference_ids: ['<1234@local.machine.example>', '<3456@example.net>'],
          source_system: 'email-listener',
          parse_problems: [],
        },
        body: 'This is a reply to your reply.',
        // Date: Fri, 21 Nov 1997 11:00:00 -0600
        receivedAt: '1997-11-21T17:00:00.000Z',
      },
    ])('$title', async ({ file, row: expected, body, receivedAt }) => {
      const row = await ingestFixture(file);

      expect(row).toMatchObject(expected);
      expect(row.body.trim()).toBe(body);
      expect(row.received_at.toISOString()).toBe(receivedAt);
    });

    it('records an attachment with its name, type, decoded size and the sha256 of its decoded bytes', async () => {
      const raw = fixture('attachment_emails/attachment_pdf.eml');
      // Decoded independently of the parser: the base64 lines of the part that names broken.pdf.
      const part = raw.toString('latin1').split('------=_Part_2192_32400445.1115745999735').find((p) => p.includes('filename="broken.pdf"'))!;
      const pdf = Buffer.from(part.slice(part.search(/\r?\n\r?\n/)).replace(/\s+/g, ''), 'base64');
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');

      const row = await ingestFixture('attachment_emails/attachment_pdf.eml');

      expect(row.attachments).toEqual([
        { name: 'broken.pdf', type: 'application/pdf', size: pdf.length, sha256: createHash('sha256').update(pdf).digest('hex') },
      ]);
      expect(row.attachments[0].size).toBeGreaterThan(0);
      expect(row.subject).toBe('Another PDF with 🎉 Unicode chars in it 🍿');
      expect(row.body).toContain('Just attaching another PDF, here, to see what the message looks like,');
      expect(row.body).not.toContain('JVBERi0xLjQ'); // the attachment's base64 is not taken for text
    });

    it('records several attachments in order, including one nested in a forwarded part', async () => {
      const row = await ingestFixture('mime_emails/raw_email7.eml');

      expect(row.attachments.map(({ name, type }) => [name, type])).toEqual([
        ['test.rb', 'text/x-ruby-script'],
        ['test.pdf', 'application/pdf'],
        ['smime.p7s', 'application/pkcs7-signature'],
      ]);
      for (const attachment of row.attachments) expect(attachment.sha256).toMatch(/^[0-9a-f]{64}$/);
    });

    it('keeps a UTF-8 (RFC 6532) sender address and display name as written', async () => {
      const row = await ingestFixture('rfc6532/utf8_headers.eml');

      expect(row).toMatchObject({
        from_address: 'jdöe@mächine.example',
        from_name: 'Jöhn Doe',
        to_addresses: ['märy@exämple.net'],
        subject: 'Säying Hello',
        message_id: null,
        parse_problems: [NO_MESSAGE_ID],
      });
      expect(row.body.trim()).toBe('body');
    });

    it('decodes a Shift_JIS body to Unicode', async () => {
      const row = await ingestFixture('multi_charset/japanese_shift_jis.eml');

      expect(row.subject).toBe('test');
      expect(row.body).toContain('あいうえお');
      expect(row.body).toContain('このメールはテスト用のメールです。');
      expect(row.body).toContain('今後ともよろしくお願い申し上げます！');
    });

    it('decodes an ISO-2022-JP encoded-word subject and body', async () => {
      const row = await ingestFixture('multi_charset/japanese_iso_2022.eml');

      expect(row.subject).toBe('まみむめも');
      expect(row.body).toMatch(/[\u3040-\u30ff]/);
    });

    it('decodes a non-ASCII attachment file name (RFC 2231 / encoded-word)', async () => {
      const row = await ingestFixture('multi_charset/japanese_attachment.eml');

      expect(row.attachments).toEqual([expect.objectContaining({ name: 'てすと.txt', type: 'text/plain' })]);
    });

    it.each(Object.keys(REFUSED))('refuses %s, which has no parseable From, with 400 naming `from`', async (name) => {
      const before = await countEmails();

      const response = await post(fixture(name));

      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'BAD_USER_INPUT', errors: [{ field: 'from', message: expect.any(String) }] });
      expect(await countEmails()).toBe(before);
    });

    it('accepts an unparseable Date header with a parse problem, taking the ingestion time as received_at', async () => {
      const before = Date.now();
      const row = await ingestFixture('error_emails/bad_date_header.eml');
      const after = Date.now();

      expect(row.parse_problems).toEqual(expect.arrayContaining([expect.stringMatching(/^date:/)]));
      expect(row.received_at.getTime()).toBeGreaterThanOrEqual(before - 2000);
      expect(row.received_at.getTime()).toBeLessThanOrEqual(after + 2000);
      expect(row.received_at.getTime()).toBe(row.created_at.getTime());
    });

    it('refuses an empty body with 400 naming `body`, storing nothing', async () => {
      const before = await countEmails();

      const response = await post(Buffer.alloc(0));

      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'BAD_USER_INPUT', detail: expect.any(String), errors: [{ field: 'body' }] });
      expect(await countEmails()).toBe(before);
    });
  });

  describe('hostile input', () => {
    const message = (headers: string[], body = 'hello') => Buffer.from([...headers, '', body, ''].join('\r\n'));
    /** A multipart/mixed message with `headers`, a text part, and one attachment part with `attachmentHeaders` and the 3 bytes `abc`. */
    const withAttachment = (headers: string[], attachmentHeaders: string[]) =>
      message(
        [...headers, 'Content-Type: multipart/mixed; boundary=XX'],
        ['--XX', 'Content-Type: text/plain', '', 'see attachment', '--XX', ...attachmentHeaders, '', 'abc', '--XX--'].join('\r\n'),
      );

    it('treats a Date outside what Postgres can store (year -10000) as unparseable, not as a 500', async () => {
      const before = Date.now();
      const response = await post(message(['From: ann@customer.example', 'Subject: far past', 'Date: -010000-01-01T00:00:00Z']));

      const row = await storedEmail(env, expectAccepted(response));
      expect(row.parse_problems).toContain(DATE_PROBLEM);
      expect(row.received_at.getTime()).toBeGreaterThanOrEqual(before - 2000);
    });

    it('replaces unpaired UTF-16 surrogates in an attachment name and a reference (jsonb) instead of failing with 500', async () => {
      // =?UTF-16BE?B?2DQAYQ==?= decodes to a lone high surrogate followed by "a".
      const raw = withAttachment(
        [
          'From: ann@customer.example',
          'To: bob@acme.example, =?UTF-16BE?B?2DQ=?=@acme.example',
          'Subject: lone surrogates',
          'References: <a@x.example> <=?UTF-16BE?B?2DQ=?=@x.example>',
        ],
        ['Content-Type: application/octet-stream', 'Content-Disposition: attachment; filename="=?UTF-16BE?B?2DQAYQ==?="'],
      );

      const row = await storedEmail(env, expectAccepted(await post(raw)));

      expect(row.raw.equals(raw)).toBe(true);
      expect(row.attachments).toEqual([expect.objectContaining({ name: '\ufffda', type: 'application/octet-stream', size: 3 })]);
      expect(row.reference_ids).toEqual(['<a@x.example>', '<\ufffd@x.example>']);
      // An address that is not well-formed text is no address.
      expect(row.to_addresses).toEqual(['bob@acme.example']);
      expect(row.parse_problems).toEqual(expect.arrayContaining([expect.stringMatching(/^attachments:/), expect.stringMatching(/^references:/)]));
    });

    it('truncates an over-long attachment name without cutting a surrogate pair into something jsonb refuses', async () => {
      // 997 ASCII characters and an emoji: the 998-character limit falls between the emoji's two halves.
      const name = `${'a'.repeat(997)}🎉.txt`;
      const raw = withAttachment(
        ['From: ann@customer.example', 'Subject: long name'],
        ['Content-Type: text/plain', `Content-Disposition: attachment; filename*=UTF-8''${encodeURIComponent(name)}`],
      );

      const row = await storedEmail(env, expectAccepted(await post(raw)));

      expect(row.attachments).toHaveLength(1);
      expect(row.attachments[0].name).toHaveLength(998);
      expect(row.attachments[0].name!.startsWith('a'.repeat(997))).toBe(true);
      expect(row.parse_problems).toEqual(expect.arrayContaining([expect.stringMatching(/^attachments: truncated/)]));
    });
  });

  describe('who may send MIME', () => {
    it('accepts an admin and refuses a member with 403 before storing anything', async () => {
      const [admin, member] = await Promise.all([callerFactory(env, 'admin'), callerFactory(env, 'member')]);
      const raw = fixture('plain_emails/basic_email.eml');

      expect((await post(raw, admin.access)).statusCode).toBe(202);
      const before = await countEmails();
      const refused = await post(raw, member.access);

      expect(refused.statusCode).toBe(403);
      expect(refused.json().code).toBe('FORBIDDEN');
      expect(await countEmails()).toBe(before);
    });
  });
});
