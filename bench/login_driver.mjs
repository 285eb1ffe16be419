// The whole-login load generator, lean: node's own http client with keep-alive, a
// cookie jar and redirects by hand, two regular expressions for the pages. It does per
// login what bench/login_flow.py does with httpx (mock Guangdong → bridge → mock iAM
// Smart → approve → consent → Guangdong token, userinfo, binding → profile → logout) at a
// fraction of the CPU, so that the servers, not the load generator, use the machine.
//
//   node login_driver.mjs GUANGDONG_URL CONCURRENCY SECONDS
//
// Prints one JSON line ({logins, failures, latencies_ms, ...}), then waits for its
// standard input to close, so that the harness can read its CPU time from /proc first.
import http from 'node:http';

const PERSONAS = {
  'wong-wing-fung': 'H12345678',
  'lau-chi-ming': 'H87654321',
  'cheung-ka-yan': 'H23456789',
};
const FORM = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g;
const CSRF = /name="csrf_token"\s+value="([^"]+)"/;
const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescape(text) {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, name) => {
    if (name[0] !== '#') return ENTITIES[name.toLowerCase()] ?? whole;
    return String.fromCodePoint(name[1].toLowerCase() === 'x'
      ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10));
  });
}

class LoginFailed extends Error {}

// One resident: its own connections and cookies. Every server is on 127.0.0.1, and
// cookies do not tell ports apart, so one jar serves all three, as in a browser.
class Resident {
  constructor() {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    this.cookies = new Map();
  }

  remember(setCookie) {
    for (const line of setCookie ?? []) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const gone = attributes.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a));
      if (gone) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1).trim());
    }
  }

  send(method, url, form, retried = false) {
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const headers = {};
    if (this.cookies.size) {
      headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    }
    if (body) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = Buffer.byteLength(body);
    }
    return new Promise((resolve, reject) => {
      const request = http.request(url, { method, headers, agent: this.agent }, (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
          this.remember(response.headers['set-cookie']);
          resolve({
            status: response.statusCode,
            location: response.headers.location,
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
        response.on('error', reject);
      });
      request.setTimeout(30_000, () => request.destroy(new LoginFailed(`timeout: ${url}`)));
      request.on('error', (error) => {
        // A kept-alive connection the server closed as we reused it: nothing was
        // processed, and a browser sends the request again on a new one.
        if (request.reusedSocket && error.code === 'ECONNRESET' && !retried) {
          resolve(this.send(method, url, form, true));
        } else {
          reject(error);
        }
      });
      request.end(body);
    });
  }

  // Follow redirects as a browser does: 303 (and 301/302) turn into a GET.
  async go(method, url, form) {
    let current = new URL(url);
    for (let hop = 0; hop < 20; hop += 1) {
      const response = await this.send(method, current, form);
      if (![301, 302, 303, 307, 308].includes(response.status)) {
        return { ...response, url: current };
      }
      current = new URL(response.location, current);
      if (response.status !== 307 && response.status !== 308) {
        method = 'GET';
        form = undefined;
      }
    }
    throw new LoginFailed(`too many redirects from ${url}`);
  }
}

function csrf(page) {
  const match = CSRF.exec(page.text);
  if (!match) throw new LoginFailed(`no CSRF token on ${page.url.pathname}`);
  return unescape(match[1]);
}

async function login(resident, guangdong, persona) {
  const qr = await resident.go('GET', `${guangdong}/login/iamsmart`);
  if (!qr.url.pathname.includes('/api/v1/auth/getQR')) {
    throw new LoginFailed(`expected the QR page, got ${qr.status} ${qr.url}`);
  }
  const form = [...qr.text.matchAll(FORM)].find(([, , inner]) => inner.includes(`value="${persona}"`));
  if (!form) throw new LoginFailed('no QR form for the persona');
  const consent = await resident.go('POST', new URL(unescape(form[1]), qr.url), {
    persona, action: 'approve',
  });
  if (!consent.url.pathname.includes('/consent/')) {
    throw new LoginFailed(`expected the consent page, got ${consent.status} ${consent.url}`);
  }
  let landed = await resident.go('POST', consent.url, { csrf_token: csrf(consent), decision: 'allow' });
  if (landed.text.includes('data-page="bind"')) {
    landed = await resident.go('POST', `${guangdong}/bind`, {
      csrf_token: csrf(landed), permit_number: PERSONAS[persona],
    });
  }
  if (!landed.text.includes('data-page="profile"')) {
    throw new LoginFailed(`expected the profile page, got ${landed.status} ${landed.url}`);
  }
  const signedOut = await resident.go('GET', `${guangdong}/logout`);
  if (!signedOut.text.includes('data-page="signed-out"')) {
    // the bridge refusing the logout (an error page) is a failed run, not a login
    throw new LoginFailed(`expected the signed-out page, got ${signedOut.status} ${signedOut.url.pathname}`);
  }
}

async function main() {
  const [guangdong, concurrencyText, secondsText] = process.argv.slice(2);
  const concurrency = Number(concurrencyText);
  const deadline = performance.now() + 1000 * Number(secondsText);
  const latencies = [];
  const failures = [];
  const names = Object.keys(PERSONAS);
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, i) => {
    const resident = new Resident();
    while (performance.now() < deadline) {
      const begun = performance.now();
      try {
        await login(resident, guangdong, names[i % names.length]);
        latencies.push(performance.now() - begun);
      } catch (error) {
        failures.push(String(error.message ?? error).slice(0, 200));
        resident.cookies.clear();
      }
    }
    resident.agent.destroy();
  }));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({
    seconds: elapsed,
    logins: latencies.length,
    failures: failures.length,
    failure_samples: [...new Set(failures)].slice(0, 5),
    latencies_ms: latencies,
    self_reported_cpu_seconds: (cpu.user + cpu.system) / 1e6,
  })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
