import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { TokenService } from '../../src/auth/token.service';
import { callerFactory, type Caller } from '../factories';
import { createTestEnv, TEST_JWT_SECRET, type TestEnv } from '../setup/test-env';
import { accessClaims, signHmac, unsigned, withPayload, type Claims } from './forge';
import { bearer, graphql, rest } from './http';

interface Attack {
  name: string;
  /** The whole `Authorization` header value the attacker sends. */
  authorization(kit: AttackKit): Promise<string> | string;
}

interface AttackKit {
  /** Valid access-token claims for the victim; override one to forge. */
  claims(overrides?: Claims): Claims;
  victim: Caller;
  attacker: { privateKey: CryptoKey; publicJwk: JWK; publicPem: string };
}

const now = () => Math.floor(Date.now() / 1000);

const ATTACKS: Attack[] = [
  { name: 'with alg "none" and no signature', authorization: ({ claims }) => bearer(unsigned(claims())) },
  { name: 'signed HS256 with an empty secret', authorization: ({ claims }) => bearer(signHmac(claims(), { secret: '' })) },
  {
    name: 'signed HS256 with a public-key PEM as the secret',
    authorization: ({ claims, attacker }) => bearer(signHmac(claims(), { secret: attacker.publicPem })),
  },
  {
    name: 'whose payload was changed under the original signature',
    authorization: ({ victim }) => bearer(withPayload(victim.access, (claims) => ({ ...claims, role: 'admin', exp: now() + 86_400 }))),
  },
  { name: 'without exp', authorization: ({ claims }) => bearer(signHmac(claims({ exp: undefined }))) },
  { name: 'whose exp has passed', authorization: ({ claims }) => bearer(signHmac(claims({ iat: now() - 600, exp: now() - 60 }))) },
  { name: 'whose nbf is in the future', authorization: ({ claims }) => bearer(signHmac(claims({ nbf: now() + 600 }))) },
  { name: 'from another issuer', authorization: ({ claims }) => bearer(signHmac(claims({ iss: 'https://evil.example' }))) },
  { name: 'for another audience', authorization: ({ claims }) => bearer(signHmac(claims({ aud: 'another-api' }))) },
  { name: 'that is a refresh token', authorization: ({ victim }) => bearer(victim.refresh) },
  { name: 'without tenant_id', authorization: ({ claims }) => bearer(signHmac(claims({ tenant_id: undefined }))) },
  { name: 'without user_id', authorization: ({ claims }) => bearer(signHmac(claims({ user_id: undefined }))) },
  {
    name: "with a jwk header carrying the attacker's own key",
    authorization: async ({ claims, attacker }) =>
      bearer(await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', typ: 'JWT', jwk: attacker.publicJwk }).sign(attacker.privateKey)),
  },
  {
    name: "with a jku header pointing at the attacker's key set",
    authorization: async ({ claims, attacker }) =>
      bearer(
        await new SignJWT(claims())
          .setProtectedHeader({ alg: 'RS256', typ: 'JWT', jku: 'https://evil.example/.well-known/jwks.json', kid: 'evil' })
          .sign(attacker.privateKey),
      ),
  },
  {
    name: 'with a jku header, even when signed with the real secret',
    authorization: ({ claims }) => bearer(signHmac(claims(), { header: { jku: 'https://evil.example/.well-known/jwks.json' } })),
  },
  { name: 'signed HS512 with the real secret', authorization: ({ claims }) => bearer(signHmac(claims(), { alg: 'HS512' })) },
  { name: 'that is a garbage string', authorization: () => bearer('not-a-jwt') },
  { name: 'of three garbage segments', authorization: () => bearer('eyJhbGciOiJIUzI1NiJ9.%%%.AAAA') },
  { name: 'sent with the Basic scheme', authorization: () => `Basic ${Buffer.from('admin:admin').toString('base64')}` },
  { name: 'that is valid but sent with the Basic scheme', authorization: ({ victim }) => `Basic ${victim.access}` },
];

describe(TokenService.name, () => {
  let env: TestEnv;
  let kit: AttackKit;

  beforeAll(async () => {
    env = await createTestEnv();
    const victim = await callerFactory(env, 'member');
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    kit = {
      victim,
      claims: (overrides) => accessClaims(env, victim.user, overrides),
      attacker: { privateKey, publicJwk: await exportJWK(publicKey), publicPem: await exportSPKI(publicKey) },
    };
  });
  afterAll(() => env.close());

  it('accepts a token signed with the real secret and the same claims the attacks start from', async () => {
    const authorization = bearer(signHmac(kit.claims(), { secret: TEST_JWT_SECRET }));

    const me = await rest(env, 'GET', '/api/v1/me/', { authorization });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ id: kit.victim.user.id, email: kit.victim.user.email });

    const query = await graphql(env, '{ me { email } }', {}, authorization);
    expect(query.statusCode).toBe(200);
    expect(query.json()).toEqual({ data: { me: { email: kit.victim.user.email } } });
  });

  it.each(ATTACKS)('answers 401 on REST and GraphQL to a token $name', async (attack) => {
    const authorization = await attack.authorization(kit);

    const me = await rest(env, 'GET', '/api/v1/me/', { authorization });
    expect(me.statusCode).toBe(401);
    expect(me.json()).toEqual({ detail: expect.any(String), code: 'TOKEN_INVALID' });
    expect(me.headers['www-authenticate']).toBe('Bearer');

    const query = await graphql(env, '{ me { email } }', {}, authorization);
    expect(query.statusCode).toBe(401);
    expect(query.json().data).toBeUndefined();
    expect(query.json().errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) })]);
  });
});
