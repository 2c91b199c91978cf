import { Arg, Authorized, Ctx, Field, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { AuthContext } from '../platform/context/auth-context';
import { CurrentAuth, type GraphQLContext } from '../platform/graphql/context';
import type { AuthService } from './auth.service';
import { User } from './user.entity';
import type { UserService } from './user.service';

@ObjectType({ description: 'A pair of signed JWTs: a short-lived access token and a rotating refresh token.' })
export class TokenPair {
  @Field({ description: 'Bearer token for every other operation; expires after JWT_ACCESS_TTL_SECONDS.' })
  access!: string;

  @Field({ description: 'Exchange for a new pair with `refreshToken`; each refresh token works once.' })
  refresh!: string;
}

@Resolver()
export class AuthResolver {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UserService,
  ) {}

  @Mutation(() => TokenPair, { description: 'Exchanges email and password for a token pair (public).' })
  token(
    @Arg('email', { description: 'Login email (case-insensitive).' }) email: string,
    @Arg('password', { description: 'The account password.' }) password: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<TokenPair> {
    return this.auth.login({ email, password }, ctx.correlationId);
  }

  @Mutation(() => TokenPair, { description: 'Rotates a refresh token into a new pair (public). Reusing a rotated token revokes its session.' })
  refreshToken(@Arg('refresh', { description: 'The current refresh token.' }) refresh: string, @Ctx() ctx: GraphQLContext): Promise<TokenPair> {
    return this.auth.refresh(refresh, ctx.correlationId);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Revokes the session (token family) the given refresh token belongs to.' })
  logout(@CurrentAuth() auth: AuthContext, @Arg('refresh', { description: 'A refresh token of the session to end.' }) refresh: string): Promise<boolean> {
    return this.auth.logout(auth, refresh);
  }

  @Authorized()
  @Query(() => User, { description: 'The authenticated user.' })
  me(@CurrentAuth() auth: AuthContext): Promise<User> {
    return this.users.me(auth);
  }
}
