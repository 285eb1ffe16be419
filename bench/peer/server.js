// The peer: node-oidc-provider on PEER_PORT with PEER_WORKERS processes (node's cluster
// module, the usual way to run a Node server on more than one core), issuer PEER_ISSUER,
// storage on PEER_REDIS_URL. Every worker signs with the same ES256 key: the primary
// makes it (or reads PEER_JWKS_FILE) and hands it to the workers.
//
//   PEER_PORT=9000 PEER_WORKERS=1 PEER_REDIS_URL=redis://127.0.0.1:6379/0 node server.js
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';

import Provider from 'oidc-provider';

import { configuration, newJwks } from './config.js';
import { connect } from './redis_adapter.js';

const port = Number(process.env.PEER_PORT || 9000);
const workers = Number(process.env.PEER_WORKERS || 1);
const issuer = process.env.PEER_ISSUER || `http://127.0.0.1:${port}`;
const redisUrl = process.env.PEER_REDIS_URL || 'redis://127.0.0.1:6379/0';

function signingKey() {
  if (process.env.PEER_JWKS_FILE) {
    return JSON.parse(readFileSync(process.env.PEER_JWKS_FILE, 'utf8'));
  }
  return newJwks();
}

function serve(jwks) {
  connect(redisUrl);
  const provider = new Provider(issuer, configuration(jwks));
  provider.use(async (ctx, next) => {
    if (ctx.path === '/healthz') {
      ctx.body = 'ok';
      return;
    }
    await next();
  });
  provider.on('server_error', (_ctx, error) => console.error('server_error', error));
  provider.listen(port, '127.0.0.1');
}

if (workers > 1 && cluster.isPrimary) {
  const jwks = JSON.stringify(signingKey());
  for (let i = 0; i < workers; i += 1) cluster.fork({ PEER_JWKS: jwks });
  cluster.on('exit', (worker, code) => {
    console.error(`peer worker ${worker.process.pid} exited (${code})`);
    process.exitCode = 1;
  });
  const stop = () => {
    for (const worker of Object.values(cluster.workers)) worker.kill();
    process.exit();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  serve(process.env.PEER_JWKS ? JSON.parse(process.env.PEER_JWKS) : signingKey());
}
