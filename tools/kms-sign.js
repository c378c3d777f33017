#!/usr/bin/env node
// kms-sign.js: signs one HTTP request with SDK-HMAC-SHA256 (the API-gateway AK/SK scheme that
// `kmscore serve` verifies; shared spec http.md §5) and prints the headers to send with it.
// No dependencies: node's crypto only.
//
// Usage: node tools/kms-sign.js [--date YYYYMMDDTHHMMSSZ] [--debug] METHOD URL AK SK [BODY_FILE]
//   METHOD     e.g. POST
//   URL        the full URL, e.g. http://127.0.0.1:8080/v1.0/PROJECT/kms/create-datakey
//   AK, SK     the access key and secret key (note: command-line arguments are visible to
//              other users in `ps`; meant for test credentials)
//   BODY_FILE  the body, hashed byte for byte; absent or "-": read from stdin. Send exactly
//              these bytes (curl --data-binary @FILE, not --data, which strips newlines).
//   --date     the X-Sdk-Date to sign (UTC, basic ISO 8601), for reproducible output; default
//              now. The server accepts a date within 15 minutes of its clock, so one signed
//              request can be repeated for up to 15 minutes.
//   --debug    also print the canonical request and the string to sign on stderr
//
// Prints on stdout, one header per line:
//   X-Sdk-Date: 20191115T033655Z
//   Content-Type: application/json
//   Authorization: SDK-HMAC-SHA256 Access=AK, SignedHeaders=content-type;host;x-sdk-date, Signature=HEX
// The signed Host is the URL's host with its port (omitted when it is the scheme's default),
// which is what curl and other clients send. Exit 0; 2 on a usage error.
//
// Check against http.md §5.7 V4 (prints Signature=e83564e9...a812ac2c):
//   printf '{"key_id":"0d0466b0-e727-4d9c-b35d-f84bb474a37f"}' | node tools/kms-sign.js \
//     --date 20191115T033655Z POST \
//     http://kms.region.example.com/v1.0/77b6a44cba5143ab91d13ab9a8ff44fd/kms/describe-key \
//     QTWAOYTTINDUT2QVKYUC MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc
'use strict';

const crypto = require('crypto');
const fs = require('fs');

const ALGORITHM = 'SDK-HMAC-SHA256';
const CONTENT_TYPE = 'application/json';
const USAGE = 'usage: node kms-sign.js [--date YYYYMMDDTHHMMSSZ] [--debug] METHOD URL AK SK [BODY_FILE]\n';

function usage(message) {
  process.stderr.write(`kms-sign.js: ${message}\n${USAGE}`);
  process.exit(2);
}

// URI encoding of http.md §5.1 item 4: A-Z a-z 0-9 - _ . ~ stay, every other byte of the
// UTF-8 form becomes %XY (upper-case hex); space is %20.
function uriEncode(text) {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

// Percent-decoding only ('+' stays '+'); a malformed escape is kept as it is.
function uriDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

// §5.1 item 2: the path (WHATWG URL parsing has already removed "." and ".." segments), each
// segment encoded, and a "/" appended if the path does not end in one.
function canonicalUri(url) {
  const path = url.pathname.split('/').map((s) => uriEncode(uriDecode(s))).join('/');
  return path.endsWith('/') ? path : `${path}/`;
}

// §5.1 item 3: name=value pairs encoded, sorted by name then value (character-code order),
// joined with "&"; empty when there is no query (always the case for KMS actions).
function canonicalQuery(url) {
  const query = url.search.startsWith('?') ? url.search.slice(1) : url.search;
  if (query === '') return '';
  const pairs = query.split('&').filter((p) => p !== '').map((p) => {
    const eq = p.indexOf('=');
    const name = eq < 0 ? p : p.slice(0, eq);
    const value = eq < 0 ? '' : p.slice(eq + 1);
    return [uriEncode(uriDecode(name)), uriEncode(uriDecode(value))];
  });
  const order = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  pairs.sort((a, b) => order(a[0], b[0]) || order(a[1], b[1]));
  return pairs.map(([n, v]) => `${n}=${v}`).join('&');
}

// Returns {headers: [[name, value], ...], canonicalRequest, stringToSign}.
function sign({ method, url, ak, sk, body, date }) {
  const signed = [ // sorted by lower-case name
    ['content-type', CONTENT_TYPE],
    ['host', url.host],
    ['x-sdk-date', date],
  ];
  const signedHeaders = signed.map(([n]) => n).join(';');
  const canonicalRequest = [
    method.toUpperCase(),
    canonicalUri(url),
    canonicalQuery(url),
    signed.map(([n, v]) => `${n}:${v.trim()}\n`).join(''),
    signedHeaders,
    crypto.createHash('sha256').update(body).digest('hex'),
  ].join('\n');
  const stringToSign = [
    ALGORITHM,
    date,
    crypto.createHash('sha256').update(canonicalRequest, 'utf8').digest('hex'),
  ].join('\n');
  const signature = crypto.createHmac('sha256', Buffer.from(sk, 'utf8'))
    .update(stringToSign, 'utf8').digest('hex');
  return {
    headers: [
      ['X-Sdk-Date', date],
      ['Content-Type', CONTENT_TYPE],
      ['Authorization',
        `${ALGORITHM} Access=${ak}, SignedHeaders=${signedHeaders}, Signature=${signature}`],
    ],
    canonicalRequest,
    stringToSign,
  };
}

function main(argv) {
  let date = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  let debug = false;
  const rest = [];
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--date') {
      if (i + 1 >= argv.length) usage('--date needs a value');
      date = argv[i += 1];
    } else if (argv[i].startsWith('--date=')) {
      date = argv[i].slice('--date='.length);
    } else if (argv[i] === '--debug') {
      debug = true;
    } else if (argv[i] === '--help' || argv[i] === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else {
      rest.push(argv[i]);
    }
  }
  if (rest.length < 4 || rest.length > 5) usage('wrong number of arguments');
  if (!/^\d{8}T\d{6}Z$/.test(date)) usage(`--date ${date}: want YYYYMMDDTHHMMSSZ`);
  const [method, urlText, ak, sk, bodyFile = '-'] = rest;
  if (!/^[A-Za-z]+$/.test(method)) usage(`bad method ${method}`);
  let url;
  try {
    url = new URL(urlText);
  } catch {
    usage(`bad URL ${urlText}`);
  }
  if (ak === '' || sk === '') usage('AK and SK must not be empty');
  let body;
  try {
    body = fs.readFileSync(bodyFile === '-' ? 0 : bodyFile);
  } catch (e) {
    usage(`cannot read the body: ${e.message}`);
  }
  const result = sign({ method, url, ak, sk, body, date });
  if (debug) {
    process.stderr.write(`--- canonical request\n${result.canonicalRequest}\n`
      + `--- string to sign\n${result.stringToSign}\n---\n`);
  }
  process.stdout.write(result.headers.map(([n, v]) => `${n}: ${v}\n`).join(''));
}

if (require.main === module) main(process.argv.slice(2));
module.exports = { sign, canonicalUri, canonicalQuery, uriEncode };
