// Self-test for scripts/node-driver.cjs: spawns the driver and talks the
// protocol of spec/PROTOCOL.md to it.
//
//   node --test scripts/
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');

const DRIVER = path.join(__dirname, 'node-driver.cjs');
const REPLY_TYPES = new Set(['ok', 'result', 'throw', 'error']);

// Expression builders.
const net = { global: 'net' };
const ref = (name) => ({ ref: name });
const val = (value) => ({ value });
const call = (target, method, ...args) => ({ call: { target, method, args } });
const get = (target, property) => ({ get: { target, property } });

class Driver {
  constructor() {
    this.child = spawn(process.execPath, [DRIVER], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.messages = [];
    this.waiters = [];
    this.stderr = '';
    this.nextId = 1;
    let buffered = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        // Anything on stdout must be one JSON object per line.
        const msg = JSON.parse(line);
        this.messages.push(msg);
        this.check();
      }
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  check() {
    for (const w of [...this.waiters]) {
      const found = this.messages.find(w.pred);
      if (found) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        w.resolve(found);
      }
    }
  }

  // The first message (seen so far or to come) satisfying `pred`.
  waitFor(pred, what = 'a message', ms = 5000) {
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      w.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(
          new Error(
            `timed out waiting for ${what}; got:\n${this.messages.map((m) => JSON.stringify(m)).join('\n')}\nstderr:\n${this.stderr}`,
          ),
        );
      }, ms);
      this.waiters.push(w);
      this.check();
    });
  }

  writeLine(line) {
    this.child.stdin.write(line + '\n');
  }

  request(req) {
    const id = this.nextId++;
    this.writeLine(JSON.stringify({ ...req, id }));
    return this.waitFor((m) => REPLY_TYPES.has(m.type) && m.id === id, `the reply to ${id}`);
  }

  eval(expr, extra = {}) {
    return this.request({ op: 'eval', expr, ...extra });
  }

  begin(captures = [], reactions = [], defaults = {}) {
    return this.request({ op: 'begin', case: 'self-test', captures, reactions, defaults });
  }

  end() {
    return this.request({ op: 'end' });
  }

  events(object) {
    return this.messages.filter((m) => m.type === 'event' && (object === undefined || m.object === object));
  }

  event(object, event) {
    return this.waitFor((m) => m.type === 'event' && m.object === object && m.event === event, `${object} ${event}`);
  }

  async bye() {
    this.writeLine(JSON.stringify({ op: 'bye' }));
    return this.exited;
  }
}

