// node-oidc-provider's storage adapter on the harness's private Redis, so the peer pays
// a network round trip per lookup like the bridge does (its default in-process LRU
// would not, and could not be shared by two worker processes).
//
// Single-use artefacts (codes, refresh tokens) are hashes {payload, consumed}: `consume`
// marks one used without rewriting it. Every artefact of a grant is listed under
// grant:<id> so that `revokeByGrantId` (reuse detection) can delete them together.
import Redis from 'ioredis';

const consumable = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest']);
const grantable = new Set([...consumable, 'AccessToken']);

let client;

export function connect(url, options = {}) {
  client = new Redis(url, { keyPrefix: 'peer:', ...options });
  return client;
}

export async function disconnect() {
  await client?.quit();
}

const grantKey = (grantId) => `grant:${grantId}`;

export class RedisAdapter {
  constructor(name) {
    this.name = name;
  }

  key(id) {
    return `${this.name}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    const multi = client.multi();
    if (consumable.has(this.name)) {
      multi.hset(key, 'payload', JSON.stringify(payload));
      if (expiresIn) multi.expire(key, expiresIn);
    } else if (expiresIn) {
      multi.set(key, JSON.stringify(payload), 'EX', expiresIn);
    } else {
      multi.set(key, JSON.stringify(payload));
    }
    if (grantable.has(this.name) && payload.grantId) {
      // The list lives as long as its longest-lived member: NX sets a first expiry,
      // GT only ever extends it.
      const list = grantKey(payload.grantId);
      multi.rpush(list, key);
      if (expiresIn) {
        multi.expire(list, expiresIn, 'NX');
        multi.expire(list, expiresIn, 'GT');
      }
    }
    await multi.exec();
  }

  async find(id) {
    if (consumable.has(this.name)) {
      const { payload, consumed } = await client.hgetall(this.key(id));
      if (!payload) return undefined;
      return consumed ? { ...JSON.parse(payload), consumed: Number(consumed) } : JSON.parse(payload);
    }
    const stored = await client.get(this.key(id));
    return stored ? JSON.parse(stored) : undefined;
  }

  async consume(id) {
    await client.hset(this.key(id), 'consumed', Math.floor(Date.now() / 1000));
  }

  async destroy(id) {
    await client.del(this.key(id));
  }

  async revokeByGrantId(grantId) { // eslint-disable-line class-methods-use-this
    const list = grantKey(grantId);
    const members = await client.lrange(list, 0, -1);
    // Members are listed without the prefix, which ioredis adds to every key DEL names.
    await client.del(list, ...members);
  }

  // Interactions, sessions and device codes: the benchmark never signs anyone in here.
  async findByUid() { return undefined; } // eslint-disable-line class-methods-use-this

  async findByUserCode() { return undefined; } // eslint-disable-line class-methods-use-this
}
