import type { AuthChecker } from 'type-graphql';
import { CommonError } from '../errors/pebble-error';
import type { GraphQLContext } from './context';

/** `@Authorized(...roles)`: no caller → UNAUTHENTICATED; a caller without one of the roles → FORBIDDEN. */
export const authChecker: AuthChecker<GraphQLContext, string> = ({ context }, roles) => {
  const { auth } = context;
  if (!auth) throw context.authError ?? new CommonError('UNAUTHENTICATED', 'Authentication required');
  if (roles.length > 0 && !roles.includes(auth.role)) {
    throw new CommonError('FORBIDDEN', `This operation needs one of the roles: ${roles.join(', ')}`);
  }
  return true;
};
