import dataset from '../classification/data/business-emails.json';
import type { Embedder, EmbedderIdentity } from './embedder';

/**
 * Bump the version with any change that moves vectors (tokens, stemming, weights, dimension, the corpus
 * the IDF comes from): vectors of one identity must stay comparable, and a new name is what tells the
 * index that everything needs `pebble reindex`.
 */
export const BUILTIN_EMBED_MODEL = 'pebble-hashing-v1';

/**
 * 1024. Hashed features collide, and collisions blur texts together. On the labelled corpus, with queries
 * made by dropping 60% of an email's words and misspelling a third of the rest, 512 dimensions ranked the
 * source email first for 95.7% of the queries and 1024 for 98.5%; 2048 gained half a point more, for twice
 * the storage and distance cost in Chroma (4 KB of float32 per object at 1024).
 */
export const BUILTIN_EMBED_DIMENSION = 1024;

// How much one occurrence of each kind of feature counts, tuned on the same queries and on phrase queries
// (a few consecutive words of an email). A word has about a dozen character n-grams: at full weight they
// would drown the words, at 0.4 they decide between texts whose words disagree (a misspelling, "corp"
// against "corporation"). Bigrams at 0.6 make a phrase query ("credit note") prefer the email with the
// phrase over one with both words apart.
const WORD = 0;
const BIGRAM = 1;
const CHARGRAM = 2;
const KIND_WEIGHT = [1, 0.6, 0.4];
// Different FNV offsets per kind, so that the word "ice" and the trigram "ice" are different features.
const WORD_SEED = 0x811c9dc5;
const CHARGRAM_SEED = 0x050c5d1f;

/**
 * Turns text into a 1024-dimensional vector offline, without model weights: feature hashing of stemmed
 * words, word bigrams and the 3- and 4-character n-grams of each word, weighted TF-IDF-style and
 * L2-normalised. Related emails share words and phrases, so they land close; a misspelt or inflected word
 * still shares most of its n-grams. It knows no synonyms: "bill" and "invoice" are as far apart as any
 * two words. Deterministic: the same text gives the same vector on every machine.
 */
export class BuiltinEmbedder implements Embedder {
  readonly identity: EmbedderIdentity = { provider: 'builtin', model: BUILTIN_EMBED_MODEL };

  async embed(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    signal?.throwIfAborted();
    return this.embedNow(texts);
  }

