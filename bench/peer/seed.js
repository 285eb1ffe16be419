// Single-use inputs for the load generator, written into the peer's store through
// node-oidc-provider's own models (Grant, AuthorizationCode, RefreshToken, AccessToken),
// as a completed sign-in would leave them: the way bench/seed.py seeds the bridge.
// Writes one URL-encoded request body per line.
//
//   node seed.js codes|refresh|access COUNT OUT_FILE      (env PEER_REDIS_URL)
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';

import Provider from 'oidc-provider';

import {
  CLIENT_ID, REDIRECT_URI, RESOURCE, SUBJECT, configuration, newJwks,
} from './config.js';
import { connect, disconnect } from './redis_adapter.js';

const VERIFIER = `bench-verifier-${'v'.repeat(40)}`;
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');
const [kind, countText, out] = process.argv.slice(2);
const count = Number(countText);

// Many writes in flight at once: let ioredis pack them into fewer round trips.
connect(process.env.PEER_REDIS_URL || 'redis://127.0.0.1:6379/0', { enableAutoPipelining: true });
// Seeding signs nothing: any ES256 key lets the provider accept the client's metadata.
const provider = new Provider('http://127.0.0.1', configuration(newJwks()));
const client = await provider.Client.find(CLIENT_ID);
const now = Math.floor(Date.now() / 1000);

async function grant(scope) {
  const g = new provider.Grant({ accountId: SUBJECT, clientId: CLIENT_ID });
  g.addOIDCScope(scope);
  g.addResourceScope(RESOURCE, 'api');
  return g.save();
}

const common = {
  accountId: SUBJECT, client, acr: 'L2', authTime: now, resource: RESOURCE,
};

async function code() {
  const grantId = await grant('openid profile');
  const value = await new provider.AuthorizationCode({
    ...common,
    grantId,
    scope: 'openid profile api',
    redirectUri: REDIRECT_URI,
    codeChallenge: CHALLENGE,
    codeChallengeMethod: 'S256',
    nonce: 'n',
  }).save();
  return new URLSearchParams({
    grant_type: 'authorization_code', code: value, redirect_uri: REDIRECT_URI, code_verifier: VERIFIER,
  });
}

let family; // one grant for all refresh tokens, like the bridge's seed

async function refresh() {
  family ??= grant('openid profile offline_access');
  const value = await new provider.RefreshToken({
    ...common, grantId: await family, scope: 'openid profile offline_access', rotations: 0,
  }).save();
  return new URLSearchParams({ grant_type: 'refresh_token', refresh_token: value });
}

// Opaque, so that it is stored and can be introspected: node-oidc-provider refuses to
// introspect its JWT access tokens.
async function access() {
  const grantId = await grant('openid profile');
  const value = await new provider.AccessToken({
    accountId: SUBJECT, client, grantId, scope: 'openid profile', gty: 'authorization_code',
  }).save();
  return new URLSearchParams({ token: value, token_type_hint: 'access_token' });
}

const make = { codes: code, refresh, access }[kind];
if (!make || !(count > 0) || !out) {
  console.error('usage: node seed.js codes|refresh|access COUNT OUT_FILE');
  process.exit(2);
}
const lines = [];
for (let start = 0; start < count; start += 256) {
  const batch = Array.from({ length: Math.min(256, count - start) }, () => make());
  for (const body of await Promise.all(batch)) lines.push(body.toString());
}
writeFileSync(out, `${lines.join('\n')}\n`);
await disconnect();
