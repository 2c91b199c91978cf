import { Arg, Authorized, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ActivityEvent } from '../activity/activity-event.entity';
import type { Category } from '../classification/classifier';
import { Email } from '../ingestion/email.entity';
import type { AuthContext } from '../platform/context/auth-context';
import { CurrentAuth } from '../platform/graphql/context';
import { Card, CardColumnEnum, CategoryEnum, type CardColumn } from './card.entity';
import { CARD_MOVERS, type CardService } from './card.service';

@Resolver(() => Card)
export class CardResolver {
  constructor(private readonly service: CardService) {}

  @Authorized()
  @Query(() => [Card], { description: "The caller's tenant's cards, newest first." })
  cards(
    @CurrentAuth() auth: AuthContext,
    @Arg('column', () => CardColumnEnum, { nullable: true, description: 'Only this column.' }) column: CardColumn | null,
    @Arg('category', () => CategoryEnum, { nullable: true, description: 'Only this category.' }) category: Category | null,
    @Arg('companyId', () => ID, { nullable: true, description: "Only this company's cards." }) companyId: string | null,
    @Arg('first', () => Int, { defaultValue: 20, description: 'Page size, 1-100.' }) first: number,
    @Arg('after', () => ID, { nullable: true, description: 'Return cards after (older than) this id.' }) after: string | null,
  ): Promise<Card[]> {
    return this.service.list(auth, { column, category, companyId, first, after });
  }

  @Authorized()
  @Query(() => Card, { description: "One card of the caller's tenant; NOT_FOUND for any other id." })
  card(@CurrentAuth() auth: AuthContext, @Arg('id', () => ID, { description: 'Card id.' }) id: string): Promise<Card> {
    return this.service.get(auth, id);
  }

  @Authorized(...CARD_MOVERS)
  @Mutation(() => Card, { description: 'Moves a card to another column and records `card.moved` (admin, manager, member).' })
  moveCard(
    @CurrentAuth() auth: AuthContext,
    @Arg('id', () => ID, { description: 'Card id.' }) id: string,
    @Arg('column', () => CardColumnEnum, { description: 'Target column.' }) column: CardColumn,
  ): Promise<Card> {
    return this.service.move(auth, id, column);
  }

  @FieldResolver(() => [Email], { description: 'The emails on this card, oldest first.' })
  emails(@CurrentAuth() auth: AuthContext, @Root() card: Card): Promise<Email[]> {
    return this.service.emails(auth, card.id);
  }

  @FieldResolver(() => [ActivityEvent], { description: 'What happened to this card, oldest first.' })
  activity(@CurrentAuth() auth: AuthContext, @Root() card: Card): Promise<ActivityEvent[]> {
    return this.service.activity(auth, card.id);
  }
}
