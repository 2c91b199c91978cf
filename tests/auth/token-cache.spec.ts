import { randomUUID } from 'node:crypto';
import { TokenService } from '../../src/auth/token.service';

const subject = () => ({ userId: randomUUID(), tenantId: randomUUID(), role: 'integration' as const });
const settings = { secret: 'token-cache-secret-token-cache-secret-0000', issuer: 'pebble', audience: 'pebble-api', refreshTtlSeconds: 60 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('TokenService: remembered access tokens', () => {
  it('answers a token it verified before with the same claims', async () => {
    const tokens = new TokenService({ ...settings, accessTtlSeconds: 60 });
    const who = subject();
    const { access } = await tokens.issue(who, randomUUID());

    const first = await tokens.verifyAccess(access);
    const second = await tokens.verifyAccess(access);

    expect(second).toEqual(first);
    expect(second).toMatchObject(who);
  });

  it('refuses a remembered token once it has expired', async () => {
    const tokens = new TokenService({ ...settings, accessTtlSeconds: 1 });
    const { access } = await tokens.issue(subject(), randomUUID());
    await expect(tokens.verifyAccess(access)).resolves.toBeDefined();

    await sleep(2100);

    await expect(tokens.verifyAccess(access)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });

  it('never remembers a token that failed: a tampered copy stays refused after the real one verified', async () => {
    const tokens = new TokenService({ ...settings, accessTtlSeconds: 60 });
    const { access } = await tokens.issue(subject(), randomUUID());
    await tokens.verifyAccess(access);
    const [header, payload, signature] = access.split('.');
    // The first character carries six whole bits of the signature (the last one partly padding).
    const tampered = `${header}.${payload}.${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;

    await expect(tokens.verifyAccess(tampered)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    await expect(tokens.verifyAccess(tampered)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });

  it('does not accept a token signed with another secret just because an equal-looking one was remembered', async () => {
    const ours = new TokenService({ ...settings, accessTtlSeconds: 60 });
    const theirs = new TokenService({ ...settings, secret: 'another-secret-another-secret-another-000', accessTtlSeconds: 60 });
    const who = subject();
    await ours.verifyAccess((await ours.issue(who, randomUUID())).access);

    const { access: forged } = await theirs.issue(who, randomUUID());

    await expect(ours.verifyAccess(forged)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });
});
