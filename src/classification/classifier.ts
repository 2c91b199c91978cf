/** What a classifier can say about an email. */
export const CATEGORIES = ['lead', 'support', 'order', 'invoice', 'complaint', 'other'] as const;
export type Category = (typeof CATEGORIES)[number];

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export interface ClassifierInput {
  subject: string;
  body: string;
  /** Sender address, e.g. `ann@acme.example`. */
  from: string;
}

export interface Classification {
  category: Category;
  priority: Priority;
  /** -1 (very negative) … 1 (very positive). */
  sentiment: number;
  /** 0 … 1: how sure the model is of `category`. */
  confidence: number;
  /** The provider that produced this answer: `builtin`, `ollama` or `openai`. */
  provider: string;
  model: string;
  /** Set when a remote provider's answer was unusable and the builtin model answered instead: why. */
  fallbackReason?: string;
}

/** Outside systems sit behind this; `builtin` runs offline and is the default. */
export interface Classifier {
  readonly name: string;
  classify(input: ClassifierInput, signal?: AbortSignal): Promise<Classification>;
}

/** A classifier failure; `retryable` decides whether the job is retried or dead-lettered at once. */
export class ClassifierError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ClassifierError';
  }
}
