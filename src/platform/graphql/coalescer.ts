interface KeyState<Item> {
  items: Set<Item>;
  dirty: boolean;
  running: boolean;
  startedAt: number;
  timer: NodeJS.Timeout | null;
}

/**
 * Turns bursts of changes into at most one `flush` per key per `intervalMs`. The first change of a quiet key
 * flushes at once; changes arriving while a flush is running or within the interval after it are gathered and
 * flushed together at the end of the interval (trailing edge), so the last state is always delivered.
 */
export class Coalescer<Key, Item = never> {
  private readonly keys = new Map<Key, KeyState<Item>>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly intervalMs: number,
    private readonly flush: (key: Key, items: Item[]) => Promise<void>,
    private readonly onError: (key: Key, error: unknown) => void,
  ) {}

  add(key: Key, items: Iterable<Item> = []): void {
    if (this.stopped) return;
    let state = this.keys.get(key);
    if (!state) {
      state = { items: new Set(), dirty: false, running: false, startedAt: 0, timer: null };
      this.keys.set(key, state);
    }
    for (const item of items) state.items.add(item);
    state.dirty = true;
    // A zero timer, not a direct call: notifications that arrived in the same socket read share the flush.
    if (!state.timer && !state.running) state.timer = this.after(0, key, state);
  }

  /** Keys with a flush pending or running. */
  get size(): number {
    return this.keys.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const state of this.keys.values()) if (state.timer) clearTimeout(state.timer);
    this.keys.clear();
    await Promise.all(this.running);
  }

  private after(ms: number, key: Key, state: KeyState<Item>): NodeJS.Timeout {
    const timer = setTimeout(() => this.tick(key, state), ms);
    timer.unref();
    return timer;
  }

  private tick(key: Key, state: KeyState<Item>): void {
    state.timer = null;
    if (this.stopped) return;
    if (!state.dirty) {
      // A whole interval without changes: the next change may flush at once again.
      this.keys.delete(key);
      return;
    }
    const items = [...state.items];
    state.items.clear();
    state.dirty = false;
    state.running = true;
    state.startedAt = Date.now();
    const run = this.flush(key, items)
      .catch((error: unknown) => this.onError(key, error))
      .finally(() => {
        this.running.delete(run);
        state.running = false;
        if (!this.stopped) state.timer = this.after(Math.max(0, state.startedAt + this.intervalMs - Date.now()), key, state);
      });
    this.running.add(run);
  }
}
