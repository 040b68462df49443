#!/usr/bin/env node
// Runs response scenarios on live Node's http server and prints, one JSON
// line each, the bytes it wrote (the Date value masked as <date>).
// src/http/h1's tests replay the same calls on ServerResponse.
//   node scripts/h1-response-facts.js fixtures/http/response-scenarios.json > fixtures/http/response-facts.jsonl
// A scenario: {request: text, actions: [[method, ...args]]}, where a
// method is setHeader, removeHeader, writeHead, write, end, addTrailers
// or set (a property: ["set", "sendDate", false]).
'use strict';
const http = require('http');
const net = require('net');
const fs = require('fs');

const scenarios = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

function run(scenario) {
  return new Promise((resolve) => {
    let wire = '';
    const errors = [];
    const server = http.createServer({ requireHostHeader: false }, (req, res) => {
      req.resume();
      for (const [method, ...args] of scenario.actions) {
        try {
          if (method === 'set') res[args[0]] = args[1];
          else res[method](...args);
        } catch (e) {
          errors.push(e.code);
        }
      }
    });
    server.listen(0, '127.0.0.1', () => {
      const c = net.connect(server.address().port, '127.0.0.1', () => {
        c.write(Buffer.from(scenario.request, 'latin1'));
      });
      c.on('data', (d) => { wire += d.toString('latin1'); });
      c.on('error', () => {});
      setTimeout(() => {
        c.destroy();
        server.close();
        resolve({ wire: wire.replace(/Date: [^\r]*\r\n/, 'Date: <date>\r\n'), errors });
      }, 150);
    });
  });
}

(async () => {
  for (const [name, scenario] of Object.entries(scenarios)) {
    const { wire, errors } = await run(scenario);
    process.stdout.write(JSON.stringify({ name, ...scenario, wire, errors }) + '\n');
  }
})();
