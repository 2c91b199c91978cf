import { AuthService } from './auth/auth.service';
import { LoginThrottle } from './auth/login-throttle';
import { TokenService } from './auth/token.service';
import { UserService } from './auth/user.service';
import { CompanyService } from './companies/company.service';
import type { Config } from './platform/config/config';
import type { Database } from './platform/db/database';

/** Every feature service, built once per process and shared by GraphQL, REST and jobs. */
export interface Services {
  readonly tokens: TokenService;
  readonly auth: AuthService;
  readonly users: UserService;
  readonly companies: CompanyService;
}

export function createServices(config: Config, jwtSecret: string, db: Database): Services {
  const tokens = new TokenService({
    secret: jwtSecret,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    accessTtlSeconds: config.JWT_ACCESS_TTL_SECONDS,
    refreshTtlSeconds: config.JWT_REFRESH_TTL_SECONDS,
  });
  const throttle = new LoginThrottle(db, { maxFailures: config.LOGIN_MAX_FAILURES, windowSeconds: config.LOGIN_WINDOW_SECONDS });
  return {
    tokens,
    auth: new AuthService(db, tokens, throttle),
    users: new UserService(db),
    companies: new CompanyService(db),
  };
}