  /** The same vectors as `embed`, synchronously. */
  embedNow(texts: string[]): number[][] {
    const idf = documentFrequencies();
    return texts.map((text) => vectorOf(text, idf));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Weighting

interface InverseDocumentFrequencies {
  /** By feature; features the corpus never had are missing. */
  readonly byFeature: ReadonlyMap<number, number>;
  /** The IDF of a feature the corpus never had: the highest there is. */
  readonly unseen: number;
}

let corpusIdf: InverseDocumentFrequencies | undefined;

/**
 * IDF from the labelled business emails committed for the classifier, counted once per process: they are
 * the closest thing to Pebble's mail that ships with it, so "regards" and "invoice" weigh little and an
 * order number much. Smoothed as ln((1 + N) / (1 + df)) + 1, so even a word in every email counts a bit.
 */
function documentFrequencies(): InverseDocumentFrequencies {
  if (corpusIdf) return corpusIdf;
  const emails = dataset as { subject: string; body: string }[];
  const counts = new Map<number, number>();
  const inEmail = new TermCounts();
  for (const email of emails) {
    inEmail.clear();
    collectFeatures(`${email.subject}\n${email.body}`, inEmail);
    inEmail.forEach((feature) => counts.set(feature, (counts.get(feature) ?? 0) + 1));
  }
  const byFeature = new Map<number, number>();
  for (const [feature, df] of counts) byFeature.set(feature, Math.log((1 + emails.length) / (1 + df)) + 1);
  corpusIdf = { byFeature, unseen: Math.log(1 + emails.length) + 1 };
  return corpusIdf;
}

/** IDF times the weight of the feature's kind. */
function weightOf(feature: number, idf: InverseDocumentFrequencies): number {
  return (idf.byFeature.get(feature) ?? idf.unseen) * KIND_WEIGHT[feature & 3];
}

function vectorOf(text: string, idf: InverseDocumentFrequencies): number[] {
  terms.clear();
  collectFeatures(text, terms, idf);
  const vector = new Float64Array(BUILTIN_EMBED_DIMENSION);
  terms.forEach((feature, tf, weight) => {
    // The sign bit is independent of the bucket bits: colliding features cancel on average instead of
    // adding up, so collisions add noise but no bias towards texts that merely have many features.
    vector[(feature >>> 2) & (BUILTIN_EMBED_DIMENSION - 1)] += (feature < 0 ? -weight : weight) * (1 + Math.log(tf));
  });
  let norm = 0;
  for (const value of vector) norm += value * value;
  // Chroma's cosine distance is undefined for a zero vector: a text without tokens gets a fixed unit vector.
  if (norm === 0) vector[0] = norm = 1;
  const length = Math.sqrt(norm);
  const unit = new Array<number>(vector.length);
  for (let i = 0; i < vector.length; i++) unit[i] = vector[i] / length;
  return unit;
}

/**
 * The distinct features of one text, each with its count and weight: open addressing with linear probing
 * over typed arrays. A 2 KB text has about 5,000 features; a Map<number, number> counted them at less than
 * half the speed.
 */
class TermCounts {
  private keys: Int32Array;
  private counts: Int32Array;
  private weights: Float64Array;
  private used: Uint8Array;
  /** Occupied slots in insertion order, so that iterating and clearing cost the entries, not the capacity. */
  private filled: Int32Array;
  private size = 0;

  constructor(capacity = 1 << 13) {
    this.keys = new Int32Array(capacity);
    this.counts = new Int32Array(capacity);
    this.weights = new Float64Array(capacity);
    this.used = new Uint8Array(capacity);
    this.filled = new Int32Array(capacity);
  }

  /** Counts one occurrence; `weight` is kept from the feature's first one. */
  add(feature: number, weight: number): void {
    let slot = this.slotOf(feature);
    if (!this.used[slot]) {
      // At most half full, so that probe runs stay short.
      if (2 * (this.size + 1) > this.keys.length) {
        this.grow();
        slot = this.slotOf(feature);
      }
      this.used[slot] = 1;
      this.keys[slot] = feature;
      this.counts[slot] = 0;
      this.weights[slot] = weight;
      this.filled[this.size++] = slot;
    }
    this.counts[slot]++;
  }

  forEach(visit: (feature: number, count: number, weight: number) => void): void {
    for (let i = 0; i < this.size; i++) {
      const slot = this.filled[i];
      visit(this.keys[slot], this.counts[slot], this.weights[slot]);
    }
  }

  clear(): void {
    for (let i = 0; i < this.size; i++) this.used[this.filled[i]] = 0;
    this.size = 0;
  }

  private slotOf(feature: number): number {
    const mask = this.keys.length - 1;
    // The low two bits are the kind; the bits above are well mixed.
    let slot = (feature >>> 2) & mask;
    while (this.used[slot] && this.keys[slot] !== feature) slot = (slot + 1) & mask;
    return slot;
  }

  private grow(): void {
    const entries: [feature: number, count: number, weight: number][] = [];
    this.forEach((feature, count, weight) => entries.push([feature, count, weight]));
    const capacity = this.keys.length * 2;
    this.keys = new Int32Array(capacity);
    this.counts = new Int32Array(capacity);
    this.weights = new Float64Array(capacity);
    this.used = new Uint8Array(capacity);
    this.filled = new Int32Array(capacity);
    this.size = 0;
    for (const [feature, count, weight] of entries) {
      this.add(feature, weight);
      this.counts[this.filled[this.size - 1]] = count;
    }
  }
}

// The text being embedded: one table reused for every text, as embedding is synchronous.
const terms = new TermCounts();

// ---------------------------------------------------------------------------------------------------------
// Features

/** A feature as one int32: the mixed hash, with its kind in the low 2 bits; the top bit is its sign. */
function feature(hash: number, kind: number): number {
  return (mix(hash) & ~3) | kind;
}

// Letters and digits, joined by single `-_.@/+:` into one token: an order number (SO-10023), an invoice
// id (INV-2024-0042), an email address, a date or a time is kept whole and also split into its parts.
const TOKEN = /[\p{L}\p{M}\p{N}]+(?:[-_.@/+:][\p{L}\p{M}\p{N}]+)*/gu;
const JOINER = /[-_.@/+:]/;
const PART = /[\p{L}\p{M}\p{N}]+/gu;
const HAS_DIGIT = /\p{N}/u;
const NOT_ASCII = /[^\u0000-\u007f]/;

/**
 * Counts the text's features into `counts`: for every word its stem, the bigram with the word before, and
 * its character 3- and 4-grams; for a joined token also the whole token. Without `idf` (while the IDF
 * table itself is being counted) every weight is 0.
 */
function collectFeatures(text: string, counts: TermCounts, idf?: InverseDocumentFrequencies): void {
  const add = (feature: number) => counts.add(feature, idf ? weightOf(feature, idf) : 0);
  let previous: Word | undefined;
  const addWord = (part: string) => {
    const word = wordOf(part);
    const weights = idf && (word.weights ??= Float64Array.from(word.features, (own) => weightOf(own, idf)));
    for (let i = 0; i < word.features.length; i++) counts.add(word.features[i], weights ? weights[i] : 0);
    if (previous) add(feature(fnv(fnvStep(previous.hash, 0x20), word.stem, 0, word.stem.length), BIGRAM));
    previous = word;
  };
  const tokens = new RegExp(TOKEN);
  const normalised = normalise(text);
  for (let match = tokens.exec(normalised); match; match = tokens.exec(normalised)) {
    const token = match[0];
    if (!JOINER.test(token)) {
      addWord(token);
      continue;
    }
    add(feature(fnv(WORD_SEED, token, 0, token.length), WORD));
    for (const [part] of token.matchAll(PART)) addWord(part);
  }
}

interface Word {
  stem: string;
  /** FNV-1a of `stem`, unmixed, for continuing it into a bigram's hash. */
  hash: number;
  /** Its own features: the stem and the character n-grams. */
  features: Int32Array;
  /** Their `weightOf`, worked out on first use: the IDF table is itself counted from words. */
  weights?: Float64Array;
}

// A word's own features and their weights depend on the word alone, and a few hundred words make up most of
// any text: working them out once per distinct word rather than per occurrence made embedding four times
// faster. Emptied when full, so that a stream of one-off words (ids, typos) cannot grow it without bound.
const words = new Map<string, Word>();
const MAX_CACHED_WORDS = 50_000;

function wordOf(part: string): Word {
  let word = words.get(part);
  if (word) return word;
  // Numbers and codes match exactly or not at all: order 10023 is not "close to" order 10024.
  const exact = HAS_DIGIT.test(part);
  const stemmed = exact ? part : stem(part);
  const hash = fnv(WORD_SEED, stemmed, 0, stemmed.length);
  const own = [feature(hash, WORD)];
  if (!exact && part.length >= 3) charGrams(part, own);
  word = { stem: stemmed, hash, features: Int32Array.from(own) };
  if (words.size >= MAX_CACHED_WORDS) words.clear();
  words.set(part, word);
  return word;
}

/** Lower case, apostrophes dropped ("don't" is one word), accents folded so "Müller" meets "Muller". */
function normalise(text: string): string {
  const lower = text.toLowerCase().replace(/['’]/g, '');
  return NOT_ASCII.test(lower) ? lower.normalize('NFKD').replace(/[\u0300-\u036f]/g, '') : lower;
}

/** The 3- and 4-grams of `<word>`: the markers let a word's start and end count for more than its middle. */
function charGrams(word: string, into: number[]): void {
  const padded = `<${word}>`;
  for (let n = 3; n <= 4; n++) {
    for (let start = 0; start + n <= padded.length; start++) into.push(feature(fnv(CHARGRAM_SEED, padded, start, start + n), CHARGRAM));
  }
}

/**
 * A copy of the builtin classifier's suffix stripper, not an import: a change to it changes every vector,
 * which needs a new model name and a reindex, and must not happen as a side effect of tuning the classifier.
 * Plural (-ies, -es, -s), then -ing, -ed or -e, so invoice, invoices and invoiced, or ship, shipped and
 * shipping, meet. Short words are left alone.
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
// Hashing

/** FNV-1a over UTF-16 code units `start…end` of `text`, continuing from `hash`. */
function fnv(hash: number, text: string, start: number, end: number): number {
  for (let i = start; i < end; i++) hash = fnvStep(hash, text.charCodeAt(i));
  return hash;
}

function fnvStep(hash: number, code: number): number {
  return Math.imul(hash ^ code, 0x01000193);
}

/** Murmur3's finaliser: FNV's low bits, which pick the bucket, depend on few input bits without it. */
function mix(hash: number): number {
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  return hash ^ (hash >>> 16);
}
