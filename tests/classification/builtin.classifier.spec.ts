import { performance } from 'node:perf_hooks';
import {
  BUILTIN_MODEL,
  BuiltinClassifier,
  derivePriority,
  sentimentOf,
  trainNaiveBayes,
  type LabelledEmail,
} from '../../src/classification/builtin.classifier';
import { CATEGORIES, type Category, type ClassifierInput } from '../../src/classification/classifier';
import dataset from '../../src/classification/data/business-emails.json';

type DatasetEmail = LabelledEmail & { source: 'handwritten' | 'composed' };
const emails = dataset as DatasetEmail[];
const FROM = 'someone@customer.example';

/** 80/20 per category, after a seeded shuffle: the same split on every run and machine. */
function stratifiedSplit(examples: DatasetEmail[], seed: number): { train: DatasetEmail[]; test: DatasetEmail[] } {
  let state = seed;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const train: DatasetEmail[] = [];
  const test: DatasetEmail[] = [];
  for (const category of CATEGORIES) {
    const members = examples.filter((example) => example.category === category);
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [members[i], members[j]] = [members[j], members[i]];
    }
    const cut = Math.round(members.length * 0.8);
    train.push(...members.slice(0, cut));
    test.push(...members.slice(cut));
  }
  return { train, test };
}

