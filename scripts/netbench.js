#!/usr/bin/env node
// Node's side of scripts/bench-net: the same program as
// examples/netbench.rs (the reference's side), with the same roles,
// arguments and output. Plain CommonJS, built-in modules only.
//
//   node scripts/netbench.js server echo                        echoes, pausing while write() is false
//   node scripts/netbench.js server greet                       writes one byte to each connection
//   node scripts/netbench.js server hold N                      holds connections, reports reaching N and 0
//   node scripts/netbench.js client echo PORT BYTES CONNS       BYTES in all, over CONNS connections -> MiB/s
//   node scripts/netbench.js client connect PORT COUNT PARALLEL connect, greeting, close, COUNT times -> conn/s
//   node scripts/netbench.js client pingpong PORT ROUNDS        1-byte round trips -> round trips/s
//   node scripts/netbench.js client hold PORT N                 on "connect" opens N idle connections,
//                                                               on "close" closes them (commands on stdin,
//                                                               as many rounds as asked)
//
// Servers listen on 127.0.0.1, port 0, and print {"port":P}. Every role
// prints its figures as JSON lines on stdout, fails with a message on stderr
// and exit status 1 when anything is off (an error event, a wrong byte
// count, a byte that differs from what was sent), and exits when its stdin
// (a pipe) ends, so that nothing outlives the orchestrator.
'use strict';

const fs = require('node:fs');
const net = require('node:net');
const readline = require('node:readline');

// The size of each write of the echo client.
const CHUNK = 64 * 1024;
// The period of the byte stream the echo client sends: a prime, so that a
// chunk delivered twice or out of order does not match where it lands.
const PERIOD = 65521;
// Connection attempts in flight while the hold client opens its
// connections (below the servers' backlog of 511).
const HOLD_PARALLEL = 200;

// --- plumbing ----------------------------------------------------------------

function fail(message) {
  process.stderr.write(`netbench (node): ${message}\n`);
  process.exit(1);
}

function number(text) {
  if (!/^[0-9]+$/.test(text ?? '')) fail(`not a number: ${JSON.stringify(text)}`);
  return Number(text);
}

// Prints one JSON line on stdout (synchronous for pipes and files).
function emit(value) {
  fs.writeSync(1, JSON.stringify(value) + '\n');
}

// The lines of stdin, as commands. When stdin is a pipe or a socket (as
// the orchestrator makes it), the process exits when it ends: when the
// orchestrator does, however it ended.
function stdinLines() {
  let piped = false;
  try {
    const stat = fs.fstatSync(0);
    piped = stat.isFIFO() || stat.isSocket();
  } catch {}
  const waiting = [];
  const queued = [];
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const command = line.trim();
    if (waiting.length) waiting.shift()(command);
    else queued.push(command);
  });
  rl.on('close', () => {
    if (piped) process.exit(0);
  });
  return () =>
    new Promise((resolve) => {
      if (queued.length) resolve(queued.shift());
      else waiting.push(resolve);
    });
}

// Fails unless the soft limit of open files leaves room for n connections
// (`ulimit -n`; the orchestrator raises it to the hard limit).
function checkFdLimit(n) {
  let limits = '';
  try {
    limits = fs.readFileSync('/proc/self/limits', 'utf8');
  } catch {}
  const line = limits.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line ? Number(line.split(/\s+/)[3]) : NaN;
  if (Number.isFinite(soft) && soft < n + 64) {
    fail(`${n} connections need more open files than the limit of ${soft}: raise \`ulimit -n\``);
  }
}

function now() {
  return process.hrtime.bigint();
}

