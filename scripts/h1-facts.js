#!/usr/bin/env node
// Reads requests from a JSON object {name: request text (latin1)} and
// prints, one JSON line per request, what live Node's http server made of
// it: the clientError (code, reason, bytesParsed) when there is one, the
// requests it completed (method, url, httpVersion, rawHeaders, body,
// rawTrailers), and the bytes it answered when nothing listens to
// 'clientError' (Date masked). src/http/h1's tests hold the parser to
// these facts.
//   node scripts/h1-facts.js fixtures/http/h1-inputs.json > fixtures/http/llhttp-facts.jsonl
'use strict';
const http = require('http');
const net = require('net');
const fs = require('fs');

const inputs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

function expand(raw) {
  // "%REPEAT:n:c%" stands for c repeated n times (the fixture stays small).
  return raw.replace(/%REPEAT:(\d+):(.)%/g, (_, n, c) => c.repeat(Number(n)));
}

function once(raw, listen) {
  return new Promise((resolve) => {
    const out = { requests: [], error: null, wire: '' };
    const server = http.createServer({ requireHostHeader: false }, (req, res) => {
      let body = '';
      req.setEncoding('latin1');
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        out.requests.push({
          method: req.method, url: req.url, httpVersion: req.httpVersion,
          rawHeaders: req.rawHeaders, body, rawTrailers: req.rawTrailers,
        });
        res.end('ok');
      });
    });
    if (listen) {
      server.on('clientError', (e, socket) => {
        out.error = { code: e.code, reason: e.reason, bytesParsed: e.bytesParsed };
        socket.destroy();
      });
    }
    server.listen(0, '127.0.0.1', () => {
      const c = net.connect(server.address().port, '127.0.0.1', () => {
        c.write(Buffer.from(raw, 'latin1'));
        setTimeout(() => c.end(), 300);
      });
      c.on('data', (d) => { out.wire += d.toString('latin1'); });
      c.on('error', () => {});
      c.on('close', () => { server.close(); resolve(out); });
      setTimeout(() => c.destroy(), 2000);
    });
  });
}

(async () => {
  for (const [name, template] of Object.entries(inputs)) {
    const raw = expand(template);
    const heard = await once(raw, true);
    const unheard = await once(raw, false);
    process.stdout.write(JSON.stringify({
      name, input: template, error: heard.error, requests: heard.requests,
      wire: unheard.wire.replace(/Date: [^\r]*\r\n/, 'Date: <date>\r\n'),
    }) + '\n');
  }
})();
