#!/usr/bin/env node
// Known answers for the SDK-HMAC-SHA256 verifier, computed by Huawei Cloud's own Node.js SDK
// core (@huaweicloud/huaweicloud-sdk-core, pinned in package.json). Nothing here re-implements
// the signer: every signature comes from the SDK's AKSKSigner, either called directly or inside
// the SDK's own request path (ClientBuilder -> HcClient.sendRequest). The canonical request and
// string to sign are captured by wrapping the signer's own static helpers while it runs.
//
// A small independent implementation of http.md §5 (specCheck below) only *checks* each
// vector against the bytes on the wire, i.e. predicts what a spec-conforming verifier gets.
//
// Usage: node sign_vectors.js            -> JSON on stdout (saved as vectors.json)
//        node sign_vectors.js --check F   -> exit 1 unless the output equals file F
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');

const CORE = '@huaweicloud/huaweicloud-sdk-core';
const { ClientBuilder } = require(`${CORE}/ClientBuilder`);
const { BasicCredentials } = require(`${CORE}/auth/BasicCredentials`);
const { AKSKSigner } = require(`${CORE}/auth/AKSKSigner`);
const CORE_VERSION = require(`${CORE}/package.json`).version;

// Published example credentials of Huawei's signing guide (http.md §5.7 V1/V4).
const AK = 'QTWAOYTTINDUT2QVKYUC';
const SK = 'MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc';
const PROJECT = '77b6a44cba5143ab91d13ab9a8ff44fd';
const KEY_ID = '0d0466b0-e727-4d9c-b35d-f84bb474a37f';
const V4_DATE = '20191115T033655Z';
const V4_SIGNATURE = 'e83564e952cec5904811a511d0c3602406e5d4a6210366f27c1a1002a812ac2c';
const LOCAL_ENDPOINT = 'http://127.0.0.1:8080';
const LOCAL_DATE = '20260315T120000Z';
const USER_AGENT = 'kmscore-sdk-vectors'; // unsigned; fixed so the output is reproducible

const sha256hex = (b) => crypto.createHash('sha256').update(b).digest('hex');

// ---- capture the SDK signer's intermediate values (its own functions, wrapped) ----
async function traceSigner(fn) {
  const origCanon = AKSKSigner.buildCanonicalRequest;
  const origSts = AKSKSigner.getStringToSign;
  const trace = [];
  AKSKSigner.buildCanonicalRequest = function (...args) {
    const r = origCanon.apply(this, args);
    trace.push({ canonical_request: r });
    return r;
  };
  AKSKSigner.getStringToSign = function (...args) {
    const r = origSts.apply(this, args);
    if (trace.length) trace[trace.length - 1].string_to_sign = r;
    return r;
  };
  try {
    const result = await fn();
    return { result, trace };
  } finally {
    AKSKSigner.buildCanonicalRequest = origCanon;
    AKSKSigner.getStringToSign = origSts;
  }
}

function parseAuthorization(value) {
  const m = /^SDK-HMAC-SHA256 Access=([^,]*), SignedHeaders=([^,]*), Signature=([0-9a-f]{64})$/.exec(value || '');
  if (!m) throw new Error(`unexpected Authorization: ${value}`);
  return { access: m[1], signed_headers: m[2], signature: m[3] };
}