function elapsedSince(start) {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

// The stream the echo client sends: byte i is period[i % PERIOD]. `bytes`
// is one period followed by its first CHUNK bytes again, so that any window
// of up to CHUNK bytes is one slice.
class Pattern {
  constructor() {
    // xorshift32, as in netbench.rs.
    let x = 0x2545f491;
    const period = Buffer.alloc(PERIOD);
    for (let i = 0; i < PERIOD; i++) {
      x = (x ^ (x << 13)) >>> 0;
      x = (x ^ (x >>> 17)) >>> 0;
      x = (x ^ (x << 5)) >>> 0;
      period[i] = x >>> 24;
    }
    this.bytes = Buffer.alloc(PERIOD + CHUNK);
    for (let i = 0; i < PERIOD + CHUNK; i++) this.bytes[i] = period[i % PERIOD];
  }

  // Bytes pos .. pos + len of the stream (len <= CHUNK).
  window(pos, len) {
    const start = pos % PERIOD;
    return this.bytes.subarray(start, start + len);
  }

  // Whether data is the stream from pos on.
  matches(pos, data) {
    for (let off = 0; off < data.length; ) {
      const n = Math.min(data.length - off, CHUNK);
      if (!data.subarray(off, off + n).equals(this.window(pos, n))) return false;
      pos += n;
      off += n;
    }
    return true;
  }
}

// --- servers -------------------------------------------------------------------

// Listens on 127.0.0.1 with an OS-chosen port, prints it, and serves until
// stdin ends.
function serve(server) {
  server.on('error', (err) => fail(`server error: ${err.message}`));
  server.listen(0, '127.0.0.1', () => emit({ port: server.address().port }));
}

// Errors of a server's connection (a client that resets) are not the
// server's failure: the client reports what went wrong.
function ignoreErrors(socket) {
  socket.on('error', () => {});
}

// Echoes every byte back; while write() returns false the socket is paused,
// and 'drain' resumes it. The peer's end ends the connection (allowHalfOpen
// false).
function serverEcho() {
  const server = net.createServer({ noDelay: true }, (socket) => {
    ignoreErrors(socket);
    socket.on('data', function (chunk) {
      if (!this.write(chunk)) this.pause();
    });
    socket.on('drain', function () {
      this.resume();
    });
  });
  serve(server);
}

// Writes one byte to each connection it accepts (the client's proof that
// the server saw it), and reads until the client closes.
function serverGreet() {
  const server = net.createServer((socket) => {
    ignoreErrors(socket);
    socket.write('!');
    socket.resume();
  });
  serve(server);
}

// Holds every connection; prints {"connections":N} once it has n open at
// once, and {"connections":0} once they have all closed again.
function serverHold(n) {
  checkFdLimit(n);
  let open = 0;
  let reached = false;
  const server = net.createServer((socket) => {
    ignoreErrors(socket);
    socket.on('data', () => {});
    open += 1;
    if (open === n) {
      reached = true;
      emit({ connections: open });
    }
    socket.on('close', () => {
      open -= 1;
      if (open === 0 && reached) {
        reached = false;
        emit({ connections: 0 });
      }
    });
  });
  serve(server);
}

// --- clients -------------------------------------------------------------------

function connectTo(socket, port) {
  socket.connect(port, '127.0.0.1');
}

function failOnError(socket, what) {
  socket.on('error', (err) => fail(`${what}: ${err.message}`));
}

// Sends `bytes` in all over `conns` connections at once, each its share in
// 64 KiB writes honouring write()'s false and 'drain', and reads it all
// back, checking every byte. Figure: MiB echoed per second, from the first
// connect() to the last connection's 'end'.
function clientEcho(port, bytes, conns) {
  if (conns === 0 || bytes < conns) {
    fail('client echo needs at least one connection and one byte per connection');
  }
  const pattern = new Pattern();
  let left = conns;
  const start = now();
  const finished = () => {
    const seconds = elapsedSince(start);
    emit({
      connections: conns,
      bytes,
      seconds,
      value: bytes / (1024 * 1024) / seconds,
      unit: 'MiB/s',
    });
    process.exit(0);
  };
  for (let i = 0; i < conns; i++) {
    const echo = {
      total: Math.floor(bytes / conns) + (i < bytes % conns ? 1 : 0),
      sent: 0,
      received: 0,
      ended: false,
    };
    // Writes the next chunks until write() returns false (then 'drain'
    // calls again) or everything is written (then end()).
    const pump = function () {
      while (echo.sent < echo.total) {
        const len = Math.min(echo.total - echo.sent, CHUNK);
        const data = pattern.window(echo.sent, len);
        echo.sent += len;
        if (!this.write(data)) return;
      }
      if (!echo.ended) {
        echo.ended = true;
        this.end();
      }
    };
    const socket = new net.Socket();
    failOnError(socket, 'echo client');
    socket.on('connect', pump);
    socket.on('drain', pump);
    socket.on('data', (data) => {
      if (echo.received + data.length > echo.total) {
        fail('the echo sent back more bytes than were sent');
      }
      if (!pattern.matches(echo.received, data)) {
        fail(`echoed bytes differ from those sent, at or after byte ${echo.received}`);
      }
      echo.received += data.length;
    });
    socket.on('end', () => {
      if (echo.received !== echo.total) {
        fail(`the echo ended after ${echo.received} of ${echo.total} bytes`);
      }
      left -= 1;
      if (left === 0) finished();
    });
    connectTo(socket, port);
  }
}

// Makes `count` connections, `parallel` in flight at a time; each one
// connects, waits for 'connect' and the server's greeting byte, destroy()s,
// and on 'close' starts the next attempt. Figure: connections per second.
function clientConnect(port, count, parallel) {
  if (count === 0 || parallel === 0) {
    fail('client connect needs a count and a parallelism of at least 1');
  }
  let started = 0;
  let done = 0;
  const start = now();
  const attempt = () => {
    const socket = new net.Socket();
    const progress = { connected: false, greeting: 0 };
    failOnError(socket, 'connect client');
    socket.on('connect', function () {
      progress.connected = true;
      if (progress.greeting === 1) this.destroy();
    });
    socket.on('data', function (chunk) {
      progress.greeting += chunk.length;
      if (progress.greeting !== 1 || chunk.toString('latin1') !== '!') {
        fail('the greeting is not the one byte "!"');
      }
      if (progress.connected) this.destroy();
    });
    socket.on('close', () => {
      if (!progress.connected || progress.greeting !== 1) {
        fail("a connection closed before its 'connect' and greeting");
      }
      done += 1;
      if (done === count) {
        const seconds = elapsedSince(start);
        emit({ connections: count, parallel, seconds, value: count / seconds, unit: 'conn/s' });
        process.exit(0);
      } else if (started < count) {
        started += 1;
        attempt();
      }
    });
    connectTo(socket, port);
  };
  for (let i = 0; i < Math.min(parallel, count); i++) {
    started += 1;
    attempt();
  }
}

// The byte of round i.
function pingByte(i) {
  return i % 251;
}

// Sends one byte, waits for it to come back, `rounds` times, with Nagle off
// on both sides. Figure: round trips per second, from connect() on.
function clientPingpong(port, rounds) {
  if (rounds === 0) fail('client pingpong needs at least one round');
  const state = { sent: 0, received: 0 };
  const socket = new net.Socket();
  failOnError(socket, 'pingpong client');
  socket.on('connect', function () {
    this.write(Buffer.from([pingByte(0)]));
    state.sent = 1;
  });
  socket.on('data', function (chunk) {
    for (const byte of chunk) {
      if (state.received === state.sent || byte !== pingByte(state.received)) {
        fail('the pong is not the byte sent');
      }
      state.received += 1;
    }
    if (state.received === state.sent) {
      if (state.sent < rounds) {
        this.write(Buffer.from([pingByte(state.sent)]));
        state.sent += 1;
      } else {
        const seconds = elapsedSince(start);
        emit({ round_trips: rounds, seconds, value: rounds / seconds, unit: 'rt/s' });
        process.exit(0);
      }
    }
  });
  const start = now();
  socket.connect({ port, host: '127.0.0.1', noDelay: true });
}

// Prints {"event":"ready"}; then, round after round, on the command
// `connect` opens n idle connections (200 attempts in flight) and prints
// {"event":"connected"} once all are, and on `close` destroys them all and
// prints {"event":"closed"} once every one emitted 'close'. The orchestrator
// reads this process's memory in between.
async function clientHold(port, n, nextCommand) {
  checkFdLimit(n);
  if (n === 0) fail('client hold needs at least one connection');
  const expectCommand = async (expected) => {
    const command = await nextCommand();
    if (command !== expected) {
      fail(`expected the command ${JSON.stringify(expected)}, got ${JSON.stringify(command)}`);
    }
  };
  emit({ event: 'ready' });
  for (;;) {
    await expectCommand('connect');
    let sockets = [];
    let started = 0;
    let connected = 0;
    let closed = 0;
    let allConnected;
    let allClosed;
    const connectedAll = new Promise((resolve) => (allConnected = resolve));
    const closedAll = new Promise((resolve) => (allClosed = resolve));
    // Opens one idle connection (it reads, and sends nothing); once it is
    // connected, the next one starts.
    const holdOne = () => {
      const socket = new net.Socket();
      failOnError(socket, 'hold client');
      socket.on('data', () => {});
      socket.on('connect', () => {
        connected += 1;
        if (connected === n) allConnected();
        else if (started < n) {
          started += 1;
          holdOne();
        }
      });
      socket.on('close', () => {
        closed += 1;
        if (closed === n) allClosed();
      });
      connectTo(socket, port);
      sockets.push(socket);
    };
    const start = now();
    for (let i = 0; i < Math.min(HOLD_PARALLEL, n); i++) {
      started += 1;
      holdOne();
    }
    await connectedAll;
    emit({ event: 'connected', connections: n, seconds: elapsedSince(start) });
    await expectCommand('close');
    for (const socket of sockets) socket.destroy();
    sockets = [];
    await closedAll;
    emit({ event: 'closed' });
  }
}

function main() {
  const args = process.argv.slice(2);
  const nextCommand = stdinLines();
  const role = args.slice(0, 2).join(' ');
  if (role === 'server echo' && args.length === 2) return serverEcho();
  if (role === 'server greet' && args.length === 2) return serverGreet();
  if (role === 'server hold' && args.length === 3) return serverHold(number(args[2]));
  if (role === 'client echo' && args.length === 5) {
    return clientEcho(number(args[2]), number(args[3]), number(args[4]));
  }
  if (role === 'client connect' && args.length === 5) {
    return clientConnect(number(args[2]), number(args[3]), number(args[4]));
  }
  if (role === 'client pingpong' && args.length === 4) {
    return clientPingpong(number(args[2]), number(args[3]));
  }
  if (role === 'client hold' && args.length === 4) {
    return clientHold(number(args[2]), number(args[3]), nextCommand);
  }
  fail(
    'usage: netbench.js server echo|greet|hold N, or netbench.js client ' +
      'echo PORT BYTES CONNS|connect PORT COUNT PARALLEL|pingpong PORT ROUNDS|hold PORT N ' +
      `(got ${JSON.stringify(args)})`,
  );
}

main();
