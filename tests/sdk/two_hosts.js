#!/usr/bin/env node
// Two `kmscore serve` hosts on one PostgreSQL store, driven through Huawei Cloud's Node.js SDK
// core (the same client and request options as drive.js). Both hosts hold the same root key
// (docs/storage.md), so every key is one key whichever host serves it:
//   - a key created through A is usable through B, and data keys cross hosts both ways;
//   - a state change through one host is seen by the other on its very next request (no
//     waiting: each host's key cache checks the record's revision in the store);
//   - rotate-key through one host: the other's next create-datakey seals under the new
//     version (read from cipher_text's envelope, docs/envelope.md), old envelopes still open;
//   - the same alias created through both hosts at once: exactly one 200 and one 400
//     KMS.1104, round after round (the database's unique key decides); likewise two keys
//     renamed to one alias at once (update-key-alias), and one alias (api-metadata.md §5)
//     given to two keys at once (create-alias: one 201, one 400 KMS.1104).
//
// Usage: node two_hosts.js http://127.0.0.1:PORT_A http://127.0.0.1:PORT_B AK SK PROJECT_ID
// Prints one line per check ("ok - ..." / "FAIL - ..."); exit 0 only if every check passed,
// 1 if any failed, 2 on a usage error.
'use strict';

const crypto = require('crypto');
const path = require('path');

const CORE = '@huaweicloud/huaweicloud-sdk-core';
const { ClientBuilder } = require(`${CORE}/ClientBuilder`);
const { BasicCredentials } = require(`${CORE}/auth/BasicCredentials`);

// The SDK logs non-2xx answers to stdout through log4js: to stderr, off unless DEBUG is set.
{
  const log4js = require(require.resolve('log4js',
    { paths: [path.dirname(require.resolve(`${CORE}/package.json`))] }));
  log4js.configure({
    appenders: { err: { type: 'stderr' } },
    categories: { default: { appenders: ['err'], level: process.env.DEBUG ? 'debug' : 'off' } },
  });
}

