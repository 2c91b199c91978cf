interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * A token bucket per tenant, in this process: `ratePerSecond` tokens flow in, at most `burst` are kept.
 * With N api replicas a tenant gets up to N times the rate; see docs/OPERATIONS.md.
 */
export class TenantRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get enabled(): boolean {
    return this.ratePerSecond > 0;
  }

  /** Takes one token; returns 0 when granted, else the seconds until one is available. */
  take(tenantId: string): number {
    if (!this.enabled) return 0;
    const now = this.now();
    const bucket = this.buckets.get(tenantId) ?? { tokens: this.burst, updatedAt: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.ratePerSecond);
    bucket.updatedAt = now;
    this.buckets.set(tenantId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.ratePerSecond));
  }
}
