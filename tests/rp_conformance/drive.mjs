// A relying party built on openid-client (a certified OpenID Connect library), with its
// defaults unmodified, drives the bridge the way a vendor's service would.
//
// Input (environment): ISSUER, CLIENTS (JSON: [{client_id, client_secret, alg,
// userinfo_alg, redirect_uri, post_logout_redirect_uri}]), INITIAL_ACCESS_TOKEN, EXCHANGE_AUDIENCE.
// Protocol with the test (JSON lines): the script prints {"authorize": url} and reads the
// URL the browser was redirected to; at the end it prints {"results": {...}}. A step the
// library refuses is recorded with the library's own error code, never skipped.
import * as client from "openid-client";
import { createInterface } from "node:readline";

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

async function browserReturn(url) {
  process.stdout.write(JSON.stringify({ authorize: url.href }) + "\n");
  const { value } = await lines.next();
  return new URL(value.trim());
}

async function step(results, name, work) {
  try {
    results[name] = { ok: true, ...((await work()) ?? {}) };
  } catch (error) {
    results[name] = { ok: false, error: error.error ?? error.code ?? error.name, message: String(error.message) };
  }
  return results[name];
}

async function asClient(issuer, spec) {
  const results = {};
  const metadata = {
    client_id: spec.client_id,
    redirect_uris: [spec.redirect_uri],
    ...(spec.alg ? { id_token_signed_response_alg: spec.alg } : {}),
    ...(spec.userinfo_alg ? { userinfo_signed_response_alg: spec.userinfo_alg } : {}),
  };
  let config;
  await step(results, "discovery", async () => {
    config = await client.discovery(issuer, spec.client_id, metadata, client.ClientSecretBasic(spec.client_secret));
    const server = config.serverMetadata();
    return { issuer: server.issuer, algs: server.id_token_signing_alg_values_supported };
  });
  if (!config) return results;

  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: spec.redirect_uri,
    scope: "openid profile offline_access",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
  });
  const callback = await browserReturn(url);

  let tokens;
  await step(results, "code", async () => {
    tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    return { alg: JSON.parse(Buffer.from(tokens.id_token.split(".")[0], "base64url")).alg, sub: claims.sub, auth_time: claims.auth_time, refresh: Boolean(tokens.refresh_token) };
  });
  if (!tokens) return results;
  const sub = tokens.claims().sub;

  await step(results, "userinfo", async () => {
    const info = await client.fetchUserInfo(config, tokens.access_token, sub);
    return { claims: Object.keys(info).sort() };
  });
  let refreshed;
  await step(results, "refresh", async () => {
    refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
    return { sub: refreshed.claims()?.sub, rotated: refreshed.refresh_token !== tokens.refresh_token };
  });
  await step(results, "introspection", async () => {
    const found = await client.tokenIntrospection(config, refreshed.access_token);
    return { active: found.active, client_id: found.client_id };
  });
  await step(results, "exchange", async () => {
    const exchanged = await client.genericGrantRequest(config, "urn:ietf:params:oauth:grant-type:token-exchange", {
      subject_token: refreshed.access_token,
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
      audience: process.env.EXCHANGE_AUDIENCE,
    });
    return { issued_token_type: exchanged.issued_token_type, scope: exchanged.scope };
  });
  await step(results, "revocation", async () => {
    await client.tokenRevocation(config, refreshed.refresh_token);
    const after = await client.tokenIntrospection(config, refreshed.refresh_token);
    return { active_after: after.active };
  });
  await step(results, "refresh_after_revocation", async () => {
    await client.refreshTokenGrant(config, refreshed.refresh_token);
    return { refused: false };
  });
  // Last, since it ends the session and with it every token of the sign-in.
  await step(results, "end_session", async () => {
    const url = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token,
      post_logout_redirect_uri: spec.post_logout_redirect_uri,
      state: "bye",
    });
    const answer = await fetch(url, { redirect: "manual" });
    return { status: answer.status, location: answer.headers.get("location") };
  });
  return results;
}

const issuer = new URL(process.env.ISSUER);
const results = {};
for (const spec of JSON.parse(process.env.CLIENTS)) {
  results[spec.client_id] = await asClient(issuer, spec);
}
await step(results, "registration", async () => {
  const registered = await client.dynamicClientRegistration(
    issuer,
    {
      redirect_uris: ["https://registered.test/callback"],
      client_name: "Vendor portal",
      "client_name#zh-Hant": "供應商入口",
      "client_name#zh-Hans": "供应商入口",
      purpose: "Conformance",
      "purpose#zh-Hant": "符合性",
      "purpose#zh-Hans": "符合性",
      jurisdiction: "Hong Kong",
      "jurisdiction#zh-Hant": "香港",
      "jurisdiction#zh-Hans": "香港",
      scope: "openid profile",
      id_token_signed_response_alg: "ES256",
    },
    undefined,
    { initialAccessToken: process.env.INITIAL_ACCESS_TOKEN },
  );
  const registeredMetadata = registered.clientMetadata();
  return { client_id: registeredMetadata.client_id, has_secret: Boolean(registeredMetadata.client_secret) };
});
process.stdout.write(JSON.stringify({ results }) + "\n");
process.exit(0);
