import { Check, Entity, Enum, Index, Property, Unique } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { TenantOwnedEntity } from '../platform/db/tenant-owned.entity';
import { stringEnum } from '../platform/graphql/string-enum';
import type { ComponentKey, EntitySignals, ScoreComponent, TrendDirection } from './insight-facts';

export const TREND_DIRECTIONS = ['improving', 'declining', 'stable', 'new'] as const satisfies readonly TrendDirection[];
export const COMPONENT_KEYS = ['sentiment', 'complaints', 'supply', 'backlog', 'syncs'] as const satisfies readonly ComponentKey[];

/** What an insight is about; only companies so far. */
export const INSIGHT_ENTITY_TYPES = ['company'] as const;
export type InsightEntityType = (typeof INSIGHT_ENTITY_TYPES)[number];

export const TrendDirectionEnum = stringEnum('TrendDirection', TREND_DIRECTIONS, 'How the health score moved against the period before.', {
  improving: 'Up by more than 2 points.',
  declining: 'Down by more than 2 points.',
  stable: 'Within 2 points either way: rounding and single emails move a score that much.',
  new: 'No activity in the period before, so nothing to compare with.',
});

export const ScoreComponentKeyEnum = stringEnum('ScoreComponentKey', COMPONENT_KEYS, 'A term of the health score.', {
  sentiment: 'Mean classified sentiment of the emails (weight 0.30).',
  complaints: 'Share of the emails classified as complaints (weight 0.25).',
  supply: 'Stock-out and backorder mentions in emails and ERP order records (weight 0.20).',
  backlog: 'Open cards and how old they are at the end of the period (weight 0.15).',
  syncs: 'Jobs dead-lettered in the period (weight 0.10).',
});

/** Time spent on one insight, in milliseconds. */
export interface InsightTimings {
  /** The tenant's aggregation, shared by all its companies of the run. */
  aggregateMs: number;
  llmMs: number;
  totalMs: number;
}

@ObjectType('InsightScoreComponent', { description: 'One term of a health score: its weight, how healthy it is and the points it lost.' })
export class InsightScoreComponentType implements ScoreComponent {
  @Field(() => ScoreComponentKeyEnum, { description: 'Which signal.' })
  key!: ComponentKey;

  @Field({ description: 'The signal in words, e.g. `stock-outs and backorders`.' })
  label!: string;

  @Field(() => Float, { description: 'Its share of the score, 0-1; the weights add up to 1.' })
  weight!: number;

  @Field(() => Float, { description: '0 (worst) to 1 (best).' })
  health!: number;

  @Field(() => Float, { description: 'Points it contributes: weight × health × 100.' })
  points!: number;

  @Field(() => Float, { description: 'Points it cost: weight × (1 − health) × 100; the first component lost the most.' })
  lost!: number;

  @Field({ description: 'The numbers behind it, e.g. `4 mentions: 3 in emails, 1 in order records; 0 in the previous period`.' })
  detail!: string;
}

@ObjectType('InsightTimings', { description: 'How long a synthesis took, in milliseconds.' })
export class InsightTimingsType implements InsightTimings {
  @Field(() => Int, { description: "Aggregating the tenant's ActivityStream (shared by the run's companies)." })
  aggregateMs!: number;

  @Field(() => Int, { description: 'Writing the summary (the LLM call, fallback included).' })
  llmMs!: number;

  @Field(() => Int, { description: 'The whole insight, aggregation to commit.' })
  totalMs!: number;
}

/**
 * The health of one entity over one period (US-BKP-008): the deterministic score and the signals behind it,
 * and the summary a provider wrote from them. Keyed by (tenant, entity, period): a re-run updates the row.
 */
@ObjectType({ description: "An insight: one company's health over one period, with the signals behind the score and a written summary." })
@Entity({ tableName: 'insight_syntheses' })
@Unique({ name: 'insight_syntheses_entity_period_key', properties: ['tenantId', 'entityId', 'periodStart', 'periodEnd'] })
@Index({ name: 'insight_syntheses_tenant_id_period_end_index', properties: ['tenantId', 'periodEnd', 'id'] })
@Check({ name: 'insight_syntheses_score_check', expression: 'score >= 0 and score <= 100' })
@Check({ name: 'insight_syntheses_previous_score_check', expression: 'previous_score >= 0 and previous_score <= 100' })
@Check({ name: 'insight_syntheses_period_check', expression: 'period_start < period_end' })
export class InsightSynthesis extends TenantOwnedEntity {
  @Field(() => String, { description: 'What the insight is about: `company`.' })
  @Enum({ items: () => [...INSIGHT_ENTITY_TYPES], type: 'text' })
  entityType!: InsightEntityType;

  @Field(() => ID, { description: 'The company.' })
  @Property({ type: 'uuid' })
  entityId!: string;

  @Field({ description: 'Start of the period (inclusive).' })
  @Property({ type: 'timestamptz' })
  periodStart!: Date;

  @Field({ description: 'End of the period (exclusive).' })
  @Property({ type: 'timestamptz' })
  periodEnd!: Date;

  @Field(() => Int, { description: 'Health score, 0 (worst) to 100 (best): the components\' points summed and rounded.' })
  @Property({ type: 'integer' })
  score!: number;

  @Field(() => Int, { nullable: true, description: 'The score of the period before, computed the same way; null when there was no activity then.' })
  @Property({ type: 'integer', nullable: true })
  previousScore: number | null = null;

  @Field(() => Int, { nullable: true, description: '`score − previousScore`; null without a previous score.' })
  @Property({ type: 'integer', nullable: true })
  trend: number | null = null;

  @Field(() => TrendDirectionEnum, { description: 'The trend in a word.' })
  @Enum({ items: () => [...TREND_DIRECTIONS], type: 'text' })
  direction!: TrendDirection;

  @Field(() => [InsightScoreComponentType], { description: 'The terms of the score, strongest driver (most points lost) first.' })
  @Property({ type: 'jsonb' })
  components!: ScoreComponent[];

  @Field(() => GraphQLJSONObject, {
    description:
      'The signals of the period: eventsByKind, emails, categoryMix, meanSentiment, complaintShare, stockOutMentions {emails, records, total}, openCards, openCardMeanAgeDays, deadLetters.',
  })
  @Property({ type: 'jsonb' })
  signals!: EntitySignals;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The same signals for the period before; null when there was no activity then.' })
  @Property({ type: 'jsonb', nullable: true })
  previousSignals: EntitySignals | null = null;

  @Field({ description: 'The summary in words; it only words the numbers above, it never changes them.' })
  @Property({ type: 'text' })
  summary!: string;

  @Field({ description: 'Who wrote the summary: `builtin`, `ollama` or `openai` (`builtin` also when a remote model\'s answer was unusable).' })
  @Property({ type: 'text' })
  provider!: string;

  @Field({ description: 'The model, or the template version for `builtin`.' })
  @Property({ type: 'text' })
  model!: string;

  @Field({ description: 'Version of the prompt or template, so summaries can be compared across changes.' })
  @Property({ type: 'text' })
  promptVersion!: string;

  @Field(() => String, { nullable: true, description: "Why the builtin summary was stored instead of the configured model's (invalid, empty, failed, timed out); null otherwise." })
  @Property({ type: 'text', nullable: true })
  fallbackReason: string | null = null;

  @Field(() => InsightTimingsType, { description: 'How long the synthesis took.' })
  @Property({ type: 'jsonb' })
  timings!: InsightTimings;

  @Field(() => ID, { description: 'The run that wrote it last: one per scheduled run or `synthesizeInsights` call.' })
  @Property({ type: 'uuid' })
  runId!: string;
}
