import { createHash } from 'node:crypto';
import dataset from '../../src/classification/data/business-emails.json';
import { BUILTIN_EMBED_DIMENSION, BUILTIN_EMBED_MODEL, BuiltinEmbedder } from '../../src/search/builtin.embedder';
import { describeEmbedder } from '../../src/search/embedder';

const emails = (dataset as { subject: string; body: string }[]).map((email) => `${email.subject}\n${email.body}`);

function cosine(a: number[], b: number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

function norm(vector: number[]): number {
  return Math.sqrt(cosine(vector, vector));
}

describe(BuiltinEmbedder.name, () => {
  const embedder = new BuiltinEmbedder();
  const similarity = (a: string, b: string) => {
    const [x, y] = embedder.embedNow([a, b]);
    return cosine(x, y);
  };

  it(`is builtin/${BUILTIN_EMBED_MODEL}`, () => {
    expect(embedder.identity).toEqual({ provider: 'builtin', model: BUILTIN_EMBED_MODEL });
    expect(describeEmbedder(embedder.identity)).toBe('builtin/pebble-hashing-v1');
  });

  it(`answers one unit vector of ${BUILTIN_EMBED_DIMENSION} finite numbers per text, in order`, async () => {
    const vectors = await embedder.embed(emails);

    expect(vectors).toHaveLength(emails.length);
    for (const vector of vectors) {
      expect(vector).toHaveLength(BUILTIN_EMBED_DIMENSION);
      expect(vector.every(Number.isFinite)).toBe(true);
      expect(norm(vector)).toBeCloseTo(1, 10);
    }
    expect(vectors[7]).toEqual(embedder.embedNow([emails[7]])[0]);
    expect(vectors[7]).not.toEqual(vectors[8]);
  });

  it('answers an empty list for no texts', async () => {
    await expect(embedder.embed([])).resolves.toEqual([]);
  });

  it('gives a text the same vector every time, whatever was embedded before it and by which instance', () => {
    const text = 'Order SO-10023: the pallets arrived damaged, please send a credit note.';
    const [first] = embedder.embedNow([text]);
    // Enough distinct words to outgrow the term table and the word cache in between.
    const noise = Array.from({ length: 60_000 }, (_, i) => `word${i.toString(36)}x`).join(' ');
    embedder.embedNow([noise, ...emails.slice(0, 50)]);

    expect(new BuiltinEmbedder().embedNow([text])[0]).toEqual(first);
    expect(embedder.embedNow([emails[3], text])[1]).toEqual(first);
  });

  it(`keeps every vector of ${BUILTIN_EMBED_MODEL} as it was: a change needs a new model name, and a reindex`, () => {
    const texts = ['Invoice INV-2024-0042 is overdue', 'Müller GmbH, Zürich: Lieferung verspätet', 'Where is my order SO-10023? Regards, ann@acme.example', ''];
    const vectors = embedder.embedNow(texts);
    const fingerprint = createHash('sha256')
      .update(vectors.map((vector) => vector.map((value) => value.toFixed(6)).join(',')).join('\n'))
      .digest('hex')
      .slice(0, 16);

    expect(fingerprint).toBe('41a2869598f791be');
  });

  describe('puts a text nearer its variant than an unrelated business email', () => {
    it.each([
      {
        kind: 'misspelt',
        text: 'Invoice INV-2024-0042 is overdue, please arrange payment this week.',
        variant: 'Invioce INV-2024-0042 is ovredue, plese arange payment this week',
        unrelated: 'The chairs we ordered arrived damaged and we want a refund.',
      },
      { kind: 'abbreviated', text: 'Acme Corp', variant: 'ACME Corporation', unrelated: 'Globex Ltd' },
      { kind: 'inflected', text: 'We shipped the invoices yesterday', variant: 'shipping the invoice', unrelated: 'Team lunch on Friday' },
      {
        kind: 'reworded',
        text: 'Could you send me the tracking number for my order?',
        variant: 'Where can I track my order?',
        unrelated: 'Our fire alarm test is on Wednesday at 10:30.',
      },
      { kind: 'shortened', text: 'The login page shows an error since this morning', variant: 'error on the login page', unrelated: 'Please quote for 200 office chairs' },
      { kind: 'accent-free', text: 'Müller GmbH Zürich', variant: 'muller gmbh zurich', unrelated: 'Schmidt AG Berlin' },
      { kind: 'Cyrillic', text: 'Заказ не доставлен', variant: 'заказ доставлен вчера', unrelated: 'Счёт на оплату' },
    ])('$kind: "$text" ~ "$variant"', ({ text, variant, unrelated }) => {
      const near = similarity(text, variant);

      expect(near).toBeGreaterThan(0.3);
      expect(near).toBeGreaterThan(similarity(text, unrelated) + 0.25);
    });
  });

  it.each([
    { word: 'invioce', meant: 'invoice', other: 'delivery' },
    { word: 'recieved', meant: 'received', other: 'refund' },
    { word: 'corp', meant: 'corporation', other: 'company' },
  ])('lets "$word" meet "$meant" through the character n-grams they share', ({ word, meant, other }) => {
    expect(similarity(word, meant)).toBeGreaterThan(similarity(word, other) + 0.05);
  });

  it('finds a misspelt, half-remembered email first among the labelled corpus', () => {
    const index = emails.findIndex((email) => email.includes('INV-2024-0317'));
    const vectors = embedder.embedNow(emails);
    const [query] = embedder.embedNow(['paymnet sent for invoice INV-2024-0317, confirm reciept']);

    const ranked = vectors.map((vector, i) => ({ i, score: cosine(query, vector) })).sort((a, b) => b.score - a.score);

    expect(ranked[0].i).toBe(index);
  });

  it('prefers the email with a phrase over one with its words apart', () => {
    const phrase = similarity('credit note', 'please send a credit note for the damaged goods');
    const apart = similarity('credit note', 'please note that the credit card was charged');

    expect(phrase).toBeGreaterThan(apart);
  });

  it('weighs a word the corpus never had more than a sign-off that a fifth of its emails have', () => {
    const text = 'Kind regards, forklift';

    expect(similarity(text, 'forklift')).toBeGreaterThan(similarity(text, 'Kind regards') + 0.2);
  });

  it.each([
    { id: 'an order number', query: 'SO-10023', same: 'Your order SO-10023 has shipped', other: 'Your order SO-10024 has shipped' },
    { id: 'an invoice id', query: 'INV-2024-0042', same: 'payment for INV-2024-0042', other: 'payment for INV-2024-0043' },
    { id: 'an email address', query: 'ann@acme.example', same: 'Please reply to ann@acme.example', other: 'Please reply to bob@acme.example' },
    { id: 'a part of an identifier', query: '10023', same: 'Your order SO-10023 has shipped', other: 'Your order SO-10024 has shipped' },
  ])('matches $id exactly, not its neighbours', ({ query, same, other }) => {
    const exact = similarity(query, same);

    expect(exact).toBeGreaterThan(0.4);
    expect(exact).toBeGreaterThan(similarity(query, other) + 0.3);
  });

  it('gives every text without words the same unit vector, not zeros or NaN', () => {
    const vectors = embedder.embedNow(['', '   \n\t', '—!? …', 'Anything at all']);

    for (const vector of vectors) expect(norm(vector)).toBeCloseTo(1, 10);
    expect(vectors[1]).toEqual(vectors[0]);
    expect(vectors[2]).toEqual(vectors[0]);
    expect(vectors[3]).not.toEqual(vectors[0]);
  });

  it('sends nothing back once the caller’s signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('worker shutting down'));

    await expect(embedder.embed(['text'], controller.signal)).rejects.toThrow('worker shutting down');
  });
});
