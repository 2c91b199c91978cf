import { Arg, Authorized, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { InsightSynthesis } from '../insights/insight-synthesis.entity';
import { INSIGHT_READERS, type InsightService } from '../insights/insight.service';
import type { AuthContext } from '../platform/context/auth-context';
import { CurrentAuth, type GraphQLContext } from '../platform/graphql/context';
import { Company } from './company.entity';
import { COMPANY_WRITERS, type CompanyService } from './company.service';

@InputType({ description: 'A new CRM account.' })
export class CreateCompanyInput {
  @Field({ description: 'Display name, 1-200 characters.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Primary domain, e.g. `acme.example`.' })
  domain?: string | null;

  @Field(() => String, { nullable: true, description: 'Identifier in the source system.' })
  externalId?: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Free-form attributes, at most 16 KB as JSON.' })
  attributes?: Record<string, unknown>;
}

@Resolver(() => Company)
export class CompanyResolver {
  constructor(
    private readonly service: CompanyService,
    private readonly insights: InsightService,
  ) {}

  @Authorized()
  @Query(() => [Company], { description: "The caller's tenant's companies, ordered by id." })
  companies(
    @CurrentAuth() auth: AuthContext,
    @Arg('first', () => Int, { defaultValue: 20, description: 'Page size, 1-100.' }) first: number,
    @Arg('after', () => ID, { nullable: true, description: 'Return companies after this id.' }) after: string | null,
  ): Promise<Company[]> {
    return this.service.list(auth, { first, after });
  }

  @Authorized()
  @Query(() => Company, { description: 'One company of the caller\'s tenant; NOT_FOUND for any other id.' })
  company(@CurrentAuth() auth: AuthContext, @Arg('id', () => ID, { description: 'Company id.' }) id: string): Promise<Company> {
    return this.service.get(auth, id);
  }

  @Authorized(...COMPANY_WRITERS)
  @Mutation(() => Company, { description: 'Creates a company in the caller\'s tenant (admin, manager, integration).' })
  createCompany(@CurrentAuth() auth: AuthContext, @Arg('input', { description: 'The new company.' }) input: CreateCompanyInput): Promise<Company> {
    return this.service.create(auth, input);
  }

  @Authorized(...INSIGHT_READERS)
  @FieldResolver(() => InsightSynthesis, { nullable: true, description: 'Its newest insight; null before the first synthesis (admin, manager, member).' })
  latestInsight(@CurrentAuth() auth: AuthContext, @Ctx() ctx: GraphQLContext, @Root() company: Company): Promise<InsightSynthesis | null> {
    // Every company of the operation in one read: `companies(first: 100) { latestInsight }` is 1 + 1 reads, not 1 + 100.
    return ctx.loaders.get('Company.latestInsight', (ids: readonly string[]) => this.insights.latestOf(auth, ids)).load(company.id);
  }
}
