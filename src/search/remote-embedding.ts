import { EmbedderError, describeEmbedder, type EmbedderIdentity } from './embedder';

/**
 * What the Ollama and OpenAI embedders share: texts sent in chunks, one request at a time, and the checks
 * every answer must pass before its vectors reach the index. Only the wire format differs.
 */

/** Texts per request: enough to amortise a round trip, few enough for a slow local model to answer within EMBED_TIMEOUT_MS. */
export const TEXTS_PER_REQUEST = 32;

/**
 * Longer texts are cut: the start of an email says what it is about, and OpenAI answers 400 to an input
 * over 8,192 tokens, which would dead-letter the object for good. 8,000 characters are fewer tokens than
 * that unless the text is mostly emoji or rare scripts; 32 such inputs stay under the 300,000 tokens
 * OpenAI allows per request.
 */
export const MAX_TEXT_CHARS = 8000;

/**
 * Sent for a blank text: OpenAI answers 400 to an empty or whitespace-only input. Ollama gets the same, so
 * that a blank text means the same thing to both.
 */
export const BLANK_TEXT = '(empty)';

/**
 * Embeds `texts` in chunks of TEXTS_PER_REQUEST, one request after the other: an indexing job then holds
 * at most one request's worth of a provider that the classifier and other workers share, and meets a rate
 * limit (429) no sooner than it must. `request` answers the vectors of one chunk as the provider sent them,
 * in order; they are checked here, and a malformed answer throws a permanent EmbedderError: asking again
 * would get the same answer.
 */
export async function embedInChunks(
  identity: EmbedderIdentity,
  texts: string[],
  request: (inputs: string[]) => Promise<unknown>,
): Promise<number[][]> {
  const vectors: number[][] = [];
  for (let start = 0; start < texts.length; start += TEXTS_PER_REQUEST) {
    const inputs = texts.slice(start, start + TEXTS_PER_REQUEST).map(inputOf);
    const answer = await request(inputs);
    const problem = vectorProblem(answer, inputs.length, vectors[0]?.length, start);
    if (problem) throw malformedAnswer(identity, problem);
    vectors.push(...(answer as number[][]));
  }
  return vectors;
}

/** A permanent EmbedderError naming the provider and model: `ollama/nomic-embed-text sent a malformed answer: …`. */
export function malformedAnswer(identity: EmbedderIdentity, problem: string): EmbedderError {
  return new EmbedderError(`${describeEmbedder(identity)} sent a malformed answer: ${problem}`, false);
}

function inputOf(text: string): string {
  if (text.trim() === '') return BLANK_TEXT;
  return text.length > MAX_TEXT_CHARS ? text.slice(0, MAX_TEXT_CHARS) : text;
}

/**
 * Why `answer` is not one vector per input, each a non-empty list of finite numbers, not all zero (Chroma's
 * cosine distance is undefined for those) and as long as the first of the whole call; undefined when it
 * is. `offset` numbers the vectors in messages as in the caller's list.
 */
function vectorProblem(answer: unknown, inputs: number, dimension: number | undefined, offset: number): string | undefined {
  if (!Array.isArray(answer)) return 'no list of embeddings in the answer';
  if (answer.length !== inputs) return `${answer.length} embeddings for ${inputs} texts`;
  const expected = dimension ?? (Array.isArray(answer[0]) ? answer[0].length : 0);
  for (let i = 0; i < answer.length; i++) {
    const vector: unknown = answer[i];
    const which = `embedding ${offset + i}`;
    if (!Array.isArray(vector) || vector.length === 0) return `${which} is not a list of numbers`;
    const bad = vector.findIndex((value) => typeof value !== 'number' || !Number.isFinite(value));
    if (bad >= 0) return `${which} has ${shown(vector[bad])} at position ${bad}, not a finite number`;
    if (vector.length !== expected) return `${which} has ${vector.length} dimensions, embedding 0 has ${expected}`;
    if (vector.every((value) => value === 0)) return `${which} is all zeros`;
  }
  return undefined;
}

function shown(value: unknown): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(value) ?? String(value);
}