async function withDriver(fn) {
  const d = new Driver();
  try {
    await d.waitFor((m) => m.type === 'hello', 'hello');
    await fn(d);
  } finally {
    if (d.child.exitCode === null) {
      let timer;
      const code = await Promise.race([d.bye(), new Promise((r) => (timer = setTimeout(() => r('timeout'), 3000)))]);
      clearTimeout(timer);
      if (code === 'timeout') d.child.kill();
      assert.equal(code, 0, 'the driver exits with 0 on bye');
    }
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const SOCKET_EVENTS = ['close', 'connect', 'drain', 'end', 'error', 'finish', 'lookup', 'ready', 'timeout'];
const SERVER_EVENTS = ['close', 'connection', 'error', 'listening'];

// A server listening on 127.0.0.1 (registered as `name`); resolves its port.
async function listen(d, name = 'server') {
  await d.eval(call(net, 'createServer'), { assign: name, observe: SERVER_EVENTS });
  await d.eval(call(ref(name), 'listen', val(0), val('127.0.0.1')));
  await d.event(name, 'listening');
  const port = await d.eval(get(call(ref(name), 'address'), 'port'), { assign: `${name}Port` });
  assert.equal(port.type, 'result');
  assert.equal(typeof port.value, 'number');
  return port.value;
}

test('hello comes first, with the documented shape', async () => {
  await withDriver(async (d) => {
    const hello = d.messages[0];
    assert.equal(hello.type, 'hello');
    assert.equal(hello.protocol, 3);
    assert.equal(hello.implementation, 'node');
    assert.equal(hello.version, process.version);
    assert.equal(hello.node, process.version);
    assert.ok(Array.isArray(hello.features));
    for (const f of hello.features) assert.ok(['unix-sockets', 'ipv6', 'multicast', 'dns-enotfound'].includes(f), f);
    assert.deepEqual(hello.modules, ['net', 'dgram', 'http', 'tls', 'https']);
    assert.equal(hello.features.includes('unix-sockets'), process.platform !== 'win32');
  });
});

test('eval: net.isIP("::1") is 6', async () => {
  await withDriver(async (d) => {
    assert.deepEqual(await d.begin(), { type: 'ok', id: 1 });
    assert.deepEqual(await d.eval(call(net, 'isIP', val('::1'))), { type: 'result', id: 2, value: 6 });
  });
});

test('eval: a synchronous throw is a throw reply', async () => {
  await withDriver(async (d) => {
    await d.begin();
    const reply = await d.eval(call(call(net, 'createServer'), 'listen', val(-1)));
    assert.equal(reply.type, 'throw');
    assert.equal(reply.error.$error.name, 'RangeError');
    assert.equal(reply.error.$error.code, 'ERR_SOCKET_BAD_PORT');
    assert.equal(typeof reply.error.$error.message, 'string');
    // The driver lives on.
    assert.equal((await d.eval(call(net, 'isIP', val('1.2.3.4')))).value, 4);
  });
});

test('values round-trip through the encoding', async () => {
  await withDriver(async (d) => {
    await d.begin();
    const values = [
      null,
      true,
      'str',
      1.5,
      { $number: 'NaN' },
      { $number: 'Infinity' },
      { $number: '-Infinity' },
      { $number: '-0' },
      { $buffer: 'aGVsbG8=' },
      { $undefined: true },
      { a: [1, { b: { $undefined: true } }] },
    ];
    for (const v of values) {
      assert.deepEqual((await d.eval(val(v))).value, v, JSON.stringify(v));
    }
    const err = await d.eval(val({ $error: { name: 'TypeError', message: 'm', code: 'E_X' } }));
    assert.deepEqual(err.value, { $error: { name: 'TypeError', message: 'm', code: 'E_X' } });
    const fn = await d.eval(get(net, 'createServer'));
    assert.deepEqual(fn.value, { $function: 'createServer' });
    // Unnamed objects get '#n' names that can be referred to.
    const anon = await d.eval(call(net, 'createServer'));
    assert.deepEqual(anon.value, { $object: 'net.Server', $id: '#1' });
    assert.deepEqual((await d.eval(val({ $object: 'net.Server', $id: '#1' }))).value, anon.value);
    assert.deepEqual((await d.eval(get(ref('#1'), 'listening'))).value, false);
    // set evaluates to the value assigned.
    assert.deepEqual((await d.eval({ set: { target: ref('#1'), property: 'maxConnections', value: val(3) } })).value, 3);
    assert.deepEqual((await d.eval(get(ref('#1'), 'maxConnections'))).value, 3);
    await d.end();
  });
});

test('a full exchange: events per object, with a captured peer', async () => {
  await withDriver(async (d) => {
    await d.begin([
      { object: 'server', event: 'connection', nth: 1, arg: 0, name: 'peer', observe: ['close', 'end', 'error', 'finish', 'data'] },
    ]);
    const port = await listen(d);
    const client = await d.eval(call(net, 'connect', { object: { port: ref('serverPort'), host: val('127.0.0.1') } }), {
      assign: 'client',
      observe: SOCKET_EVENTS,
    });
    assert.deepEqual(client.value, { $object: 'net.Socket', $id: 'client' });
    assert.equal((await d.eval(call(ref('client'), 'write', val('hello')))).type, 'result');
    assert.equal((await d.eval(call(ref('client'), 'end'))).type, 'result');
    await d.event('client', 'close');
    await d.event('peer', 'close');
    assert.ok(port > 0);

    const seq = (object) => d.events(object).map((m) => m.event);

    const server = d.events('server');
    assert.deepEqual(seq('server'), ['listening', 'connection']);
    assert.deepEqual(server[0].args, []);
    // The capture named the socket before the event line was written.
    assert.deepEqual(server[1].args, [{ $object: 'net.Socket', $id: 'peer' }]);

    const peer = d.events('peer');
    const data = peer.filter((m) => m.event === 'data');
    assert.ok(data.length >= 1);
    const received = Buffer.concat(data.map((m) => Buffer.from(m.args[0].$buffer, 'base64'))).toString();
    assert.equal(received, 'hello');
    assert.deepEqual(
      seq('peer').filter((e) => e !== 'data'),
      ['end', 'finish', 'close'],
    );
    assert.equal(seq('peer').lastIndexOf('data') < seq('peer').indexOf('end'), true);
    assert.deepEqual(peer.at(-1).args, [false]);

    assert.deepEqual(seq('client'), ['connect', 'ready', 'finish', 'end', 'close']);
    assert.deepEqual(d.events('client').at(-1).args, [false]);
    assert.deepEqual(d.events('client')[0].args, []);

    assert.deepEqual(d.events('process'), []);
    assert.deepEqual(await d.end(), { type: 'ok', id: d.nextId - 1 });
  });
});

test('callbacks report calls', async () => {
  await withDriver(async (d) => {
    await d.begin();
    await d.eval(call(net, 'createServer'), { assign: 'server', observe: ['close'] });
    const r = await d.eval(call(ref('server'), 'listen', val(0), val('127.0.0.1'), { callback: 'onListening' }));
    assert.deepEqual(r.value, { $object: 'net.Server', $id: 'server' });
    const listening = await d.event('onListening', 'call');
    assert.deepEqual(listening.args, []);
    await d.eval(call(ref('server'), 'close', { callback: 'onClose' }));
    assert.deepEqual((await d.event('onClose', 'call')).args, []);
    // Closing again: the callback gets ERR_SERVER_NOT_RUNNING.
    await d.eval(call(ref('server'), 'close', { callback: 'onClose2' }));
    const again = await d.event('onClose2', 'call');
    assert.equal(again.args[0].$error.code, 'ERR_SERVER_NOT_RUNNING');
    // A callback passed back by reference is a function.
    assert.deepEqual((await d.eval(ref('onClose'))).value, { $function: 'onClose' });
    await d.end();
  });
});

test('end tears everything down; no event follows its reply', async () => {
  await withDriver(async (d) => {
    await d.begin([{ object: 'server', event: 'connection', nth: 1, arg: 0, name: 'peer', observe: ['close', 'data', 'end'] }]);
    const port = await listen(d);
    await d.eval(call(net, 'connect', val({ port, host: '127.0.0.1' })), { assign: 'client', observe: SOCKET_EVENTS });
    await d.eval(call(ref('client'), 'write', val('x')));
    // End at once: connects, data and closes are all racing the teardown.
    const endReply = await d.end();
    assert.equal(endReply.type, 'ok');
    const after = d.messages.length;
    await sleep(300);
    assert.deepEqual(d.messages.slice(after), []);
    // Only the teardown closes these, and it reports nothing.
    assert.deepEqual(
      d.events().filter((m) => m.event === 'close'),
      [],
    );
    // Names are forgotten.
    await d.begin();
    assert.equal((await d.eval(ref('server'))).type, 'error');
    // The server is closed: connecting to its port is refused.
    await d.eval(call(net, 'connect', val({ port, host: '127.0.0.1' })), { assign: 'probe', observe: ['error', 'close'] });
    const err = await d.event('probe', 'error');
    assert.equal(err.args[0].$error.code, 'ECONNREFUSED');
    await d.end();
  });
});

test('an uncaught exception is an event on `process`, and the driver lives on', async () => {
  await withDriver(async (d) => {
    await d.begin();
    const port = await listen(d, 'gone');
    await d.eval(call(ref('gone'), 'close'));
    await d.event('gone', 'close');
    // Named, observing no 'error': the refusal is unhandled.
    await d.eval(call(net, 'connect', val({ port, host: '127.0.0.1' })), { assign: 'c', observe: ['close'] });
    const ev = await d.event('process', 'uncaughtException');
    assert.equal(ev.args.length, 1);
    assert.equal(ev.args[0].$error.code, 'ECONNREFUSED');
    assert.equal(ev.args[0].$error.syscall, 'connect');
    assert.equal((await d.eval(call(net, 'isIP', val('::1')))).value, 6);
    await d.end();
  });
});

test('malformed input does not kill the driver', async () => {
  await withDriver(async (d) => {
    await d.begin();
    d.writeLine('{not json');
    d.writeLine('[1, 2]');
    d.writeLine('{"op":"eval","id":77, broken');
    const recovered = await d.waitFor((m) => m.id === 77, 'the reply to 77');
    assert.equal(recovered.type, 'error');
    assert.deepEqual(await d.request({ op: 'frobnicate' }), {
      type: 'error',
      id: d.nextId - 1,
      message: 'unknown op "frobnicate"',
    });
    assert.equal((await d.eval({ bogus: 1 })).type, 'error');
    assert.equal((await d.eval({ global: 'nosuchmodule' })).type, 'error');
    assert.equal((await d.eval(val({ $weird: 1 }))).type, 'error');
    assert.equal((await d.eval(call(net, 'isIP', val('::1')))).value, 6);
    assert.match(d.stderr, /not JSON/);
  });
});

test('unknown names are error replies', async () => {
  await withDriver(async (d) => {
    // Outside a case.
    assert.equal((await d.eval(val(1))).type, 'error');
    await d.begin();
    assert.deepEqual(await d.eval(ref('nope')), { type: 'error', id: d.nextId - 1, message: "unknown object 'nope'" });
    assert.equal((await d.request({ op: 'observe', object: 'nope', events: ['close'] })).type, 'error');
    assert.equal((await d.eval(val({ $object: 'net.Socket', $id: 'nope' }))).type, 'error');
    // An unknown method is the JS TypeError, thrown.
    const t = await d.eval(call(net, 'noSuchMethod'));
    assert.equal(t.type, 'throw');
    assert.equal(t.error.$error.name, 'TypeError');
  });
});

test('stdin closing makes the driver exit', async () => {
  const d = new Driver();
  await d.waitFor((m) => m.type === 'hello', 'hello');
  d.writeLine(JSON.stringify({ op: 'begin', id: 1, case: 'x', captures: [] }));
  d.writeLine(JSON.stringify({ op: 'eval', id: 2, expr: call(net, 'createServer'), assign: 's' }));
  d.writeLine(JSON.stringify({ op: 'eval', id: 3, expr: call(ref('s'), 'listen', val(0), val('127.0.0.1')) }));
  d.child.stdin.end();
  assert.equal(await d.exited, 0);
  assert.deepEqual(
    d.messages.filter((m) => m.type !== 'hello').map((m) => [m.type, m.id]),
    [
      ['ok', 1],
      ['result', 2],
      ['result', 3],
    ],
  );
});

test('a capture works on an unobserved event, and observe subscribes later', async () => {
  await withDriver(async (d) => {
    await d.begin([{ object: 'server', event: 'connection', nth: 2, arg: 0, name: 'second', observe: ['data', 'end'] }]);
    await d.eval(call(net, 'createServer'), { assign: 'server', observe: ['listening'] });
    await d.eval(call(ref('server'), 'listen', val(0), val('127.0.0.1')));
    await d.event('server', 'listening');
    const port = (await d.eval(get(call(ref('server'), 'address'), 'port'))).value;
    await d.eval(call(net, 'connect', val({ port, host: '127.0.0.1' })), { assign: 'a', observe: ['connect'] });
    await d.event('a', 'connect');
    await d.eval(call(net, 'connect', val({ port, host: '127.0.0.1' })), { assign: 'b', observe: ['connect'] });
    await d.eval(call(ref('b'), 'end', val('two')));
    const data = await d.event('second', 'data');
    assert.equal(Buffer.from(data.args[0].$buffer, 'base64').toString(), 'two');
    await d.event('second', 'end');
    // 'connection' was counted for the capture, never reported.
    assert.deepEqual(d.events('server').map((m) => m.event), ['listening']);
    // Observing later; observing twice adds no second listener.
    assert.equal((await d.request({ op: 'observe', object: 'a', events: ['close', 'close'] })).type, 'ok');
    assert.equal((await d.request({ op: 'observe', object: 'a', events: ['close'] })).type, 'ok');
    await d.eval(call(ref('a'), 'destroy'));
    await d.event('a', 'close');
    await sleep(50);
    assert.equal(d.events('a').filter((m) => m.event === 'close').length, 1);
    assert.equal((await d.eval(call(ref('a'), 'listenerCount', val('close')))).value >= 1, true);
    await d.end();
  });
});

test('protocol 2: classes are qualified by the module that exports them', async () => {
  await withDriver(async (d) => {
    await d.begin();
    const server = await d.eval(call(net, 'createServer'), { assign: 'server' });
    assert.deepEqual(server.value, { $object: 'net.Server', $id: 'server' });
    const udp = await d.eval(call({ global: 'dgram' }, 'createSocket', val('udp4')), { assign: 'udp' });
    assert.deepEqual(udp.value, { $object: 'dgram.Socket', $id: 'udp' });
    const sock = await d.eval({ new: { target: get(net, 'Socket'), args: [] } }, { assign: 's' });
    assert.deepEqual(sock.value, { $object: 'net.Socket', $id: 's' });
    const isDuplex = await d.eval({ typeof: ref('s') });
    assert.equal(isDuplex.value, 'object');
    const inst = await d.eval({ instanceof: { value: ref('s'), class: get(net, 'Server') } });
    assert.equal(inst.value, false);
    const err = await d.eval({ new: { target: { global: 'Error' }, args: [val('boom')] } });
    assert.deepEqual(err.value, { $error: { name: 'Error', message: 'boom' } });
    await d.end();
  });
});

test('protocol 3: an unnamed object is observed with its class defaults', async () => {
  await withDriver(async (d) => {
    await d.begin([], [], { 'net.Socket': ['end', 'close', 'error'] });
    const port = await listen(d);
    await d.eval(call(net, 'connect', val(port), val('127.0.0.1')), { assign: 'client', observe: SOCKET_EVENTS });
    // The accepted socket is reported as an argument, so it gets a # name.
    const conn = await d.event('server', 'connection');
    const anon = conn.args[0].$id;
    assert.match(anon, /^#\d+$/);
    await d.event('client', 'connect');
    await d.eval(call(ref('client'), 'destroy'));
    // Its end and close are reported under its # name (finish is not in
    // the defaults given, so it is not).
    await d.event(anon, 'close');
    assert.deepEqual(d.events(anon).map((m) => m.event), ['end', 'close']);
    await d.end();
  });
});

test('protocol 2: error properties are read along the prototype chain', async () => {
  await withDriver(async (d) => {
    await d.begin();
    // An error whose code lives on its prototype, as some runtimes have it.
    const proto = { $error: { name: 'Error', message: 'p', code: 'EPROTO' } };
    await d.eval(val(proto), { assign: 'base' });
    const r = await d.eval(call({ global: 'Object' }, 'create', ref('base')));
    assert.equal(r.type, 'result');
    assert.equal(r.value.$error.code, 'EPROTO');
    await d.end();
  });
});

test('reactions run inside the listener, after the reporting one', async () => {
  await withDriver(async (d) => {
    const peer = { object: 'server', event: 'connection', nth: 1, arg: 0, name: 'peer', observe: ['data', 'end', 'close'] };
    const echo = {
      object: 'peer',
      event: 'data',
      params: ['chunk'],
      body: [call(ref('peer'), 'write', ref('chunk'))],
    };
    await d.begin([peer], [echo]);
    const port = await listen(d);
    await d.eval(call(net, 'connect', val(port), val('127.0.0.1')), { assign: 'client', observe: ['data', 'close'] });
    await d.eval(call(ref('client'), 'write', val('ping')));
    const back = await d.event('client', 'data');
    assert.deepEqual(back.args, [{ $buffer: Buffer.from('ping').toString('base64') }]);
    await d.end();
  });
});
