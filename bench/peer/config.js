// The peer's configuration: as close to the bridge's benchmark set-up as node-oidc-provider
// allows (bench/README.md lists what cannot be the same). One confidential client with
// client_secret_basic, ES256 for every signature, PKCE required, rotating refresh tokens,
// JWT access tokens for the benchmark API, introspection and client_credentials.
import { generateKeyPairSync } from 'node:crypto';

import { RedisAdapter } from './redis_adapter.js';

export const CLIENT_ID = 'bench-portal';
export const CLIENT_SECRET = 'bench-portal-secret';
export const REDIRECT_URI = 'https://bench.test/callback';
export const RESOURCE = 'https://api.bench.test/';
export const SUBJECT = 'bench-subject';

// The claims the bridge's seeded grants carry; here the account lives in memory.
const ACCOUNT = {
  name: '黃詠峯',
  gender: 'female',
  birthdate: '1990-01-01',
  phone_number: '+85291234567',
};

// Two P-256 keys, as the bridge publishes its current and next signing key; the
// provider signs with the first.
export function newJwks() {
  const keys = ['peer-es256-current', 'peer-es256-next'].map((kid) => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid };
  });
  return { keys };
}

export function configuration(jwks) {
  return {
    adapter: RedisAdapter,
    jwks,
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      redirect_uris: [REDIRECT_URI],
      id_token_signed_response_alg: 'ES256',
      scope: 'openid profile phone offline_access api',
    }],
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256'],
      userinfoSigningAlgValues: ['ES256'],
      introspectionSigningAlgValues: ['ES256'],
    },
    scopes: ['openid', 'offline_access', 'profile', 'phone', 'api'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'gender', 'birthdate'],
      phone: ['phone_number'],
    },
    async findAccount(_ctx, sub) {
      return { accountId: sub, claims: async () => ({ sub, ...ACCOUNT }) };
    },
    pkce: { required: () => true },
    rotateRefreshToken: true,
    features: {
      devInteractions: { enabled: false },
      // Like the bridge: a client learns only about its own tokens.
      introspection: {
        enabled: true,
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      revocation: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'api',
          audience: RESOURCE,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 600,
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
    // The bridge's lifetimes (its settings' defaults and the benchmark seeds).
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      ClientCredentials: 600,
      IdToken: 600,
      RefreshToken: 3600,
      Grant: 3600,
    },
    routes: {
      authorization: '/authorize',
      introspection: '/introspect',
      jwks: '/jwks.json',
      revocation: '/revoke',
      token: '/token',
      userinfo: '/userinfo',
    },
  };
}
