#!/usr/bin/env node
// Node's server for scripts/bench-http; examples/httpbench.rs is the same
// server for the reference implementation.
//
//   node scripts/httpbench.js     an http.Server answering every request res.end('hello')
//
// It listens on 127.0.0.1, port 0, prints {"port":P}, and exits when its
// stdin ends (a pipe from the orchestrator), so that nothing outlives the
// orchestrator. The response has Node's default headers (Date,
// Connection: keep-alive, Keep-Alive: timeout=5, Content-Length: 5). A
// server error fails it: a message on stderr and exit status 1.
'use strict';

const fs = require('node:fs');
const http = require('node:http');

function fail(message) {
  process.stderr.write(`httpbench (node): ${message}\n`);
  process.exit(1);
}

if (process.argv.length > 2) fail('usage: httpbench.js (no arguments)');

// When stdin is a pipe or a socket (as the orchestrator makes it), the
// process exits when it ends.
let piped = false;
try {
  const stat = fs.fstatSync(0);
  piped = stat.isFIFO() || stat.isSocket();
} catch {}
if (piped) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}

const server = http.createServer((req, res) => res.end('hello'));
server.on('error', (err) => fail(`server error: ${err.message}`));
server.listen(0, '127.0.0.1', () => {
  // Synchronous for pipes and files.
  fs.writeSync(1, JSON.stringify({ port: server.address().port }) + '\n');
});
