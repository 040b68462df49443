#!/usr/bin/env node
// Sends each raw response of a JSON object {name: {method, response}} to
// live Node's http client (a plain TCP server writes the response bytes,
// then ends) and prints, one JSON line each, what the client made of it:
// the 1xx heads ('information'), the response (statusCode, statusMessage,
// httpVersion, rawHeaders, body as latin1, rawTrailers) once it ended, or
// the request's error (code, reason). src/http/h1's tests hold the
// response parser to these facts.
//   node scripts/h1-client-facts.js fixtures/http/h1-responses.json > fixtures/http/client-facts.jsonl
'use strict';
const http = require('http');
const net = require('net');
const fs = require('fs');

const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

function once({ method, response }) {
  return new Promise((resolve) => {
    const out = { informational: [], response: null, error: null };
    const server = net.createServer((socket) => {
      socket.once('data', () => {
        socket.end(Buffer.from(response, 'latin1'));
      });
      socket.on('error', () => {});
    });
    server.listen(0, '127.0.0.1', () => {
      const req = http.request({ method, host: '127.0.0.1', port: server.address().port, agent: false });
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        server.close();
        resolve(out);
      };
      req.on('information', (info) => {
        out.informational.push({ statusCode: info.statusCode, statusMessage: info.statusMessage,
          httpVersion: info.httpVersion, rawHeaders: info.rawHeaders });
      });
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (d) => { body += d; });
        res.on('end', () => {
          out.response = { statusCode: res.statusCode, statusMessage: res.statusMessage,
            httpVersion: res.httpVersion, rawHeaders: res.rawHeaders, body, rawTrailers: res.rawTrailers };
          settle();
        });
        res.on('error', (e) => { out.error = { code: e.code, reason: e.reason }; settle(); });
      });
      req.on('error', (e) => { out.error = { code: e.code, reason: e.reason }; setTimeout(settle, 20); });
      req.on('close', () => setTimeout(settle, 50));
      req.end();
    });
  });
}

(async () => {
  for (const [name, c] of Object.entries(cases)) {
    const result = await once(c);
    process.stdout.write(JSON.stringify({ name, method: c.method, bytes: c.response, ...result }) + '\n');
  }
})();