// Independent check of http.md §5 over a request as received (what the server will do).
function specCheck({ method, target, headers, bodyBytes, sk }) {
  const auth = parseAuthorization(headers.authorization);
  const [rawPath, rawQuery = ''] = target.split('?');
  const enc = (s) => Array.from(Buffer.from(s, 'utf8'))
    .map((c) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(c)) ? String.fromCharCode(c)
      : '%' + c.toString(16).toUpperCase().padStart(2, '0'))).join('');
  let uri = rawPath.split('/').map((seg) => enc(decodeURIComponent(seg))).join('/');
  if (!uri.endsWith('/')) uri += '/';
  const query = rawQuery === '' ? '' : rawQuery.split('&').map((kv) => {
    const i = kv.indexOf('=');
    const k = decodeURIComponent(i < 0 ? kv : kv.slice(0, i));
    const v = i < 0 ? '' : decodeURIComponent(kv.slice(i + 1));
    return [enc(k), enc(v)];
  }).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`).join('&');
  const names = auth.signed_headers.split(';');
  const canonHeaders = names.map((n) => `${n}:${String(headers[n]).trim()}\n`).join('');
  const payload = headers['x-sdk-content-sha256'] || sha256hex(bodyBytes);
  const canonical = [method, uri, query, canonHeaders, auth.signed_headers, payload].join('\n');
  const sts = ['SDK-HMAC-SHA256', headers['x-sdk-date'], sha256hex(canonical)].join('\n');
  const sig = crypto.createHmac('sha256', sk).update(sts).digest('hex');
  return { ok: sig === auth.signature, canonical_request: canonical, signature: sig };
}

// ---- a local capture server; the SDK keeps endpoint 127.0.0.1:8080 (so Host is signed as
// that), but its connection is routed to this server's ephemeral port by an http.Agent.
function startCapture() {
  const seen = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method, target: req.url, rawHeaders: req.rawHeaders,
        headers: req.headers, body: Buffer.concat(chunks) });
      const out = '{}';
      res.writeHead(200, { 'Content-Type': 'application/json;charset=UTF-8',
        'Content-Length': Buffer.byteLength(out) });
      res.end(out);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const port = server.address().port;
    const agent = new http.Agent({ keepAlive: false });
    agent.createConnection = () => net.connect(port, '127.0.0.1');
    resolve({ server, seen, agent });
  }));
}

function sdkClient(endpoint, ak, sk, projectId) {
  const credentials = new BasicCredentials().withAk(ak).withSk(sk).withProjectId(projectId);
  return new ClientBuilder((hcClient) => hcClient)
    .withCredential(credentials)
    .withEndpoint(endpoint)
    .withOptions({ customUserAgent: USER_AGENT })
    .build();
}

// The request options exactly as the SDK's generated KmsClient builds them
// (services/kms/v2/KmsClient.ts in huaweicloud-sdk-nodejs-v3), plus a fixed X-Sdk-Date.
function kmsOptions(action, body, extra = {}) {
  return {
    method: 'POST',
    url: `/v1.0/{project_id}/kms/${action}`,
    contentType: 'application/json;charset=UTF-8',
    queryParams: {},
    pathParams: {},
    headers: Object.assign({ 'Content-Type': 'application/json;charset=UTF-8' }, extra.headers || {}),
    data: body,
    responseHeaders: [''],
    axiosRequestConfig: extra.axiosRequestConfig,
  };
}

// "Name: value" in the order and case received.
function wireHeaderLines(rawHeaders) {
  const a = [];
  for (let i = 0; i < rawHeaders.length; i += 2) a.push(`${rawHeaders[i]}: ${rawHeaders[i + 1]}`);
  return a;
}

function lowerHeaders(rawHeaders) {
  const h = {};
  for (let i = 0; i < rawHeaders.length; i += 2) h[rawHeaders[i].toLowerCase()] = rawHeaders[i + 1];
  return h;
}

async function main() {
  const vectors = [];

  // (a1) http.md §5.7 V4 exactly: the signer called directly on the three headers of V4.
  {
    const cred = new BasicCredentials().withAk(AK).withSk(SK);
    const body = { key_id: KEY_ID };
    const request = {
      method: 'POST',
      endpoint: `https://kms.region.example.com/v1.0/${PROJECT}/kms/describe-key`,
      headers: { 'Content-Type': 'application/json', 'X-Sdk-Date': V4_DATE, host: 'kms.region.example.com' },
      queryParams: {},
      data: body,
    };
    const { result, trace } = await traceSigner(() => AKSKSigner.sign(request, cred));
    const auth = parseAuthorization(result.Authorization);
    const bodyStr = JSON.stringify(body);
    const signed = {};
    for (const n of auth.signed_headers.split(';')) {
      const k = Object.keys(result).find((x) => x.toLowerCase() === n);
      signed[n] = result[k];
    }
    vectors.push({
      name: 'V4-exact',
      how: 'AKSKSigner.sign(request, credentials) called directly with exactly the headers of http.md §5.7 V4',
      ak: AK, sk: SK, method: 'POST', host: 'kms.region.example.com',
      path: `/v1.0/${PROJECT}/kms/describe-key`, query: '',
      x_sdk_date: V4_DATE,
      signed_header_values: signed,
      signed_headers: auth.signed_headers,
      body: bodyStr, body_sha256: sha256hex(bodyStr),
      canonical_request: trace[0].canonical_request,
      string_to_sign: trace[0].string_to_sign,
      signature: auth.signature,
      authorization: result.Authorization,
      http_md_expected_signature: V4_SIGNATURE,
      matches_http_md: auth.signature === V4_SIGNATURE,
    });
  }

  // (a2) the same describe-key the way the SDK sends it by default (ClientBuilder +
  // BasicCredentials with the project id, endpoint https://kms.region.example.com): captured
  // with an axios adapter (no network), signed by the SDK inside HcClient.sendRequest.
  {
    const hc = sdkClient('https://kms.region.example.com', AK, SK, PROJECT);
    let captured;
    const adapter = async (config) => {
      captured = config;
      return { data: {}, status: 200, statusText: 'OK', headers: {}, config };
    };
    const { trace } = await traceSigner(() => hc.sendRequest(kmsOptions('describe-key', { key_id: KEY_ID },
      { headers: { 'X-Sdk-Date': V4_DATE }, axiosRequestConfig: { adapter } })));
    const headers = {};
    const raw = typeof captured.headers.toJSON === 'function' ? captured.headers.toJSON() : captured.headers;
    for (const [k, v] of Object.entries(raw)) headers[k] = String(v);
    const lower = {};
    for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
    const auth = parseAuthorization(lower.authorization);
    const signed = {};
    for (const n of auth.signed_headers.split(';')) signed[n] = lower[n];
    const bodyStr = captured.data;
    const target = new URL(captured.url, captured.baseURL).pathname;
    const check = specCheck({ method: 'POST', target, headers: lower, bodyBytes: Buffer.from(bodyStr), sk: SK });
    vectors.push({
      name: 'V4-as-sdk-sends',
      how: 'HcClient.sendRequest with the KmsClient request options and X-Sdk-Date fixed by header; request captured by an axios adapter (headers as handed to the transport, before Node adds Content-Length etc.)',
      ak: AK, sk: SK, project_id: PROJECT, method: 'POST', host: 'kms.region.example.com',
      path: target, query: '', x_sdk_date: V4_DATE,
      request_headers: headers,
      signed_header_values: signed,
      signed_headers: auth.signed_headers,
      body: bodyStr, body_sha256: sha256hex(bodyStr),
      canonical_request: trace[0].canonical_request,
      string_to_sign: trace[0].string_to_sign,
      signature: auth.signature,
      authorization: lower.authorization,
      spec_check: check.ok,
    });
  }

  // (b) KMS requests sent by the SDK to http://127.0.0.1:8080, captured on the wire.
  const cap = await startCapture();
  try {
    const hc = sdkClient(LOCAL_ENDPOINT, AK, SK, PROJECT);
    const cases = [
      { name: 'sdk-create-key', action: 'create-key',
        body: { key_alias: 'sdk-vector-key', key_spec: 'AES_256',
          key_description: 'Schl\u00fcssel \u9375 \u{1F511}' } },
      { name: 'sdk-create-datakey', action: 'create-datakey',
        body: { key_id: KEY_ID, datakey_length: '512', encryption_context: { purpose: 'sdk vector' } } },
      { name: 'sdk-update-key-rotation-interval', action: 'update-key-rotation-interval',
        body: { key_id: KEY_ID, rotation_interval: 30 } },
      { name: 'sdk-unsigned-payload', action: 'describe-key',
        note: 'X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD set by the caller; the SDK signs that header and uses the literal as the payload hash; body is deliberately not JSON (sent as raw bytes)',
        body: Buffer.from('{"key_id": not json'),
        headers: { 'X-Sdk-Content-Sha256': 'UNSIGNED-PAYLOAD' } },
    ];
    for (const c of cases) {
      const before = cap.seen.length;
      const { trace } = await traceSigner(() => hc.sendRequest(kmsOptions(c.action, c.body, {
        headers: Object.assign({ 'X-Sdk-Date': LOCAL_DATE }, c.headers || {}),
        axiosRequestConfig: { httpAgent: cap.agent },
      })));
      const w = cap.seen[before];
      if (!w) throw new Error(`${c.name}: nothing captured`);
      const lower = lowerHeaders(w.rawHeaders);
      const auth = parseAuthorization(lower.authorization);
      const signed = {};
      for (const n of auth.signed_headers.split(';')) signed[n] = lower[n];
      const check = specCheck({ method: w.method, target: w.target, headers: lower, bodyBytes: w.body, sk: SK });
      const [p, q = ''] = w.target.split('?');
      vectors.push(Object.assign({
        name: c.name,
        how: 'HcClient.sendRequest (KmsClient request options, X-Sdk-Date fixed by header) to http://127.0.0.1:8080; everything below is as received on the wire',
      }, c.note ? { note: c.note } : {}, {
        ak: AK, sk: SK, project_id: PROJECT, method: w.method, host: lower.host,
        path: p, query: q, x_sdk_date: lower['x-sdk-date'],
        wire_headers: wireHeaderLines(w.rawHeaders),
        signed_header_values: signed,
        signed_headers: auth.signed_headers,
        body: w.body.toString('utf8'), body_hex: w.body.toString('hex'), body_sha256: sha256hex(w.body),
        canonical_request: trace[0].canonical_request,
        string_to_sign: trace[0].string_to_sign,
        signature: auth.signature,
        authorization: lower.authorization,
        spec_check: check.ok,
      }));
    }
  } finally {
    cap.server.close();
  }

  const out = {
    generator: {
      package: CORE, version: CORE_VERSION,
      signer: `${CORE}/auth/AKSKSigner -> AKSKSigner.sign(request, credentials)`,
      client: `${CORE}/ClientBuilder -> new ClientBuilder(hc => hc).withCredential(new BasicCredentials().withAk().withSk().withProjectId()).withEndpoint().withOptions({customUserAgent}).build().sendRequest(options)`,
      script: 'tests/sdk/sign_vectors.js',
    },
    notes: [
      'signature = hex(HMAC-SHA256(SK, string_to_sign)); authorization = "SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<signed_headers>, Signature=<signature>"',
      'The SDK signs every header in its request object: content-type, host, x-project-id (from BasicCredentials.projectId), x-sdk-date, plus x-sdk-content-sha256 when set; never user-agent, accept, content-length, accept-encoding, connection.',
      'The SDK hashes JSON.stringify(data) as the payload and axios sends the same bytes for object bodies; canonical header values are not trimmed by the SDK (it never produces surrounding spaces).',
      'spec_check: an independent http.md §5 verifier over the captured request agrees with the SDK signature.',
    ],
    vectors,
  };
  const text = JSON.stringify(out, null, 2) + '\n';
  const i = process.argv.indexOf('--check');
  if (i >= 0) {
    const want = fs.readFileSync(path.resolve(process.argv[i + 1]), 'utf8');
    if (want !== text) { process.stderr.write('vectors differ\n'); process.exit(1); }
    process.stderr.write('vectors identical\n');
    return;
  }
  process.stdout.write(text);
  const bad = vectors.filter((v) => v.matches_http_md === false || v.spec_check === false);
  if (bad.length) { process.stderr.write(`mismatch: ${bad.map((v) => v.name).join(', ')}\n`); process.exit(1); }
}

main().catch((e) => { process.stderr.write(`${e && e.stack || e}\n`); process.exit(2); });
