import type { AuthContext } from '../platform/context/auth-context';
import type { Database } from '../platform/db/database';
import { CommonError } from '../platform/errors/pebble-error';
import { User } from './user.entity';

export class UserService {
  constructor(private readonly db: Database) {}

  me(auth: AuthContext): Promise<User> {
    return this.db.withTenant(auth, async (em) => {
      const user = auth.userId ? await em.findOne(User, { id: auth.userId }) : null;
      if (!user?.active) throw new CommonError('UNAUTHENTICATED', 'The account no longer exists or is inactive');
      return user;
    });
  }
}