describe(BuiltinClassifier.name, () => {
  const classifier = new BuiltinClassifier();
  const classify = (subject: string, body: string) => classifier.classifyNow({ subject, body, from: FROM });

  describe('the dataset', () => {
    it('holds at least 80 labelled emails of every category, 480 in all', () => {
      expect(emails.length).toBeGreaterThanOrEqual(480);
      for (const category of CATEGORIES) {
        expect(emails.filter((email) => email.category === category).length).toBeGreaterThanOrEqual(80);
      }
      for (const email of emails) {
        expect(email).toEqual({ subject: expect.any(String), body: expect.any(String), category: expect.any(String), source: expect.any(String) });
        expect(['handwritten', 'composed']).toContain(email.source);
        expect(CATEGORIES).toContain(email.category);
        expect(email.body.trim()).not.toBe('');
      }
    });

    it('holds no duplicate emails', () => {
      const texts = new Set(emails.map((email) => `${email.subject}\n${email.body}`.toLowerCase()));
      expect(texts.size).toBe(emails.length);
    });
  });

  /** Accuracy of a model trained on `train` over `test`, logged with per-category counts and the misses. */
  function evaluate(label: string, train: DatasetEmail[], test: DatasetEmail[]): number {
    const model = new BuiltinClassifier(trainNaiveBayes(train));
    const perCategory = Object.fromEntries(CATEGORIES.map((category) => [category, { correct: 0, total: 0 }]));
    const misses: string[] = [];
    for (const email of test) {
      const predicted = model.classifyNow({ subject: email.subject, body: email.body, from: FROM }).category;
      perCategory[email.category].total++;
      if (predicted === email.category) perCategory[email.category].correct++;
      else misses.push(`${email.category} → ${predicted}: ${email.subject}`);
    }
    const accuracy = (test.length - misses.length) / test.length;
    console.log(
      `${BUILTIN_MODEL}, ${label}: accuracy ${(accuracy * 100).toFixed(1)}% (${test.length - misses.length}/${test.length}, trained on ${train.length})\n` +
        `per category (correct/total): ${CATEGORIES.map((c) => `${c} ${perCategory[c].correct}/${perCategory[c].total}`).join(', ')}\n` +
        `misclassified:\n  ${misses.join('\n  ')}`,
    );
    return accuracy;
  }

  it('classifies at least 80% of a held-out 20% correctly when trained on the other 80%', () => {
    const { train, test } = stratifiedSplit(emails, 42);

    expect(evaluate('stratified 80/20 split', train, test)).toBeGreaterThanOrEqual(0.8);
  });

  it('generalises beyond the generator: trained on composed emails only, it gets at least 75% of the hand-written ones', () => {
    // The composed emails share phrase pools across any split; the hand-written ones share none of them.
    const accuracy = evaluate(
      'composed → hand-written',
      emails.filter((email) => email.source === 'composed'),
      emails.filter((email) => email.source === 'handwritten'),
    );

    expect(accuracy).toBeGreaterThanOrEqual(0.75);
  });

  it('trains on the whole dataset in under 500 ms and classifies an email in under 1 ms', () => {
    const started = performance.now();
    const model = new BuiltinClassifier(trainNaiveBayes(emails));
    const trainMs = performance.now() - started;

    const rounds = 2000;
    const classifyStarted = performance.now();
    for (let i = 0; i < rounds; i++) {
      const email = emails[i % emails.length];
      model.classifyNow({ subject: email.subject, body: email.body, from: FROM });
    }
    const perEmailMs = (performance.now() - classifyStarted) / rounds;

    expect(trainMs).toBeLessThan(500);
    expect(perEmailMs).toBeLessThan(1);
  });

  it('answers the same classification for the same email, from the same or a newly trained model', async () => {
    const input: ClassifierInput = { subject: 'Invoice 4471', body: 'Could you resend invoice 4471? The PDF was corrupted.', from: FROM };
    const first = await classifier.classify(input);

    expect(await classifier.classify(input)).toEqual(first);
    expect(await new BuiltinClassifier(trainNaiveBayes(emails)).classify(input)).toEqual(first);
    expect(first).toMatchObject({ provider: 'builtin', model: BUILTIN_MODEL });
    expect(first.fallbackReason).toBeUndefined();
  });

  it('answers a confidence between 0 and 1, higher for a clear email than for a vague one', () => {
    const clear = classify('Overdue invoice INV-2291', 'Our records show invoice INV-2291 for €1,240 is still unpaid, 30 days past the due date. Please arrange payment.');
    const vague = classify('hello', 'see attached');

    expect(clear.confidence).toBeGreaterThan(vague.confidence);
    for (const { confidence } of [clear, vague]) {
      expect(confidence).toBeGreaterThan(0);
      expect(confidence).toBeLessThanOrEqual(1);
    }
  });

  it('rejects a call whose signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));

    await expect(classifier.classify({ subject: 's', body: 'b', from: FROM }, controller.signal)).rejects.toThrow('shutting down');
  });

  it.each<[Category, string, string]>([
    ['lead', 'Quote for 300 branded umbrellas', 'Hi, we are a hotel group in Lisbon looking for a supplier of branded umbrellas for our guests. Could you send a quote for 300 pieces and your lead time?'],
    ['lead', 'Demo?', 'We run 14 dental practices and are comparing scheduling software. Could we book a demo next week to see whether yours would suit us?'],
    ['support', 'VPN keeps dropping', 'Since the update on Monday the VPN disconnects every ten minutes on all our laptops. Rebooting did not help. How can we fix this?'],
    ['support', 'Reset admin password', "I'm the admin on our account but the password reset link never arrives. Could you help me get back in?"],
    ['order', 'Order: 40 boxes of A4 paper', 'Please send 40 boxes of A4 copy paper and 10 toner cartridges to our Leeds office, PO-7781. Delivery by Thursday would be great.'],
    ['order', 'Change delivery address for #55120', 'Please deliver order #55120 to our new warehouse at 12 Station Road instead of the old address.'],
    ['invoice', 'Remittance for INV-3310', 'We paid €4,250 by bank transfer today against invoice INV-3310. Please confirm receipt.'],
    ['invoice', 'Please update our VAT number', 'Our VAT number changed after the merger; please use NL123456789B01 on all future invoices.'],
    ['complaint', 'Absolutely unacceptable', 'The chairs arrived broken for the second time and nobody from your team has called me back. I want a full refund.'],
    ['complaint', 'Rude engineer', 'The engineer you sent was rude to my staff and left without fixing anything. I expect an apology and a proper repair.'],
    ['other', 'Out of office', 'I am out of the office until Monday with no access to email. For urgent matters please contact Sam.'],
    ['other', 'Invitation: summer party', "You're invited to our summer party on Friday at 6pm on the roof terrace. Drinks and food provided, RSVP by Wednesday."],
  ])('classifies a realistic %s email: "%s"', (category, subject, body) => {
    expect(classify(subject, body).category).toBe(category);
  });

  describe('sentiment', () => {
    it('is positive for a clearly happy email and negative for a clearly angry one, within -1…1', () => {
      const happy = sentimentOf('Thank you so much, the team did a fantastic job and we are delighted with the result!');
      const angry = sentimentOf('This is terrible. The delivery was late, the goods were damaged and your staff were rude. I am furious.');

      expect(happy).toBeGreaterThan(0.3);
      expect(happy).toBeLessThanOrEqual(1);
      expect(angry).toBeLessThan(-0.3);
      expect(angry).toBeGreaterThanOrEqual(-1);
    });

    it('is 0 for a neutral email and flips a negated word', () => {
      expect(sentimentOf('We need 40 boxes of paper delivered to our Leeds office by Monday.')).toBe(0);
      expect(sentimentOf('We are not happy.')).toBeLessThan(0);
    });

    it('ignores quoted text of earlier messages', () => {
      const reply = classify('Re: delivery', 'Thanks, that works.\n\nOn Monday, Ann wrote:\n> This is terrible, awful, unacceptable service.');

      expect(reply.sentiment).toBeGreaterThan(0);
    });
  });

  describe('priority', () => {
    it.each<[Category, number, string, string]>([
      ['support', 0, 'How do I add a user?', 'normal'],
      ['support', 0, 'Our tills are down, urgent!', 'urgent'],
      ['support', 0, 'Please fix this ASAP', 'urgent'],
      ['order', 0, 'We need the bolts by Friday', 'high'],
      ['invoice', 0, 'Final reminder: invoice 88 is overdue', 'high'],
      ['complaint', 0, 'The parcel was late.', 'high'],
      ['complaint', -0.7, 'Terrible, awful service.', 'urgent'],
      ['lead', 0, 'We need a quote urgently', 'high'],
      ['other', 0, 'Newsletter: our spring update', 'low'],
      ['other', 0, 'Out of office - for anything urgent call Sam', 'normal'],
      ['support', 0, 'Not urgent, but how do I export?', 'low'],
      ['invoice', 0, 'No rush - could you resend invoice 12?', 'low'],
    ])('derives %s (sentiment %d) "%s" as %s', (category, sentiment, text, expected) => {
      expect(derivePriority(category, sentiment, text)).toBe(expected);
    });

    it('is part of the answer: an angry complaint is urgent, a newsletter low', () => {
      expect(classify('Disgusted', 'Your driver was rude and aggressive, the goods were broken and nobody cares. Unacceptable!').priority).toBe('urgent');
      expect(classify('Newsletter: June update', 'Our June newsletter is here: new hires, product tips and more. Unsubscribe below.').priority).toBe('low');
    });
  });
});
