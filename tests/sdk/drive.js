#!/usr/bin/env node
// Drives `kmscore serve` with Huawei Cloud's own Node.js SDK core as the client: every request
// below is built, signed (SDK-HMAC-SHA256) and sent by @huaweicloud/huaweicloud-sdk-core
// (ClientBuilder -> HcClient.sendRequest), with the request options the SDK's generated
// KmsClient uses. Only documented response fields are asserted (spec api.md, api-rotation.md,
// api-asymmetric.md; docs/rotation.md for rotate-key and re-encrypt-datakey). Signatures,
// public keys and RSA-OAEP ciphertexts are checked with Node's own crypto.
//
// Usage: node drive.js http://127.0.0.1:PORT AK SK PROJECT_ID OTHER_PROJECT_ID
// Prints one line per check ("ok - ..." / "FAIL - ..."); exit 0 only if every check passed,
// 1 if any failed, 2 on a usage error.
'use strict';

const crypto = require('crypto');
const path = require('path');

const CORE = '@huaweicloud/huaweicloud-sdk-core';
const { ClientBuilder } = require(`${CORE}/ClientBuilder`);
const { BasicCredentials } = require(`${CORE}/auth/BasicCredentials`);
const { ClientRequestException } = require(`${CORE}/exception/ClientRequestException`);

// The SDK logs every non-2xx answer (with the request's headers) to stdout through log4js;
// keep stdout to one line per check: send the SDK's log to stderr, off unless DEBUG is set.
{
  const log4js = require(require.resolve('log4js',
    { paths: [path.dirname(require.resolve(`${CORE}/package.json`))] }));
  log4js.configure({
    appenders: { err: { type: 'stderr' } },
    categories: { default: { appenders: ['err'], level: process.env.DEBUG ? 'debug' : 'off' } },
  });
}