const [endpointA, endpointB, AK, SK, PROJECT_ID] = process.argv.slice(2);
if (!endpointA || !endpointB || !AK || !SK || !PROJECT_ID) {
  process.stderr.write('usage: node two_hosts.js http://127.0.0.1:PORT_A http://127.0.0.1:PORT_B AK SK PROJECT_ID\n');
  process.exit(2);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UPPER_HEX_RE = /^(?:[0-9A-F]{2})+$/;
const RUN = `${Date.now().toString(36)}-${crypto.randomBytes(3).toString('hex')}`;
const RACE_ROUNDS = 12;

// ---------------------------------------------------------------- SDK plumbing (as drive.js)
function sdkClient(endpoint) {
  const credentials = new BasicCredentials().withAk(AK).withSk(SK).withProjectId(PROJECT_ID);
  return new ClientBuilder((hcClient) => hcClient)
    .withCredential(credentials)
    .withEndpoint(endpoint)
    .withOptions({ customUserAgent: 'kmscore-sdk-two-hosts' })
    .build();
}

// Request options as the SDK's generated KmsClient builds them; every status is an answer.
function kmsOptions(action, data) {
  return {
    method: 'POST',
    url: `/v1.0/{project_id}/kms/${action}`,
    contentType: 'application/json;charset=UTF-8',
    queryParams: {},
    pathParams: {},
    headers: { 'Content-Type': 'application/json;charset=UTF-8' },
    data,
    responseHeaders: [''],
    axiosRequestConfig: { timeout: 30000, validateStatus: () => true },
  };
}

async function call(client, action, data) {
  const res = await client.sendRequest(kmsOptions(action, data));
  const body = Object.assign({}, res);
  const status = body.httpStatusCode;
  delete body.httpStatusCode; // added by the SDK, not by the server
  return { status, body };
}

// ---------------------------------------------------------------- checks
let total = 0;
let failed = 0;
function report(ok, name, detail) {
  total += 1;
  if (!ok) failed += 1;
  const oneLine = String(detail || '').replace(/\s*\n\s*/g, ' | ');
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} - ${name}${!ok && oneLine ? `: ${oneLine}` : ''}\n`);
  return ok;
}
const show = (v) => { const s = JSON.stringify(v); return s && s.length > 300 ? `${s.slice(0, 300)}...` : s; };

async function check(name, fn) {
  try {
    const problems = (await fn()) || [];
    return report(problems.length === 0, name, problems.join('; '));
  } catch (e) {
    return report(false, name, `exception: ${e && e.name ? `${e.name}: ` : ''}${e && e.message || e}`);
  }
}
function expect200(r, p) {
  if (r.status !== 200) p.push(`HTTP ${r.status} ${show(r.body)}`);
  return r.status === 200;
}
function expectKmsError(r, status, code, p = []) {
  if (r.status !== status) p.push(`HTTP ${r.status} ${show(r.body)}, want ${status}`);
  const e = r.body && r.body.error;
  if (!e || typeof e !== 'object') p.push(`no {"error":{...}} in ${show(r.body)}`);
  else if (e.error_code !== code) p.push(`error_code ${show(e.error_code)}, want ${code}`);
  return p;
}
function is(p, what, got, want) {
  if (got !== want) p.push(`${what} = ${show(got)}, want ${show(want)}`);
}

// The envelope's framing (docs/envelope.md): u16 version at 0, then, before the 32-byte tag,
// the 36-byte key_id and the u32 key_version, all little-endian.
function envelope(cipherText) {
  if (typeof cipherText !== 'string' || !UPPER_HEX_RE.test(cipherText)) return null;
  const blob = Buffer.from(cipherText, 'hex');
  if (blob.length < 76) return null;
  const t = blob.length;
  return {
    version: blob.readUInt16LE(0),
    keyId: blob.subarray(t - 72, t - 36).toString('latin1'),
    keyVersion: blob.readUInt32LE(t - 36),
  };
}
function expectEnvelope(p, what, cipherText, keyId, keyVersion) {
  const env = envelope(cipherText);
  if (!env) { p.push(`${what}: cipher_text is not an envelope: ${show(cipherText)}`); return; }
  // The AES-256-GCM suite: 18 (CMAC counter KDF) where the host's AES runs on AES-NI, else 16.
  if (env.version !== 18 && env.version !== 16) {
    p.push(`${what} envelope version = ${show(env.version)}, want 18 or 16 (AES-256-GCM suite)`);
  }
  is(p, `${what} envelope key_id`, env.keyId, keyId);
  is(p, `${what} envelope key_version`, env.keyVersion, keyVersion);
}

// ---------------------------------------------------------------- the run
async function main() {
  process.stdout.write(`# two kmscore serve hosts on one store via ${CORE}: A ${endpointA}, B ${endpointB}, run ${RUN}\n`);
  const A = sdkClient(endpointA);
  const B = sdkClient(endpointB);
  const ctx = { purpose: 'two-hosts', run: RUN };
  const s = {};

  const createDatakey = (host) => call(host, 'create-datakey',
    { key_id: s.key, datakey_length: '512', encryption_context: ctx });
  const decryptDatakey = (host, cipherText) => call(host, 'decrypt-datakey',
    { key_id: s.key, cipher_text: cipherText, datakey_cipher_length: '64', encryption_context: ctx });

  // ---- a key made through A is B's key too
  const ok = await check('create-key AES_256 through A', async () => {
    const p = [];
    const r = await call(A, 'create-key', { key_alias: `two-hosts-${RUN}`, key_spec: 'AES_256' });
    if (!expect200(r, p)) return p;
    s.key = (r.body.key_info || {}).key_id;
    if (typeof s.key !== 'string' || !UUID_RE.test(s.key)) p.push(`key_id ${show(s.key)}`);
    return p;
  });
  if (!ok) {
    process.stdout.write(`# ${total} checks, ${failed} failed (nothing more to run without the key)\n`);
    return 1;
  }
  await check('describe-key through B: the key, enabled', async () => {
    const p = [];
    const r = await call(B, 'describe-key', { key_id: s.key });
    if (!expect200(r, p)) return p;
    const i = r.body.key_info || {};
    is(p, 'key_id', i.key_id, s.key);
    is(p, 'key_alias', i.key_alias, `two-hosts-${RUN}`);
    is(p, 'key_state', i.key_state, '2');
    return p;
  });
  await check('create-datakey through B, decrypt-datakey through A: the same DEK', async () => {
    const p = [];
    const c = await createDatakey(B);
    if (!expect200(c, p)) return p;
    is(p, 'key_id', c.body.key_id, s.key);
    expectEnvelope(p, 'B\'s', c.body.cipher_text, s.key, 0);
    s.dek0 = c.body.plain_text;
    s.env0 = c.body.cipher_text;
    const d = await decryptDatakey(A, s.env0);
    if (!expect200(d, p)) return p;
    is(p, 'data_key', String(d.body.data_key).toUpperCase(), s.dek0);
    return p;
  });
  await check('create-datakey through A, decrypt-datakey through B: the same DEK', async () => {
    const p = [];
    const c = await createDatakey(A);
    if (!expect200(c, p)) return p;
    expectEnvelope(p, 'A\'s', c.body.cipher_text, s.key, 0);
    const d = await decryptDatakey(B, c.body.cipher_text);
    if (!expect200(d, p)) return p;
    is(p, 'data_key', String(d.body.data_key).toUpperCase(), c.body.plain_text);
    return p;
  });

  // ---- state changes are seen by the other host at once (both hosts have the key cached)
  await check('disable-key through A, then at once create-datakey through B -> 400 KMS.0209', async () => {
    const p = [];
    if (!expect200(await call(A, 'disable-key', { key_id: s.key }), p)) return p;
    return expectKmsError(await createDatakey(B), 400, 'KMS.0209', p);
  });
  await check('the disabled key: decrypt-datakey through B -> 400 KMS.0209, describe-key through B state 3', async () => {
    const p = [];
    expectKmsError(await decryptDatakey(B, s.env0), 400, 'KMS.0209', p);
    const r = await call(B, 'describe-key', { key_id: s.key });
    if (expect200(r, p)) is(p, 'key_state', (r.body.key_info || {}).key_state, '3');
    return p;
  });
  await check('create-datakey through A on the disabled key -> 400 KMS.0209', async () =>
    expectKmsError(await createDatakey(A), 400, 'KMS.0209'));
  await check('enable-key through B, then at once create-datakey through A -> 200', async () => {
    const p = [];
    if (!expect200(await call(B, 'enable-key', { key_id: s.key }), p)) return p;
    const c = await createDatakey(A);
    if (expect200(c, p)) expectEnvelope(p, 'A\'s', c.body.cipher_text, s.key, 0);
    return p;
  });
  await check('create-datakey through B after enable-key -> 200', async () => {
    const p = [];
    expect200(await createDatakey(B), p);
    return p;
  });

  // ---- rotation through one host, the new version used by the other
  await check('rotate-key through A -> key_version 1; next create-datakey through B seals under version 1', async () => {
    const p = [];
    const r = await call(A, 'rotate-key', { key_id: s.key });
    if (!expect200(r, p)) return p;
    is(p, 'rotate-key key_version', r.body.key_version, 1);
    const c = await createDatakey(B);
    if (!expect200(c, p)) return p;
    expectEnvelope(p, 'B\'s', c.body.cipher_text, s.key, 1);
    s.dek1 = c.body.plain_text;
    s.env1 = c.body.cipher_text;
    return p;
  });
  await check('after rotate-key: the version-0 envelope still decrypts through B (and A)', async () => {
    const p = [];
    const b = await decryptDatakey(B, s.env0);
    if (expect200(b, p)) is(p, 'data_key through B', String(b.body.data_key).toUpperCase(), s.dek0);
    const a = await decryptDatakey(A, s.env0);
    if (expect200(a, p)) is(p, 'data_key through A', String(a.body.data_key).toUpperCase(), s.dek0);
    return p;
  });
  await check('the version-1 envelope made through B decrypts through A', async () => {
    const p = [];
    const d = await decryptDatakey(A, s.env1);
    if (expect200(d, p)) is(p, 'data_key', String(d.body.data_key).toUpperCase(), s.dek1);
    return p;
  });
  await check('rotate-key through B -> key_version 2; next create-datakey through A seals under version 2', async () => {
    const p = [];
    const r = await call(B, 'rotate-key', { key_id: s.key });
    if (!expect200(r, p)) return p;
    is(p, 'rotate-key key_version', r.body.key_version, 2);
    const c = await createDatakey(A);
    if (!expect200(c, p)) return p;
    expectEnvelope(p, 'A\'s', c.body.cipher_text, s.key, 2);
    const d = await decryptDatakey(B, c.body.cipher_text);
    if (expect200(d, p)) is(p, 'data_key through B', String(d.body.data_key).toUpperCase(), c.body.plain_text);
    return p;
  });
  await check('get-key-rotation-status through A: 2 rotations', async () => {
    const p = [];
    const r = await call(A, 'get-key-rotation-status', { key_id: s.key });
    if (expect200(r, p)) is(p, 'number_of_rotations', r.body.number_of_rotations, 2);
    return p;
  });

  // ---- one alias, both hosts at once
  const wins = { A: 0, B: 0 };
  for (let round = 1; round <= RACE_ROUNDS; round += 1) {
    const alias = `race-${RUN}-${round}`;
    await check(`alias race ${round}/${RACE_ROUNDS}: create-key at A and B at once -> one 200, one 400 KMS.1104`, async () => {
      const p = [];
      const body = { key_alias: alias, key_spec: 'AES_256' };
      const [a, b] = await Promise.all([call(A, 'create-key', body), call(B, 'create-key', body)]);
      const won = [a, b].filter((r) => r.status === 200);
      if (won.length !== 1) {
        p.push(`${won.length} answers 200 (A: HTTP ${a.status} ${show(a.body)}; B: HTTP ${b.status} ${show(b.body)})`);
        return p;
      }
      const [winner, loser, winnerName, loserHost] = a.status === 200 ? [a, b, 'A', B] : [b, a, 'B', A];
      wins[winnerName] += 1;
      expectKmsError(loser, 400, 'KMS.1104', p);
      // The winner's key, seen through the host that lost, under the alias.
      const id = (winner.body.key_info || {}).key_id;
      const r = await call(loserHost, 'describe-key', { key_id: id });
      if (expect200(r, p)) is(p, 'key_alias through the other host', (r.body.key_info || {}).key_alias, alias);
      return p;
    });
  }
  process.stdout.write(`# alias races won: A ${wins.A}, B ${wins.B}\n`);

  // ---- two keys renamed to one alias through both hosts at once (update-key-alias)
  const renameWins = { A: 0, B: 0 };
  for (let round = 1; round <= RACE_ROUNDS; round += 1) {
    const alias = `rename-${RUN}-${round}`;
    await check(`rename race ${round}/${RACE_ROUNDS}: update-key-alias at A and B at once -> one 200, one 400 KMS.1104`, async () => {
      const p = [];
      const made = await Promise.all(['a', 'b'].map((side) =>
        call(A, 'create-key', { key_alias: `${alias}-${side}`, key_spec: 'AES_256' })));
      if (!made.every((r) => expect200(r, p))) return p;
      const [idA, idB] = made.map((r) => r.body.key_info.key_id);
      const [a, b] = await Promise.all([
        call(A, 'update-key-alias', { key_id: idA, key_alias: alias }),
        call(B, 'update-key-alias', { key_id: idB, key_alias: alias })]);
      const won = [a, b].filter((r) => r.status === 200);
      if (won.length !== 1) {
        p.push(`${won.length} answers 200 (A: HTTP ${a.status} ${show(a.body)}; B: HTTP ${b.status} ${show(b.body)})`);
        return p;
      }
      const [loser, winnerName, winnerId, loserId] =
        a.status === 200 ? [b, 'A', idA, idB] : [a, 'B', idB, idA];
      renameWins[winnerName] += 1;
      expectKmsError(loser, 400, 'KMS.1104', p);
      // Through either host: the winner holds the alias, the loser kept its own.
      for (const host of [A, B]) {
        const w = await call(host, 'describe-key', { key_id: winnerId });
        if (expect200(w, p)) is(p, 'the winner\'s key_alias', (w.body.key_info || {}).key_alias, alias);
        const l = await call(host, 'describe-key', { key_id: loserId });
        if (expect200(l, p)) is(p, 'the loser\'s key_alias', (l.body.key_info || {}).key_alias.startsWith(`${alias}-`), true);
      }
      return p;
    });
  }
  process.stdout.write(`# rename races won: A ${renameWins.A}, B ${renameWins.B}\n`);

  // ---- one alias (api-metadata.md §5) given to two keys through both hosts at once
  const aliasWins = { A: 0, B: 0 };
  for (let round = 1; round <= RACE_ROUNDS; round += 1) {
    const alias = `alias/race-${RUN}-${round}`;
    await check(`create-alias race ${round}/${RACE_ROUNDS}: A and B at once -> one 201, one 400 KMS.1104`, async () => {
      const p = [];
      const made = await Promise.all(['a', 'b'].map((side) =>
        call(A, 'create-key', { key_alias: `alias-race-${RUN}-${round}-${side}`, key_spec: 'AES_256' })));
      if (!made.every((r) => expect200(r, p))) return p;
      const [idA, idB] = made.map((r) => r.body.key_info.key_id);
      const [a, b] = await Promise.all([
        call(A, 'aliases', { key_id: idA, alias }), // create-alias: POST aliases
        call(B, 'aliases', { key_id: idB, alias })]);
      const won = [a, b].filter((r) => r.status === 201);
      if (won.length !== 1) {
        p.push(`${won.length} answers 201 (A: HTTP ${a.status} ${show(a.body)}; B: HTTP ${b.status} ${show(b.body)})`);
        return p;
      }
      const [loser, winnerName, winnerId] = a.status === 201 ? [b, 'A', idA] : [a, 'B', idB];
      aliasWins[winnerName] += 1;
      expectKmsError(loser, 400, 'KMS.1104', p);
      // Through either host the alias names the winner's key.
      for (const host of [A, B]) {
        const d = await call(host, 'describe-key', { key_id: alias });
        if (expect200(d, p)) is(p, 'the alias names', (d.body.key_info || {}).key_id, winnerId);
      }
      return p;
    });
  }
  process.stdout.write(`# create-alias races won: A ${aliasWins.A}, B ${aliasWins.B}\n`);

  process.stdout.write(`# ${total} checks, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => {
  process.stdout.write(`FAIL - driver crashed: ${e && (e.stack || e.message) || e}\n`);
  process.exit(1);
});
