import type { Card } from '../../cards/card.entity';
import type { InsightSynthesis } from '../../insights/insight-synthesis.entity';
import type { OpsStats } from '../../ops/dead-letter.service';

/*
 * Every topic names its tenant, and subscriptions derive it from the caller's token, never from an
 * argument: a client has no way to name another tenant's topic.
 */
export type OpsStatsTopic = `ops/${string}/stats`;
export type CardCreatedTopic = `card/${string}/created`;
export type InsightSynthesizedTopic = `insight/${string}/synthesized`;
export type Topic = OpsStatsTopic | CardCreatedTopic | InsightSynthesizedTopic;

/** What is published on a topic: the object the subscription field resolves to. */
export type TopicPayload<T extends Topic> = T extends OpsStatsTopic
  ? OpsStats
  : T extends CardCreatedTopic
    ? Card
    : T extends InsightSynthesizedTopic
      ? InsightSynthesis
      : never;

export const topics = {
  opsStats: (tenantId: string): OpsStatsTopic => `ops/${tenantId}/stats`,
  cardCreated: (tenantId: string): CardCreatedTopic => `card/${tenantId}/created`,
  insightSynthesized: (tenantId: string): InsightSynthesizedTopic => `insight/${tenantId}/synthesized`,
} as const;

/** The tenant a topic names. */
export function tenantOf(topic: Topic): string {
  return topic.slice(topic.indexOf('/') + 1, topic.lastIndexOf('/'));
}