const [endpoint, AK, SK, PROJECT_ID, OTHER_PROJECT_ID] = process.argv.slice(2);
if (!endpoint || !AK || !SK || !PROJECT_ID || !OTHER_PROJECT_ID) {
  process.stderr.write('usage: node drive.js http://127.0.0.1:PORT AK SK PROJECT_ID OTHER_PROJECT_ID\n');
  process.exit(2);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UPPER_HEX_RE = /^(?:[0-9A-F]{2})+$/;
const HEX_RE = /^(?:[0-9a-fA-F]{2})+$/;
const DIGITS_RE = /^[0-9]+$/;
const HAVE_SM3 = crypto.getHashes().includes('sm3');
const RUN = `${Date.now().toString(36)}-${crypto.randomBytes(3).toString('hex')}`;

// ---------------------------------------------------------------- SDK plumbing
function sdkClient(projectId, sk = SK) {
  const credentials = new BasicCredentials().withAk(AK).withSk(sk).withProjectId(projectId);
  return new ClientBuilder((hcClient) => hcClient)
    .withCredential(credentials)
    .withEndpoint(endpoint)
    // A fixed User-Agent (not signed): without it the SDK builds one from the OS and an app id
    // it stores in ~/.huaweicloud/application_id.
    .withOptions({ customUserAgent: 'kmscore-sdk-drive' })
    .build();
}

// Request options exactly as the SDK's generated KmsClient builds them
// (huaweicloud-sdk-nodejs-v3 services/kms/v2/KmsClient.ts): POST, path template with
// {project_id} (filled from BasicCredentials), JSON content type, body object.
function kmsOptions(action, data, { headers = {}, sdkThrows = false } = {}) {
  const options = {
    method: 'POST',
    url: `/v1.0/{project_id}/kms/${action}`,
    contentType: 'application/json;charset=UTF-8',
    queryParams: {},
    pathParams: {},
    headers: Object.assign({ 'Content-Type': 'application/json;charset=UTF-8' }, headers),
    data,
    responseHeaders: [''],
    axiosRequestConfig: { timeout: 30000 },
  };
  // By default the SDK throws on a non-2xx answer and keeps only status, message and a code it
  // finds in `error.code` or a flat `error_code` (KMS's nested {"error":{"error_code"}} is lost).
  // To see every answer's status and body, let axios accept every status; the request is
  // otherwise identical.
  if (!sdkThrows) options.axiosRequestConfig.validateStatus = () => true;
  return options;
}

// Returns {status, body} for any HTTP answer; throws only on transport failures.
async function call(client, action, data, opts = {}) {
  const res = await client.sendRequest(kmsOptions(action, data, opts));
  const body = Object.assign({}, res);
  const status = body.httpStatusCode;
  delete body.httpStatusCode; // added by the SDK (HcClient.extractResponse), not by the server
  return { status, body };
}

// ---------------------------------------------------------------- checks
// A request on any route of api-metadata.md §0: its method, its path after kms/ (with
// {key_id}-style parameters the SDK fills in from pathParams), its query and its body.
async function rest(client, method, suffix, { pathParams = {}, queryParams = {}, data } = {}) {
  const options = {
    method,
    url: `/v1.0/{project_id}/kms/${suffix}`,
    queryParams,
    pathParams,
    headers: {},
    responseHeaders: [''],
    axiosRequestConfig: { timeout: 30000, validateStatus: () => true },
  };
  if (data !== undefined) {
    options.contentType = 'application/json;charset=UTF-8';
    options.headers['Content-Type'] = 'application/json;charset=UTF-8';
    options.data = data;
  }
  const res = await client.sendRequest(options);
  const body = Object.assign({}, res);
  const status = body.httpStatusCode;
  delete body.httpStatusCode;
  return { status, body };
}

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

// Runs fn (which returns a list of problems, empty when fine); exceptions are failures.
async function check(name, fn) {
  try {
    const problems = (await fn()) || [];
    return report(problems.length === 0, name, problems.join('; '));
  } catch (e) {
    return report(false, name, `exception: ${e && e.name ? `${e.name}: ` : ''}${e && e.message || e}`);
  }
}

function expect200(r, problems) {
  if (r.status !== 200) problems.push(`HTTP ${r.status} ${show(r.body)}`);
  return r.status === 200;
}
function expectKmsError(r, status, code) {
  const p = [];
  if (r.status !== status) p.push(`HTTP ${r.status}, want ${status}`);
  const e = r.body && r.body.error;
  if (!e || typeof e !== 'object') p.push(`no {"error":{...}} in ${show(r.body)}`);
  else {
    if (e.error_code !== code) p.push(`error_code ${show(e.error_code)}, want ${code}`);
    if (typeof e.error_msg !== 'string' || e.error_msg === '') p.push('error_msg missing');
  }
  return p;
}
function is(p, what, got, want) {
  if (got !== want) p.push(`${what} = ${show(got)}, want ${show(want)}`);
}
function matches(p, what, got, re) {
  if (typeof got !== 'string' || !re.test(got)) p.push(`${what} = ${show(got)} does not match ${re}`);
}
const digest = (alg, buf) => crypto.createHash(alg).update(buf).digest('hex');

// ---------------------------------------------------------------- the run
async function main() {
  process.stdout.write(`# kmscore serve via ${CORE} ${require(`${CORE}/package.json`).version}, ${endpoint}, run ${RUN}\n`);
  const kms = sdkClient(PROJECT_ID);
  const ctx = { purpose: 'sdk-drive', run: RUN };
  const state = {};

  async function createKey(name, spec) {
    const alias = `sdk-${name}-${RUN}`;
    let keyId;
    await check(`create-key ${spec} (${name})`, async () => {
      const p = [];
      const r = await call(kms, 'create-key', { key_alias: alias, key_spec: spec });
      if (!expect200(r, p)) return p;
      const info = r.body.key_info || {};
      matches(p, 'key_info.key_id', info.key_id, UUID_RE);
      matches(p, 'key_info.domain_id', info.domain_id, /^[0-9a-f]{32}$/);
      keyId = info.key_id;
      return p;
    });
    return { id: keyId, alias };
  }

  async function describe(keyId) {
    const r = await call(kms, 'describe-key', { key_id: keyId });
    return r;
  }
  async function expectState(name, keyId, want, extra) {
    await check(name, async () => {
      const p = [];
      const r = await describe(keyId);
      if (!expect200(r, p)) return p;
      const info = r.body.key_info || {};
      is(p, 'key_info.key_state', info.key_state, want);
      if (extra) extra(info, p);
      return p;
    });
  }

  // ---- create-key
  const aes = await createKey('aes', 'AES_256');
  const sm4 = await createKey('sm4', 'SM4');

  // ---- describe-key
  await check('describe-key AES_256', async () => {
    const p = [];
    const r = await describe(aes.id);
    if (!expect200(r, p)) return p;
    const i = r.body.key_info || {};
    is(p, 'key_id', i.key_id, aes.id);
    is(p, 'key_alias', i.key_alias, aes.alias);
    is(p, 'key_spec', i.key_spec, 'AES_256');
    is(p, 'key_usage', i.key_usage, 'ENCRYPT_DECRYPT');
    is(p, 'origin', i.origin, 'kms');
    is(p, 'key_state', i.key_state, '2');
    is(p, 'default_key_flag', i.default_key_flag, '0');
    is(p, 'scheduled_deletion_date', i.scheduled_deletion_date, '');
    matches(p, 'creation_date', i.creation_date, DIGITS_RE);
    matches(p, 'domain_id', i.domain_id, /^[0-9a-f]{32}$/);
    return p;
  });
  await check('describe-key SM4', async () => {
    const p = [];
    const r = await describe(sm4.id);
    if (!expect200(r, p)) return p;
    const i = r.body.key_info || {};
    is(p, 'key_id', i.key_id, sm4.id);
    is(p, 'key_spec', i.key_spec, 'SM4');
    is(p, 'key_state', i.key_state, '2');
    return p;
  });

  // ---- create-datakey / decrypt-datakey (AES_256)
  await check('create-datakey AES_256 512 bits', async () => {
    const p = [];
    const r = await call(kms, 'create-datakey',
      { key_id: aes.id, datakey_length: '512', encryption_context: ctx });
    if (!expect200(r, p)) return p;
    is(p, 'key_id', r.body.key_id, aes.id);
    matches(p, 'plain_text', r.body.plain_text, UPPER_HEX_RE);
    matches(p, 'cipher_text', r.body.cipher_text, UPPER_HEX_RE);
    if (typeof r.body.plain_text === 'string') is(p, 'plain_text length', r.body.plain_text.length, 128);
    state.dek = r.body.plain_text;
    state.env0 = r.body.cipher_text;
    return p;
  });
  await check('decrypt-datakey AES_256 (DEK and SHA-256 digest match)', async () => {
    const p = [];
    const r = await call(kms, 'decrypt-datakey', { key_id: aes.id, cipher_text: state.env0,
      datakey_cipher_length: '64', encryption_context: ctx });
    if (!expect200(r, p)) return p;
    matches(p, 'data_key', r.body.data_key, HEX_RE);
    is(p, 'data_key', String(r.body.data_key).toUpperCase(), state.dek);
    is(p, 'datakey_length', r.body.datakey_length, '64');
    is(p, 'datakey_dgst', String(r.body.datakey_dgst).toLowerCase(),
      digest('sha256', Buffer.from(String(state.dek), 'hex')));
    return p;
  });
  await check('decrypt-datakey with another encryption_context -> 400 KMS.2203', async () => {
    const r = await call(kms, 'decrypt-datakey', { key_id: aes.id, cipher_text: state.env0,
      datakey_cipher_length: '64', encryption_context: { purpose: 'other' } });
    return expectKmsError(r, 400, 'KMS.2203');
  });

  // ---- SM4 data keys
  await check(`create-datakey + decrypt-datakey SM4${HAVE_SM3 ? ' (SM3 digest)' : ''}`, async () => {
    const p = [];
    const c = await call(kms, 'create-datakey', { key_id: sm4.id, datakey_length: '256' });
    if (!expect200(c, p)) return p;
    is(p, 'key_id', c.body.key_id, sm4.id);
    matches(p, 'plain_text', c.body.plain_text, UPPER_HEX_RE);
    const d = await call(kms, 'decrypt-datakey',
      { key_id: sm4.id, cipher_text: c.body.cipher_text, datakey_cipher_length: '32' });
    if (!expect200(d, p)) return p;
    is(p, 'data_key', String(d.body.data_key).toUpperCase(), c.body.plain_text);
    is(p, 'datakey_length', d.body.datakey_length, '32');
    if (HAVE_SM3) {
      is(p, 'datakey_dgst (SM3)', String(d.body.datakey_dgst).toLowerCase(),
        digest('sm3', Buffer.from(c.body.plain_text, 'hex')));
    }
    return p;
  });

  // ---- create-datakey-without-plaintext
  await check('create-datakey-without-plaintext + decrypt-datakey', async () => {
    const p = [];
    const r = await call(kms, 'create-datakey-without-plaintext',
      { key_id: aes.id, datakey_length: '512', encryption_context: ctx });
    if (!expect200(r, p)) return p;
    is(p, 'key_id', r.body.key_id, aes.id);
    matches(p, 'cipher_text', r.body.cipher_text, UPPER_HEX_RE);
    if ('plain_text' in r.body) p.push('plain_text present');
    const d = await call(kms, 'decrypt-datakey', { key_id: aes.id, cipher_text: r.body.cipher_text,
      datakey_cipher_length: '64', encryption_context: ctx });
    if (!expect200(d, p)) return p;
    is(p, 'datakey_length', d.body.datakey_length, '64');
    is(p, 'datakey_dgst', String(d.body.datakey_dgst).toLowerCase(),
      digest('sha256', Buffer.from(String(d.body.data_key), 'hex')));
    return p;
  });

  // ---- encrypt-datakey: plain_text = hex(DEK) + hex(SHA-256(DEK))
  await check('encrypt-datakey AES_256 (hex(DEK)+hex(SHA-256(DEK))) + decrypt-datakey', async () => {
    const p = [];
    const dek = crypto.randomBytes(32);
    const plain = dek.toString('hex') + digest('sha256', dek);
    const r = await call(kms, 'encrypt-datakey', { key_id: aes.id, plain_text: plain,
      datakey_plain_length: '32', encryption_context: ctx });
    if (!expect200(r, p)) return p;
    is(p, 'key_id', r.body.key_id, aes.id);
    matches(p, 'cipher_text', r.body.cipher_text, UPPER_HEX_RE);
    is(p, 'datakey_length', r.body.datakey_length, '32');
    const d = await call(kms, 'decrypt-datakey', { key_id: aes.id, cipher_text: r.body.cipher_text,
      datakey_cipher_length: '32', encryption_context: ctx });
    if (!expect200(d, p)) return p;
    is(p, 'data_key', String(d.body.data_key).toLowerCase(), dek.toString('hex'));
    return p;
  });
  await check('encrypt-datakey with a wrong digest -> 400 KMS.2103', async () => {
    const dek = crypto.randomBytes(32);
    const plain = dek.toString('hex') + digest('sha256', Buffer.from('something else'));
    const r = await call(kms, 'encrypt-datakey',
      { key_id: aes.id, plain_text: plain, datakey_plain_length: '32' });
    return expectKmsError(r, 400, 'KMS.2103');
  });
  if (HAVE_SM3) {
    await check('encrypt-datakey SM4 (hex(DEK)+hex(SM3(DEK))) + decrypt-datakey', async () => {
      const p = [];
      const dek = crypto.randomBytes(16);
      const plain = (dek.toString('hex') + digest('sm3', dek)).toUpperCase();
      const r = await call(kms, 'encrypt-datakey',
        { key_id: sm4.id, plain_text: plain, datakey_plain_length: '16' });
      if (!expect200(r, p)) return p;
      is(p, 'datakey_length', r.body.datakey_length, '16');
      const d = await call(kms, 'decrypt-datakey',
        { key_id: sm4.id, cipher_text: r.body.cipher_text, datakey_cipher_length: '16' });
      if (!expect200(d, p)) return p;
      is(p, 'data_key', String(d.body.data_key).toLowerCase(), dek.toString('hex'));
      return p;
    });
  }

  // ---- list-keys with paging
  const listed = [];
  for (let i = 1; i <= 3; i += 1) listed.push(await createKey(`list${i}`, 'AES_256'));
  await check('list-keys limit 1: one key, truncated "true", next_marker, integer total', async () => {
    const p = [];
    const r = await call(kms, 'list-keys', { limit: '1' });
    if (!expect200(r, p)) return p;
    const b = r.body;
    if (!Array.isArray(b.keys) || b.keys.length !== 1) p.push(`keys = ${show(b.keys)}`);
    if (!Array.isArray(b.key_details) || b.key_details.length !== 1) p.push(`key_details = ${show(b.key_details)}`);
    else if (Array.isArray(b.keys)) is(p, 'key_details[0].key_id', b.key_details[0].key_id, b.keys[0]);
    is(p, 'truncated', b.truncated, 'true');
    matches(p, 'next_marker', b.next_marker, /^.+$/);
    if (!Number.isInteger(b.total)) p.push(`total = ${show(b.total)} is not a JSON integer`);
    else if (b.total < 4) p.push(`total = ${b.total}, want >= 4 (4 AES_256 keys created)`);
    state.listTotal = b.total;
    return p;
  });
  await check('list-keys paging with limit 1 visits every AES_256 key once', async () => {
    const p = [];
    const seen = [];
    let marker;
    for (let page = 0; page < 5000; page += 1) {
      const body = { limit: '1' };
      if (marker !== undefined) body.marker = marker;
      const r = await call(kms, 'list-keys', body);
      if (!expect200(r, p)) return p;
      const b = r.body;
      if (!Array.isArray(b.keys)) { p.push(`keys = ${show(b.keys)}`); return p; }
      if (!Number.isInteger(b.total)) p.push(`page ${page}: total = ${show(b.total)}`);
      seen.push(...b.keys);
      if (b.truncated === 'false') {
        is(p, 'next_marker on the last page', b.next_marker, '');
        break;
      }
      if (b.truncated !== 'true') { p.push(`truncated = ${show(b.truncated)}`); return p; }
      marker = b.next_marker;
    }
    if (new Set(seen).size !== seen.length) p.push('a key was listed twice');
    if (Number.isInteger(state.listTotal)) is(p, 'keys visited', seen.length, state.listTotal);
    for (const k of [aes, ...listed]) if (!seen.includes(k.id)) p.push(`key ${k.id} not listed`);
    if (seen.includes(sm4.id)) p.push('SM4 key listed without key_spec (default is AES_256 only)');
    return p;
  });
  await check('list-keys key_spec ALL includes the SM4 key', async () => {
    const p = [];
    const r = await call(kms, 'list-keys', { key_spec: 'ALL' });
    if (!expect200(r, p)) return p;
    if (!Array.isArray(r.body.keys) || !r.body.keys.includes(sm4.id)) p.push('SM4 key missing');
    if (!Number.isInteger(r.body.total)) p.push(`total = ${show(r.body.total)} is not a JSON integer`);
    return p;
  });

  // ---- lifecycle on a listing key
  const life = listed[0];
  await check('disable-key', async () => {
    const p = [];
    expect200(await call(kms, 'disable-key', { key_id: life.id }), p);
    return p;
  });
  await expectState('describe-key after disable-key: key_state "3"', life.id, '3');
  await check('create-datakey on a disabled key -> 400 KMS.0209', async () =>
    expectKmsError(await call(kms, 'create-datakey', { key_id: life.id, datakey_length: '512' }), 400, 'KMS.0209'));
  await check('enable-key', async () => {
    const p = [];
    expect200(await call(kms, 'enable-key', { key_id: life.id }), p);
    return p;
  });
  await expectState('describe-key after enable-key: key_state "2"', life.id, '2');
  await check('schedule-key-deletion pending_days 7', async () => {
    const p = [];
    expect200(await call(kms, 'schedule-key-deletion', { key_id: life.id, pending_days: '7' }), p);
    return p;
  });
  await expectState('describe-key after schedule-key-deletion: key_state "4", deletion date set', life.id, '4',
    (info, p) => matches(p, 'scheduled_deletion_date', info.scheduled_deletion_date, DIGITS_RE));
  await check('create-datakey on a key scheduled for deletion -> 400 KMS.0210', async () =>
    expectKmsError(await call(kms, 'create-datakey', { key_id: life.id, datakey_length: '512' }), 400, 'KMS.0210'));
  await check('cancel-key-deletion', async () => {
    const p = [];
    expect200(await call(kms, 'cancel-key-deletion', { key_id: life.id }), p);
    return p;
  });
  await expectState('describe-key after cancel-key-deletion: key_state "3"', life.id, '3',
    (info, p) => is(p, 'scheduled_deletion_date', info.scheduled_deletion_date, ''));
  await check('enable-key after cancel-key-deletion', async () => {
    const p = [];
    expect200(await call(kms, 'enable-key', { key_id: life.id }), p);
    return p;
  });

  // ---- key metadata (api-metadata.md §1-2)
  await check('update-key-alias renames; the old alias is free, the new one taken', async () => {
    const p = [];
    const before = (await describe(life.id)).body.key_info.key_alias;
    const renamed = `${before}-renamed`;
    const r = await call(kms, 'update-key-alias', { key_id: life.id, key_alias: renamed });
    if (!expect200(r, p)) return p;
    is(p, 'key_info.key_id', r.body.key_info && r.body.key_info.key_id, life.id);
    is(p, 'key_info.key_alias', r.body.key_info && r.body.key_info.key_alias, renamed);
    is(p, 'describe-key key_alias', (await describe(life.id)).body.key_info.key_alias, renamed);
    p.push(...expectKmsError(await call(kms, 'update-key-alias', { key_id: listed[1].id, key_alias: renamed }),
      400, 'KMS.1104'));
    expect200(await call(kms, 'update-key-alias', { key_id: life.id, key_alias: before }), p);
    return p;
  });
  await check('update-key-alias with a bad alias -> 400 KMS.1101', async () =>
    expectKmsError(await call(kms, 'update-key-alias', { key_id: life.id, key_alias: 'a b' }), 400, 'KMS.1101'));
  await check('update-key-description sets and clears', async () => {
    const p = [];
    const r = await call(kms, 'update-key-description', { key_id: life.id, key_description: 'described by the SDK' });
    if (!expect200(r, p)) return p;
    is(p, 'key_info.key_description', r.body.key_info && r.body.key_info.key_description, 'described by the SDK');
    is(p, 'describe-key key_description', (await describe(life.id)).body.key_info.key_description, 'described by the SDK');
    expect200(await call(kms, 'update-key-description', { key_id: life.id, key_description: '' }), p);
    is(p, 'describe-key key_description after clearing', (await describe(life.id)).body.key_info.key_description, '');
    return p;
  });

  // ---- tags, quotas, instances: POST, GET and DELETE routes with the key id in the path
  // (api-metadata.md §0, §3, §4). ASCII tag keys: the Node signer escapes an escaped path
  // again (docs/metadata.md); UTF-8 keys are tested with the project's own signer.
  const tagged = { key_id: life.id };
  await check('create-kms-tag (POST {key_id}/tags) -> 204, twice', async () => {
    const p = [];
    for (const tag of [{ key: 'env', value: 'prod' }, { key: 'team', value: 'kms' }]) {
      const r = await rest(kms, 'POST', '{key_id}/tags', { pathParams: tagged, data: { tag } });
      is(p, `create-kms-tag ${tag.key} status`, r.status, 204);
    }
    return p;
  });
  await check('batch-create-kms-tags (POST {key_id}/tags/action) create and delete -> 204', async () => {
    const p = [];
    let r = await rest(kms, 'POST', '{key_id}/tags/action', {
      pathParams: tagged, data: { action: 'create', tags: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] } });
    is(p, 'create status', r.status, 204);
    r = await rest(kms, 'POST', '{key_id}/tags/action', {
      pathParams: tagged, data: { action: 'delete', tags: [{ key: 'a' }] } });
    is(p, 'delete status', r.status, 204);
    return p;
  });
  await check('show-kms-tags (GET {key_id}/tags) -> the tags, sorted', async () => {
    const p = [];
    const r = await rest(kms, 'GET', '{key_id}/tags', { pathParams: tagged });
    if (!expect200(r, p)) return p;
    is(p, 'tags', show(r.body.tags), show([{ key: 'b', value: '2' }, { key: 'env', value: 'prod' },
      { key: 'team', value: 'kms' }]));
    is(p, 'existTagsNum', r.body.existTagsNum, 3);
    is(p, 'sys_tags', show(r.body.sys_tags), '[]');
    return p;
  });
  await check('delete-tag (DELETE {key_id}/tags/{key}) -> 204, then 404 KMS.0416', async () => {
    const p = [];
    const params = { key_id: life.id, key: 'b' };
    is(p, 'status', (await rest(kms, 'DELETE', '{key_id}/tags/{key}', { pathParams: params })).status, 204);
    p.push(...expectKmsError(await rest(kms, 'DELETE', '{key_id}/tags/{key}', { pathParams: params }),
      404, 'KMS.0416'));
    return p;
  });
  await check('list-kms-tags (GET tags) holds this key\'s tags', async () => {
    const p = [];
    const r = await rest(kms, 'GET', 'tags');
    if (!expect200(r, p)) return p;
    const env = (r.body.tags || []).find((t) => t.key === 'env');
    if (!env || !env.values.includes('prod')) p.push(`no env=prod in ${show(r.body.tags)}`);
    return p;
  });
  await check('list-kms-by-tags (POST resource_instances/action) filter and count', async () => {
    const p = [];
    const tags = [{ key: 'team', values: ['kms'] }, { key: 'env', values: ['prod', 'dev'] }];
    const r = await rest(kms, 'POST', 'resource_instances/action', { data: { action: 'filter', tags } });
    if (!expect200(r, p)) return p;
    is(p, 'total_count', r.body.total_count, 1);
    const [resource] = r.body.resources || [];
    is(p, 'resource_id', resource && resource.resource_id, life.id);
    is(p, 'resource_detail.key_id', resource && resource.resource_detail.key_id, life.id);
    const c = await rest(kms, 'POST', 'resource_instances/action', { data: { action: 'count', tags } });
    if (expect200(c, p)) is(p, 'count total_count', c.body.total_count, 1);
    p.push(...expectKmsError(await rest(kms, 'POST', 'resource_instances/action',
      { data: { action: 'count', offset: '0' } }), 400, 'KMS.0418'));
    return p;
  });
  await check('show-user-quotas and show-user-instances (GET, with a signed query string)', async () => {
    const p = [];
    const q = await rest(kms, 'GET', 'user-quotas', { queryParams: { ignored: 'a b+c/d', empty: '' } });
    if (!expect200(q, p)) return p;
    const [cmk, grants] = (q.body.quotas && q.body.quotas.resources) || [];
    is(p, 'CMK type', cmk && cmk.type, 'CMK');
    is(p, 'CMK quota', cmk && cmk.quota, 2147483647);
    is(p, 'grant_per_CMK quota', grants && grants.quota, 100);
    const n = await rest(kms, 'GET', 'user-instances', { queryParams: { limit: '10', marker: 'x' } });
    if (expect200(n, p)) is(p, 'instance_num = CMK used', n.body.instance_num, cmk && cmk.used);
    return p;
  });
  await check('a known path with another method -> 405 KMS.0215', async () =>
    expectKmsError(await rest(kms, 'DELETE', '{key_id}/tags', { pathParams: tagged }), 405, 'KMS.0215'));

  // ---- aliases (api-metadata.md §5) and keys named by alias or URN (§6)
  let urn = '';
  await check('create-alias (POST aliases) -> 201 AliasEntity', async () => {
    const p = [];
    for (const alias of ['alias/sdk-1', 'alias/sdk-2', 'alias/sdk-3']) {
      const r = await rest(kms, 'POST', 'aliases', { data: { key_id: life.id, alias } });
      is(p, `${alias} status`, r.status, 201);
      is(p, `${alias} key_id`, r.body.key_id, life.id);
      if (alias === 'alias/sdk-1') urn = r.body.alias_urn;
    }
    if (!/^kms:local:[0-9a-f]{32}:alias:sdk-1$/.test(urn)) p.push(`alias_urn ${show(urn)}`);
    p.push(...expectKmsError(await rest(kms, 'POST', 'aliases',
      { data: { key_id: aes.id, alias: 'alias/sdk-1' } }), 400, 'KMS.1104'));
    return p;
  });
  await check('list-aliases (GET aliases, signed query key_id, limit, marker) pages', async () => {
    const p = [];
    const first = await rest(kms, 'GET', 'aliases', { queryParams: { key_id: life.id, limit: '2' } });
    if (!expect200(first, p)) return p;
    is(p, 'first page', (first.body.aliases || []).map((a) => a.alias).join(), 'alias/sdk-1,alias/sdk-2');
    is(p, 'next_marker', first.body.page_info && first.body.page_info.next_marker, 'alias/sdk-2');
    is(p, 'current_count', first.body.page_info && first.body.page_info.current_count, 2);
    const rest2 = await rest(kms, 'GET', 'aliases',
      { queryParams: { key_id: life.id, limit: '2', marker: 'alias/sdk-2' } });
    if (expect200(rest2, p)) {
      is(p, 'second page', (rest2.body.aliases || []).map((a) => a.alias).join(), 'alias/sdk-3');
      is(p, 'last next_marker', rest2.body.page_info && rest2.body.page_info.next_marker, '');
    }
    p.push(...expectKmsError(await rest(kms, 'GET', 'aliases', { queryParams: { limit: '101' } }),
      400, 'KMS.1601'));
    return p;
  });
  await check('associate-alias (POST alias/associate) moves an alias to another key', async () => {
    const p = [];
    const r = await rest(kms, 'POST', 'alias/associate',
      { data: { alias: 'alias/sdk-3', target_key_id: aes.id } });
    if (!expect200(r, p)) return p;
    is(p, 'key_id', r.body.key_id, aes.id);
    return p;
  });
  await check('a key named by alias and by URN (describe-key, create-datakey)', async () => {
    const p = [];
    const d = await call(kms, 'describe-key', { key_id: 'alias/sdk-1' });
    if (expect200(d, p)) is(p, 'describe-key key_id', d.body.key_info.key_id, life.id);
    const u = await call(kms, 'create-datakey', { key_id: urn, datakey_length: '256' });
    if (expect200(u, p)) is(p, 'create-datakey key_id', u.body.key_id, life.id);
    p.push(...expectKmsError(await call(kms, 'describe-key', { key_id: 'alias/none' }), 404, 'KMS.0207'));
    return p;
  });
  await check('delete-alias (DELETE aliases with a JSON body) -> 204, all or nothing', async () => {
    const p = [];
    p.push(...expectKmsError(await rest(kms, 'DELETE', 'aliases',
      { data: { key_id: life.id, aliases: ['alias/sdk-1', 'alias/sdk-3'] } }), 400, 'KMS.0308'));
    const r = await rest(kms, 'DELETE', 'aliases',
      { data: { key_id: life.id, aliases: ['alias/sdk-1', 'alias/sdk-2'] } });
    is(p, 'status', r.status, 204);
    const left = await rest(kms, 'GET', 'aliases', { queryParams: { key_id: life.id } });
    if (expect200(left, p)) is(p, 'left', (left.body.aliases || []).length, 0);
    return p;
  });

  // ---- rotation
  await check('get-key-rotation-status before enabling', async () => {
    const p = [];
    const r = await call(kms, 'get-key-rotation-status', { key_id: aes.id });
    if (!expect200(r, p)) return p;
    is(p, 'key_rotation_enabled', r.body.key_rotation_enabled, false);
    if (!Number.isInteger(r.body.rotation_interval)) p.push(`rotation_interval = ${show(r.body.rotation_interval)} is not a JSON integer`);
    is(p, 'number_of_rotations', r.body.number_of_rotations, 0);
    is(p, 'last_rotation_time', r.body.last_rotation_time, '');
    return p;
  });
  await check('enable-key-rotation', async () => {
    const p = [];
    const r = await call(kms, 'enable-key-rotation', { key_id: aes.id });
    if (expect200(r, p) && Object.keys(r.body).length !== 0) p.push(`body ${show(r.body)}, want {}`);
    return p;
  });
  await check('enable-key-rotation again -> 400 KMS.2901', async () =>
    expectKmsError(await call(kms, 'enable-key-rotation', { key_id: aes.id }), 400, 'KMS.2901'));
  await check('update-key-rotation-interval 30 (JSON integer)', async () => {
    const p = [];
    const r = await call(kms, 'update-key-rotation-interval', { key_id: aes.id, rotation_interval: 30 });
    if (expect200(r, p) && Object.keys(r.body).length !== 0) p.push(`body ${show(r.body)}, want {}`);
    return p;
  });
  await check('update-key-rotation-interval "30" (a string) -> 400 KMS.3001', async () =>
    expectKmsError(await call(kms, 'update-key-rotation-interval',
      { key_id: aes.id, rotation_interval: '30' }), 400, 'KMS.3001'));
  await check('get-key-rotation-status after enabling: true, 30', async () => {
    const p = [];
    const r = await call(kms, 'get-key-rotation-status', { key_id: aes.id });
    if (!expect200(r, p)) return p;
    is(p, 'key_rotation_enabled', r.body.key_rotation_enabled, true);
    is(p, 'rotation_interval', r.body.rotation_interval, 30);
    is(p, 'number_of_rotations', r.body.number_of_rotations, 0);
    return p;
  });
  await check('rotate-key AES_256 (extension): key_version 1', async () => {
    const p = [];
    const r = await call(kms, 'rotate-key', { key_id: aes.id });
    if (!expect200(r, p)) return p;
    is(p, 'key_id', r.body.key_id, aes.id);
    is(p, 'key_version', r.body.key_version, 1);
    return p;
  });
  await check('get-key-rotation-status after rotate-key: 1 rotation, time set', async () => {
    const p = [];
    const r = await call(kms, 'get-key-rotation-status', { key_id: aes.id });
    if (!expect200(r, p)) return p;
    is(p, 'number_of_rotations', r.body.number_of_rotations, 1);
    matches(p, 'last_rotation_time', r.body.last_rotation_time, DIGITS_RE);
    return p;
  });
  await check('decrypt-datakey of an envelope made before the rotation', async () => {
    const p = [];
    const r = await call(kms, 'decrypt-datakey', { key_id: aes.id, cipher_text: state.env0,
      datakey_cipher_length: '64', encryption_context: ctx });
    if (!expect200(r, p)) return p;
    is(p, 'data_key', String(r.body.data_key).toUpperCase(), state.dek);
    return p;
  });
  await check('rotate-key SM4 (extension): key_version 1', async () => {
    const p = [];
    const r = await call(kms, 'rotate-key', { key_id: sm4.id });
    if (!expect200(r, p)) return p;
    is(p, 'key_id', r.body.key_id, sm4.id);
    is(p, 'key_version', r.body.key_version, 1);
    return p;
  });

  // ---- re-encrypt-datakey (extension)
  await check('re-encrypt-datakey to the newest version of the same key', async () => {
    const p = [];
    const r = await call(kms, 're-encrypt-datakey', { key_id: aes.id, cipher_text: state.env0,
      datakey_cipher_length: '64', encryption_context: ctx });
    if (!expect200(r, p)) return p;
    is(p, 'key_id', r.body.key_id, aes.id);
    matches(p, 'cipher_text', r.body.cipher_text, UPPER_HEX_RE);
    is(p, 'datakey_length', r.body.datakey_length, '64');
    if ('plain_text' in r.body || 'data_key' in r.body) p.push('the DEK appears in the answer');
    if (r.body.cipher_text === state.env0) p.push('cipher_text unchanged');
    const d = await call(kms, 'decrypt-datakey', { key_id: aes.id, cipher_text: r.body.cipher_text,
      datakey_cipher_length: '64', encryption_context: ctx });
    if (!expect200(d, p)) return p;
    is(p, 'data_key', String(d.body.data_key).toUpperCase(), state.dek);
    return p;
  });
  await check('re-encrypt-datakey to another key and context', async () => {
    const p = [];
    const dest = listed[1];
    const dctx = { purpose: 'sdk-drive-dest' };
    const r = await call(kms, 're-encrypt-datakey', { key_id: aes.id, cipher_text: state.env0,
      datakey_cipher_length: '64', encryption_context: ctx,
      destination_key_id: dest.id, destination_encryption_context: dctx });
    if (!expect200(r, p)) return p;
    is(p, 'key_id', r.body.key_id, dest.id);
    is(p, 'datakey_length', r.body.datakey_length, '64');
    const d = await call(kms, 'decrypt-datakey', { key_id: dest.id, cipher_text: r.body.cipher_text,
      datakey_cipher_length: '64', encryption_context: dctx });
    if (!expect200(d, p)) return p;
    is(p, 'data_key', String(d.body.data_key).toUpperCase(), state.dek);
    return p;
  });

  await check('disable-key-rotation', async () => {
    const p = [];
    const r = await call(kms, 'disable-key-rotation', { key_id: aes.id });
    if (expect200(r, p) && Object.keys(r.body).length !== 0) p.push(`body ${show(r.body)}, want {}`);
    return p;
  });
  await check('get-key-rotation-status after disabling: false, interval and count kept', async () => {
    const p = [];
    const r = await call(kms, 'get-key-rotation-status', { key_id: aes.id });
    if (!expect200(r, p)) return p;
    is(p, 'key_rotation_enabled', r.body.key_rotation_enabled, false);
    is(p, 'rotation_interval', r.body.rotation_interval, 30);
    is(p, 'number_of_rotations', r.body.number_of_rotations, 1);
    return p;
  });
  await check('disable-key-rotation again -> 400 KMS.0313', async () =>
    expectKmsError(await call(kms, 'disable-key-rotation', { key_id: aes.id }), 400, 'KMS.0313'));

  // ---- HMAC keys (api-import-mac.md §6-7): generate-mac and verify-mac
  const hmac = await createKey('hmac', 'HMAC_256');
  await check('generate-mac HMAC_SHA_256: 64 lower-case hex; verify-mac true, then false (boolean)', async () => {
    const p = [];
    const message = Buffer.from(`sdk mac ${RUN}`).toString('base64');
    const r = await call(kms, 'generate-mac', { key_id: hmac.id, mac_algorithm: 'HMAC_SHA_256', message });
    if (!expect200(r, p)) return p;
    is(p, 'key_id', r.body.key_id, hmac.id);
    is(p, 'mac_algorithm', r.body.mac_algorithm, 'HMAC_SHA_256');
    matches(p, 'mac', r.body.mac, /^[0-9a-f]{64}$/);
    const again = await call(kms, 'generate-mac', { key_id: hmac.id, mac_algorithm: 'HMAC_SHA_256', message });
    if (expect200(again, p)) is(p, 'the same mac again', again.body.mac, r.body.mac);
    const v = await call(kms, 'verify-mac', { key_id: hmac.id, mac_algorithm: 'HMAC_SHA_256', message,
      mac: r.body.mac.toUpperCase() });
    if (expect200(v, p)) is(p, 'mac_valid', v.body.mac_valid, true);
    const other = (r.body.mac[0] === '0' ? '1' : '0') + r.body.mac.slice(1);
    const w = await call(kms, 'verify-mac', { key_id: hmac.id, mac_algorithm: 'HMAC_SHA_256', message, mac: other });
    if (expect200(w, p)) is(p, 'mac_valid (changed)', w.body.mac_valid, false);
    return p;
  });
  await check('generate-mac with the wrong mac_algorithm -> 400 KMS.0308; an AES key -> 400 KMS.0334', async () => {
    const p = expectKmsError(await call(kms, 'generate-mac', { key_id: hmac.id, mac_algorithm: 'HMAC_SHA_512',
      message: 'AA==' }), 400, 'KMS.0308');
    return p.concat(expectKmsError(await call(kms, 'generate-mac', { key_id: aes.id, mac_algorithm: 'HMAC_SHA_256',
      message: 'AA==' }), 400, 'KMS.0334'));
  });
  await check('create-datakey with an HMAC key -> 400 KMS.0341', async () =>
    expectKmsError(await call(kms, 'create-datakey', { key_id: hmac.id, datakey_length: '256' }), 400, 'KMS.0341'));

  // ---- data key pairs (api-import-mac.md §8): Node's crypto judges the keys
  await check('create-ec-datakey-pair ECC_NIST_P256: Node reads one pair; decrypt-data opens the sealed private key', async () => {
    const p = [];
    const encryption_context = { purpose: 'pair' };
    const r = await call(kms, 'create-ec-datakey-pair', { key_id: aes.id, key_spec: 'ECC_NIST_P256', encryption_context });
    if (!expect200(r, p)) return p;
    is(p, 'key_spec', r.body.key_spec, 'ECC_NIST_P256');
    const pub = crypto.createPublicKey({ key: Buffer.from(r.body.public_key, 'base64'), format: 'der', type: 'spki' });
    const priv = crypto.createPrivateKey({ key: Buffer.from(r.body.private_key_plain_text, 'base64'), format: 'der', type: 'pkcs8' });
    is(p, 'curve', pub.asymmetricKeyDetails && pub.asymmetricKeyDetails.namedCurve, 'prime256v1');
    const derived = crypto.createPublicKey(priv).export({ format: 'der', type: 'spki' }).toString('base64');
    is(p, 'public key of the private key', derived, r.body.public_key);
    const opened = await call(kms, 'decrypt-data', { cipher_text: r.body.private_key_cipher_text, encryption_context });
    if (expect200(opened, p)) is(p, 'plain_text_base64', opened.body.plain_text_base64, r.body.private_key_plain_text);
    const bare = await call(kms, 'create-rsa-datakey-pair', { key_id: aes.id, key_spec: 'RSA_2048', with_plain_text: false });
    if (expect200(bare, p)) is(p, 'private_key_plain_text without plain text', bare.body.private_key_plain_text, undefined);
    return p;
  });

  // ---- imported key material (api-import-mac.md §1-§4): Node's crypto is the client
  async function createExternal(name, spec) {
    const r = await call(kms, 'create-key', { key_alias: `sdk-${name}-${RUN}`, key_spec: spec, origin: 'external' });
    if (r.status !== 200) throw new Error(`create-key external HTTP ${r.status} ${show(r.body)}`);
    return r.body.key_info.key_id;
  }
  async function importParameters(keyId, algorithm, p) {
    const r = await call(kms, 'get-parameters-for-import', { key_id: keyId, wrapping_algorithm: algorithm });
    if (!expect200(r, p)) return null;
    is(p, 'key_id', r.body.key_id, keyId);
    is(p, 'expiration_time is an integer', Number.isInteger(r.body.expiration_time), true);
    matches(p, 'import_token', r.body.import_token, /^[0-9a-zA-Z+/=]{200,6144}$/);
    return { token: r.body.import_token,
      key: crypto.createPublicKey({ key: Buffer.from(r.body.public_key, 'base64'), format: 'der', type: 'spki' }) };
  }
  const oaep = (key, data) => crypto.publicEncrypt(
    { key, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, data).toString('base64');
  const byok = await createExternal('byok', 'AES_256');
  const material = crypto.randomBytes(32);
  await check('import-key-material AES_256 (RSAES_OAEP_SHA_256 by Node): {}; state 2 with its expiry; encrypt-data and decrypt-data', async () => {
    const p = [];
    const params = await importParameters(byok, 'RSAES_OAEP_SHA_256', p);
    if (!params) return p;
    is(p, 'wrapping key', params.key.asymmetricKeyDetails && params.key.asymmetricKeyDetails.modulusLength, 2048);
    const expiry = Math.floor(Date.now() / 1000) + 3600;
    const r = await call(kms, 'import-key-material', { key_id: byok, import_token: params.token,
      encrypted_key_material: oaep(params.key, material), expiration_time: String(expiry) });
    if (!expect200(r, p)) return p;
    is(p, 'body', show(r.body), '{}');
    const d = await describe(byok);
    if (expect200(d, p)) {
      is(p, 'key_state', d.body.key_info.key_state, '2');
      is(p, 'expiration_time', d.body.key_info.expiration_time, String(expiry * 1000));
    }
    const sealed = await call(kms, 'encrypt-data', { key_id: byok, plain_text: `byok ${RUN}` });
    if (!expect200(sealed, p)) return p;
    const opened = await call(kms, 'decrypt-data', { cipher_text: sealed.body.cipher_text });
    if (expect200(opened, p)) is(p, 'plain_text', opened.body.plain_text, `byok ${RUN}`);
    return p;
  });
  await check('delete-imported-key-material: state 5; other material -> 400 KMS.2606; the same -> {}', async () => {
    const p = [];
    const del = await call(kms, 'delete-imported-key-material', { key_id: byok });
    if (!expect200(del, p)) return p;
    const d = await describe(byok);
    if (expect200(d, p)) is(p, 'key_state', d.body.key_info.key_state, '5');
    const params = await importParameters(byok, 'RSAES_OAEP_SHA_256', p);
    if (!params) return p;
    p.push(...expectKmsError(await call(kms, 'import-key-material', { key_id: byok, import_token: params.token,
      encrypted_key_material: oaep(params.key, crypto.randomBytes(32)) }), 400, 'KMS.2606'));
    const again = await call(kms, 'import-key-material', { key_id: byok, import_token: params.token,
      encrypted_key_material: oaep(params.key, material) });
    expect200(again, p);
    return p;
  });
  await check('import-key-material EC_P256 (key and AES-256-KWP wrap by Node): the key signs what Node verifies', async () => {
    const p = [];
    const ecImported = await createExternal('byok-ec', 'EC_P256');
    const params = await importParameters(ecImported, 'RSAES_OAEP_SHA_256', p);
    if (!params) return p;
    const { publicKey: nodePublic, privateKey: nodePrivate } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const kek = crypto.randomBytes(32);
    const wrap = crypto.createCipheriv('id-aes256-wrap-pad', kek, Buffer.from('A65959A6', 'hex'));
    const der = nodePrivate.export({ format: 'der', type: 'pkcs8' });
    const wrapped = Buffer.concat([wrap.update(der), wrap.final()]);
    const r = await call(kms, 'import-key-material', { key_id: ecImported, import_token: params.token,
      encrypted_key_material: oaep(params.key, kek), encrypted_privatekey: wrapped.toString('base64') });
    if (!expect200(r, p)) return p;
    const message = Buffer.from(`imported ${RUN}`);
    const s = await call(kms, 'sign', { key_id: ecImported, message: message.toString('base64'),
      signing_algorithm: 'ECDSA_SHA_256', message_type: 'RAW' });
    if (!expect200(s, p)) return p;
    is(p, 'Node verifies', crypto.verify('sha256', message, nodePublic, Buffer.from(s.body.signature, 'base64')), true);
    p.push(...expectKmsError(await call(kms, 'delete-imported-key-material', { key_id: ecImported }), 400, 'KMS.2702'));
    return p;
  });
  await check('import-key-material with a token for another key -> 400 KMS.2603; get-parameters-for-import for a kms key -> 400 KMS.0309', async () => {
    const p = [];
    const other = await createExternal('byok-other', 'AES_256');
    const params = await importParameters(other, 'RSAES_OAEP_SHA_1', p);
    if (!params) return p;
    const fresh = await createExternal('byok-fresh', 'AES_256');
    p.push(...expectKmsError(await call(kms, 'import-key-material', { key_id: fresh, import_token: params.token,
      encrypted_key_material: oaep(params.key, material) }), 400, 'KMS.2603'));
    p.push(...expectKmsError(await call(kms, 'get-parameters-for-import', { key_id: aes.id,
      wrapping_algorithm: 'RSAES_OAEP_SHA_256' }), 400, 'KMS.0309'));
    return p;
  });

  // ---- keys used directly (api-asymmetric.md): the client checks with Node's own crypto
  async function createKeyWith(name, spec, usage) {
    const alias = `sdk-${name}-${RUN}`;
    let keyId;
    await check(`create-key ${spec} ${usage} (${name})`, async () => {
      const p = [];
      const r = await call(kms, 'create-key', { key_alias: alias, key_spec: spec, key_usage: usage });
      if (!expect200(r, p)) return p;
      keyId = (r.body.key_info || {}).key_id;
      matches(p, 'key_info.key_id', keyId, UUID_RE);
      return p;
    });
    return keyId;
  }
  async function publicKey(keyId) {
    const r = await call(kms, 'get-publickey', { key_id: keyId });
    if (r.status !== 200) throw new Error(`get-publickey HTTP ${r.status} ${show(r.body)}`);
    return r.body.public_key;
  }
  const B64_RE = /^[A-Za-z0-9+/]+={0,2}$/;
  const ec = await createKeyWith('ec', 'EC_P256', 'SIGN_VERIFY');
  await check('get-publickey EC_P256: PEM of a P-256 SubjectPublicKeyInfo, CRLF lines', async () => {
    const p = [];
    const r = await call(kms, 'get-publickey', { key_id: ec });
    if (!expect200(r, p)) return p;
    is(p, 'key_id', r.body.key_id, ec);
    const pem = r.body.public_key;
    if (!/^-----BEGIN PUBLIC KEY-----\r\n([A-Za-z0-9+/=]{1,64}\r\n)+-----END PUBLIC KEY-----\r\n$/.test(pem)) {
      p.push(`public_key is not CRLF PEM: ${show(pem)}`);
    }
    const key = crypto.createPublicKey(pem);
    is(p, 'asymmetricKeyType', key.asymmetricKeyType, 'ec');
    is(p, 'namedCurve', key.asymmetricKeyDetails.namedCurve, 'prime256v1');
    return p;
  });
  await check('sign ECDSA_SHA_256 RAW; Node verifies the DER signature; verify says "true"/"false"', async () => {
    const p = [];
    const message = Buffer.from(`message of ${RUN}`);
    const r = await call(kms, 'sign', { key_id: ec, message: message.toString('base64'),
      signing_algorithm: 'ECDSA_SHA_256', message_type: 'RAW' });
    if (!expect200(r, p)) return p;
    matches(p, 'signature', r.body.signature, B64_RE);
    const signature = Buffer.from(r.body.signature, 'base64');
    const key = crypto.createPublicKey(await publicKey(ec));
    if (!crypto.verify('sha256', message, { key, dsaEncoding: 'der' }, signature)) p.push('Node: signature invalid');
    if (crypto.verify('sha256', Buffer.concat([message, Buffer.from('x')]), { key, dsaEncoding: 'der' }, signature)) {
      p.push('Node: signature valid for another message');
    }
    const v = await call(kms, 'verify', { key_id: ec, message: message.toString('base64'),
      signature: r.body.signature, signing_algorithm: 'ECDSA_SHA_256', message_type: 'RAW' });
    if (expect200(v, p)) is(p, 'signature_valid', v.body.signature_valid, 'true');
    const digestOfOther = crypto.createHash('sha256').update('another message').digest('base64');
    const f = await call(kms, 'verify', { key_id: ec, message: digestOfOther,
      signature: r.body.signature, signing_algorithm: 'ECDSA_SHA_256' });
    if (expect200(f, p)) is(p, 'signature_valid (other digest)', f.body.signature_valid, 'false');
    return p;
  });
  await check('sign with ECDSA_SHA_384 on EC_P256 -> 400 KMS.0332', async () =>
    expectKmsError(await call(kms, 'sign', { key_id: ec,
      message: crypto.createHash('sha384').update('x').digest('base64'),
      signing_algorithm: 'ECDSA_SHA_384' }), 400, 'KMS.0332'));
  const rsaSign = await createKeyWith('rsa-sign', 'RSA_2048', 'SIGN_VERIFY');
  await check('sign RSASSA_PSS_SHA_256 DIGEST; Node verifies (MGF1-SHA-256, salt 32)', async () => {
    const p = [];
    const message = Buffer.from(`pss of ${RUN}`);
    const digestB64 = crypto.createHash('sha256').update(message).digest('base64');
    const r = await call(kms, 'sign', { key_id: rsaSign, message: digestB64,
      signing_algorithm: 'RSASSA_PSS_SHA_256', message_type: 'DIGEST' });
    if (!expect200(r, p)) return p;
    const signature = Buffer.from(r.body.signature, 'base64');
    is(p, 'signature bytes', signature.length, 256);
    const key = crypto.createPublicKey(await publicKey(rsaSign));
    const ok = crypto.verify('sha256', message, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32 }, signature);
    if (!ok) p.push('Node: PSS signature invalid');
    return p;
  });
  await check('sign DIGEST of the wrong length -> 400 KMS.0329', async () =>
    expectKmsError(await call(kms, 'sign', { key_id: rsaSign, message: Buffer.alloc(31, 1).toString('base64'),
      signing_algorithm: 'RSASSA_PKCS1_V1_5_SHA_256' }), 400, 'KMS.0329'));
  await check('sign with a symmetric key -> 400 KMS.1115', async () =>
    expectKmsError(await call(kms, 'sign', { key_id: aes.id, message: Buffer.alloc(32, 1).toString('base64'),
      signing_algorithm: 'RSASSA_PSS_SHA_256' }), 400, 'KMS.1115'));
  const rsaEnc = await createKeyWith('rsa-enc', 'RSA_2048', 'ENCRYPT_DECRYPT');
  await check('RSAES_OAEP_SHA_256: Node encrypts to get-publickey, decrypt-data answers the text', async () => {
    const p = [];
    const text = `secret of ${RUN}`;
    const key = crypto.createPublicKey(await publicKey(rsaEnc));
    const sealed = crypto.publicEncrypt({ key, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: 'sha256' }, Buffer.from(text));
    const r = await call(kms, 'decrypt-data', { key_id: rsaEnc, cipher_text: sealed.toString('base64'),
      encryption_algorithm: 'RSAES_OAEP_SHA_256' });
    if (!expect200(r, p)) return p;
    is(p, 'plain_text', r.body.plain_text, text);
    is(p, 'plain_text_base64', r.body.plain_text_base64, Buffer.from(text).toString('base64'));
    const e = await call(kms, 'encrypt-data', { key_id: rsaEnc, plain_text: text,
      encryption_algorithm: 'RSAES_OAEP_SHA_256' });
    if (expect200(e, p)) is(p, 'cipher_text bytes', Buffer.from(e.body.cipher_text, 'base64').length, 256);
    return p;
  });
  await check('encrypt-data RSA with the default algorithm -> 400 KMS.2106', async () =>
    expectKmsError(await call(kms, 'encrypt-data', { key_id: rsaEnc, plain_text: 'x' }), 400, 'KMS.2106'));
  await check('encrypt-data + decrypt-data AES_256 with a context (version 20 blob)', async () => {
    const p = [];
    const text = `small secret "quoted" \u00e9 ${RUN}`;
    const e = await call(kms, 'encrypt-data', { key_id: aes.id, plain_text: text, encryption_context: ctx });
    if (!expect200(e, p)) return p;
    const blob = Buffer.from(e.body.cipher_text, 'base64');
    is(p, 'blob version', blob.readUInt16LE(0), 20);
    const d = await call(kms, 'decrypt-data', { cipher_text: e.body.cipher_text, encryption_context: ctx });
    if (!expect200(d, p)) return p;
    is(p, 'key_id', d.body.key_id, aes.id);
    is(p, 'plain_text', d.body.plain_text, text);
    const wrong = await call(kms, 'decrypt-data', { cipher_text: e.body.cipher_text });
    p.push(...expectKmsError(wrong, 400, 'KMS.2201'));
    return p;
  });
  await check('gen-random 512 bits: 128 upper-case hex characters', async () => {
    const p = [];
    const r = await call(kms, 'gen-random', { random_data_length: '512' });
    if (!expect200(r, p)) return p;
    matches(p, 'random_data', r.body.random_data, /^[0-9A-F]{128}$/);
    return p;
  });
  await check('gen-random 12 bits -> 400 KMS.1802', async () =>
    expectKmsError(await call(kms, 'gen-random', { random_data_length: '12' }), 400, 'KMS.1802'));

  // ---- error rows
  await check('wrong secret key -> 401 APIGW.0301 (gateway-shaped body)', async () => {
    const p = [];
    const bad = sdkClient(PROJECT_ID, `${SK}x`);
    const r = await call(bad, 'describe-key', { key_id: aes.id });
    is(p, 'HTTP status', r.status, 401);
    is(p, 'error_code', r.body.error_code, 'APIGW.0301');
    if (typeof r.body.error_msg !== 'string' || r.body.error_msg === '') p.push('error_msg missing');
    if (r.body.error && typeof r.body.error === 'object') p.push('body has the KMS shape, want the flat gateway shape');
    return p;
  });
  await check('wrong secret key, SDK default mode: throws ClientRequestException 401 APIGW.0301', async () => {
    const p = [];
    const bad = sdkClient(PROJECT_ID, `${SK}x`);
    try {
      await bad.sendRequest(kmsOptions('describe-key', { key_id: aes.id }, { sdkThrows: true }));
      p.push('no exception');
    } catch (e) {
      if (!(e instanceof ClientRequestException)) p.push(`threw ${e && e.name}: ${e && e.message}`);
      is(p, 'httpStatusCode', e.httpStatusCode, 401);
      is(p, 'errorCode', e.errorCode, 'APIGW.0301');
    }
    return p;
  });
  await check('project the credential does not own -> 403 KMS.0321', async () => {
    const other = sdkClient(OTHER_PROJECT_ID);
    return expectKmsError(await call(other, 'describe-key', { key_id: aes.id }), 403, 'KMS.0321');
  });
  {
    const junk = Buffer.from('{"key_id": this is not JSON');
    await check('body not JSON (payload hash signed in X-Sdk-Content-Sha256) -> 400 KMS.0202', async () =>
      expectKmsError(await call(kms, 'describe-key', junk,
        { headers: { 'X-Sdk-Content-Sha256': digest('sha256', junk) } }), 400, 'KMS.0202'));
    // A KMS must not act on a body its signature does not cover: kmscore serve refuses
    // UNSIGNED-PAYLOAD outright (docs/server.md), before looking at the body.
    await check('X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD -> 401 APIGW.0301', async () => {
      const r = await call(kms, 'describe-key', junk,
        { headers: { 'X-Sdk-Content-Sha256': 'UNSIGNED-PAYLOAD' } });
      const p = [];
      is(p, 'HTTP status', r.status, 401);
      is(p, 'error_code', r.body.error_code, 'APIGW.0301');
      return p;
    });
    // The SDK JSON-encodes a string body, so this sends the JSON string "not json": valid JSON,
    // not an object.
    await check('body a JSON string, not an object (SDK-encoded string body) -> 400 KMS.0202', async () =>
      expectKmsError(await call(kms, 'describe-key', 'not json'), 400, 'KMS.0202'));
  }
  await check('invalid key_id -> 400 KMS.0205', async () =>
    expectKmsError(await call(kms, 'describe-key', { key_id: 'not-a-key-id' }), 400, 'KMS.0205'));
  await check('unknown key -> 404 KMS.0207', async () =>
    expectKmsError(await call(kms, 'describe-key', { key_id: crypto.randomUUID() }), 404, 'KMS.0207'));
  await check('unknown key, SDK default mode: throws ClientRequestException 404', async () => {
    const p = [];
    try {
      await kms.sendRequest(kmsOptions('create-datakey',
        { key_id: crypto.randomUUID(), datakey_length: '512' }, { sdkThrows: true }));
      p.push('no exception');
    } catch (e) {
      if (!(e instanceof ClientRequestException)) p.push(`threw ${e && e.name}: ${e && e.message}`);
      is(p, 'httpStatusCode', e.httpStatusCode, 404);
    }
    return p;
  });

  process.stdout.write(`# ${total} checks, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => {
  process.stdout.write(`FAIL - driver crashed: ${e && (e.stack || e.message) || e}\n`);
  process.exit(1);
});
