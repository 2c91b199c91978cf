import { Arg, Authorized, Field, Float, ID, Int, ObjectType, Query, Resolver } from 'type-graphql';
import type { AuthContext } from '../platform/context/auth-context';
import { CurrentAuth } from '../platform/graphql/context';
import { stringEnum } from '../platform/graphql/string-enum';
import { SEARCH_TYPES, type SearchType } from './search-ref';
import type { SearchService } from './search.service';

export const SearchTypeEnum = stringEnum('SearchType', SEARCH_TYPES, 'A kind of object in the unified index.', {
  email: 'An ingested email; open it with `ingestion(trackingId)` or through its card.',
  card: 'A Kanban card; open it with `card(id)`.',
  company: 'A CRM account; open it with `company(id)`.',
  record: 'A CRM/ERP record (contact, deal, order, invoice, product, ...); open it with `record(id)`.',
  activity: 'An ActivityStream event; searched only when asked for in `types`.',
});

@ObjectType({ description: 'One object found by `unifiedSearch`.' })
export class SearchHit {
  @Field(() => SearchTypeEnum, { description: 'What kind of object it is.' })
  type!: SearchType;

  @Field(() => ID, { description: "The object's id, to open it." })
  id!: string;

  @Field({ description: 'Its title: subject, card title, company name or record name.' })
  title!: string;

  @Field({ description: 'An excerpt, HTML-escaped, with the matched words in `<mark>` elements.' })
  snippet!: string;

  @Field(() => Float, { description: 'Reciprocal-rank fusion score; higher is better, comparable within one answer only.' })
  score!: number;

  @Field(() => Int, { nullable: true, description: 'Rank among the semantic (vector) neighbours; null when that half did not find it.' })
  vectorRank!: number | null;

  @Field(() => Int, { nullable: true, description: 'Rank among the full-text matches; null when no query word matched.' })
  keywordRank!: number | null;
}

@ObjectType({ description: 'The answer of `unifiedSearch`.' })
export class SearchResults {
  @Field(() => [SearchHit], { description: 'Best first.' })
  hits!: SearchHit[];

  @Field({ description: 'True when semantic search was unavailable and the hits are keyword matches only.' })
  degraded!: boolean;
}

@Resolver()
export class SearchResolver {
  constructor(private readonly service: SearchService) {}

  @Authorized()
  @Query(() => SearchResults, {
    description: "Hybrid semantic and keyword search over the caller's tenant's emails, cards, companies and CRM/ERP records.",
  })
  unifiedSearch(
    @CurrentAuth() auth: AuthContext,
    @Arg('q', { description: 'What to look for: words, a phrase, an identifier or an email address; at most 500 characters by default.' }) q: string,
    @Arg('types', () => [SearchTypeEnum], { nullable: true, description: 'Only these kinds; default: email, card, company and record.' })
    types: SearchType[] | null,
    @Arg('limit', () => Int, { defaultValue: 10, description: 'How many hits, 1-50.' }) limit: number,
  ): Promise<SearchResults> {
    return this.service.search(auth, { q, types, limit });
  }
}
