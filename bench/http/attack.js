// The attack of `scripts/bench http` (issue 23's goal): while it runs, well-behaved signed
// requests from 127.0.0.1 are measured with wrk. Loopback only; attackers come from other
// loopback addresses, so the server's per-address caps apply to them alone.
//
//   node bench/http/attack.js PORT SECONDS [SLOW=1000] [STREAMS=4] [STREAM_BYTES=1073741824]
//
// - SLOW connections (from 127.0.0.2-127.0.0.9) each send one byte of a request every
//   second; one the server closes is opened again.
// - STREAMS connections (from 127.0.0.10 and up) each send endless header lines as fast as
//   the socket takes them, until STREAM_BYTES are sent; one the server closes is opened again.
// At the end one line: attack slow_open=N slow_reopened=N stream_bytes=N stream_reopened=N
'use strict';
const net = require('net');

const [port, seconds, slowCount = '1000', streamCount = '4', streamBytes = String(1 << 30)] =
  process.argv.slice(2);
if (!port || !seconds) {
  console.error('usage: node attack.js PORT SECONDS [SLOW] [STREAMS] [STREAM_BYTES]');
  process.exit(2);
}
const until = Date.now() + Number(seconds) * 1000;
const requestLine =
  'POST /v1.0/0123456789abcdef0123456789abcdef/kms/create-datakey HTTP/1.1\r\nHost: x\r\n';
const stats = { slowOpen: 0, slowReopened: 0, streamBytes: 0, streamReopened: 0 };
const sockets = new Set();

function slow(address, first) {
  if (Date.now() >= until) return;
  if (!first) stats.slowReopened++;
  const socket = net.connect({ port: Number(port), host: '127.0.0.1', localAddress: address });
  sockets.add(socket);
  let sent = 0;
  let timer = null;
  let connected = false;
  socket.on('connect', () => {
    connected = true;
    stats.slowOpen++;
    timer = setInterval(() => {
      socket.write(requestLine[sent % requestLine.length]);
      sent++;
    }, 1000);
    socket.write(requestLine[0]);
    sent = 1;
  });
  socket.on('data', () => {});
  socket.on('error', () => {});
  socket.on('close', () => {
    if (timer) clearInterval(timer);
    sockets.delete(socket);
    if (connected) stats.slowOpen--;
    setTimeout(() => slow(address, false), 100);
  });
}

const filler = (() => {
  let text = requestLine;
  const line = 'X-Filler: ' + 'a'.repeat(100) + '\r\n';
  while (text.length < 65536) text += line;
  return Buffer.from(text);
})();

function stream(address, first, left) {
  if (Date.now() >= until || left <= 0) return;
  if (!first) stats.streamReopened++;
  const socket = net.connect({ port: Number(port), host: '127.0.0.1', localAddress: address });
  sockets.add(socket);
  let open = true;
  const pump = () => {
    while (open && left > 0 && Date.now() < until) {
      left -= filler.length;
      stats.streamBytes += filler.length;
      if (!socket.write(filler)) return;  // wait for 'drain'
    }
  };
  socket.on('connect', pump);
  socket.on('drain', pump);
  socket.on('data', () => {});
  socket.on('error', () => {});
  socket.on('close', () => {
    open = false;
    sockets.delete(socket);
    setTimeout(() => stream(address, false, left), 10);
  });
}

for (let i = 0; i < Number(slowCount); i++) slow(`127.0.0.${2 + (i % 8)}`, true);
for (let i = 0; i < Number(streamCount); i++) stream(`127.0.0.${10 + i}`, true, Number(streamBytes));

setTimeout(() => {
  console.log(`attack slow_open=${stats.slowOpen} slow_reopened=${stats.slowReopened} ` +
    `stream_bytes=${stats.streamBytes} stream_reopened=${stats.streamReopened}`);
  for (const socket of sockets) socket.destroy();
  process.exit(0);
}, Number(seconds) * 1000);
