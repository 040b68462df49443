#!/usr/bin/env node
// nodecompat driver for live Node (and, later, Bun and Deno).
//
// Speaks the driver protocol of spec/PROTOCOL.md over stdin/stdout: one JSON
// object per line. Plain CommonJS, built-in modules only, no Node-internal
// APIs, so the same file can run under other runtimes' Node compatibility.
//
//   node scripts/node-driver.cjs
'use strict';

const { Buffer } = require('node:buffer');
const EventEmitter = require('node:events');
const util = require('node:util');

const PROTOCOL = 3;

// ---------------------------------------------------------------------------
// Modules reachable through {"global": name}, loaded at start-up; `hello`
// lists the ones that loaded. To support a new module, add a line here (and
// teardown support below if its objects need more than destroy()/close()).
const MODULES = {
  net: () => require('node:net'),
  dgram: () => require('node:dgram'),
  http: () => require('node:http'),
  tls: () => require('node:tls'),
  https: () => require('node:https'),
};
// Modules whose classes qualify objects (a socket is also a stream.Duplex)
// but that scripts do not call.
const CLASS_SOURCES = {
  events: () => require('node:events'),
  stream: () => require('node:stream'),
};
const loaded = new Map(); // module name -> exports

// prototype -> qualified class name ('net.Socket'), from every loaded
// module's exported classes: no per-class code.
const classNames = new Map();

function indexClasses(moduleName, exports) {
  let keys;
  try {
    keys = Object.keys(exports);
  } catch (_) {
    return;
  }
  for (const key of keys) {
    let value;
    try {
      value = exports[key];
    } catch (_) {
      continue;
    }
    // An alias (net.Stream is net.Socket) keeps the class's own name.
    if (typeof value !== 'function' || value.name !== key) continue;
    const proto = value.prototype;
    if (proto !== null && typeof proto === 'object' && !classNames.has(proto)) {
      classNames.set(proto, `${moduleName}.${key}`);
    }
  }
}

function loadModules() {
  for (const table of [MODULES, CLASS_SOURCES]) {
    for (const name of Object.keys(table)) {
      try {
        const exports = table[name]();
        loaded.set(name, exports);
        indexClasses(name, exports);
      } catch (e) {
        log(`node:${name} is not available:`, e && e.message);
      }
    }
  }
}

// JavaScript's own globals a script may name: error constructors, URL
// (an http.request() argument) and Object (for Object.keys).
const GLOBALS = {
  URL: () => URL,
  Error: () => Error,
  TypeError: () => TypeError,
  RangeError: () => RangeError,
  SyntaxError: () => SyntaxError,
  Object: () => Object,
};

function loadGlobal(name) {
  if (Object.prototype.hasOwnProperty.call(MODULES, name) && loaded.has(name)) {
    return loaded.get(name);
  }
  if (Object.prototype.hasOwnProperty.call(GLOBALS, name)) return GLOBALS[name]();
  throw new DriverError(`unknown global '${name}'`);
}

// ---------------------------------------------------------------------------
// Errors inside the driver.

// The driver cannot carry out a request: becomes an `error` reply.
class DriverError extends Error {}

// The implementation threw while running an action: becomes a `throw` reply.
class JsThrow {
  constructor(value) {
    this.value = value;
  }
}

// Runs one operation on the implementation (property access, call,
// construction); whatever it throws is the action's own exception.
function jsOp(fn) {
  try {
    return fn();
  } catch (e) {
    throw new JsThrow(e);
  }
}

function log(...args) {
  try {
    process.stderr.write(`node-driver: ${util.format(...args)}\n`);
  } catch (_) {
    // Nowhere left to report.
  }
}

// ---------------------------------------------------------------------------
// Output. Every line goes through one process.stdout.write, so lines keep
// their order whatever the stream buffers; the request loop waits for 'drain'
// before taking the next request when stdout is backed up.

function send(msg) {
  process.stdout.write(JSON.stringify(msg) + '\n');
}

function stdoutBackedUp() {
  return process.stdout.writableNeedDrain === true;
}

process.stdout.on('error', (err) => {
  // The harness went away (EPIPE): nothing more to do.
  log('stdout:', err && err.message);
  process.exit(0);
});

// ---------------------------------------------------------------------------
// Case state.

let generation = 0; // bumped whenever a case ends: late emissions are dropped
let inCase = false;
let registry = new Map(); // name -> value
let names = new Map(); // value -> preferred name
let tracked = new Set(); // objects to tear down at the end of the case
let subs = new Map(); // object -> Map(event -> {report, count})
let captures = [];
let reactions = [];
let defaults = {}; // qualified class -> events to observe on an unnamed object
let nextAnon = 1;

function live(gen) {
  return inCase && gen === generation;
}

function isObjectLike(v) {
  return (typeof v === 'object' && v !== null) || typeof v === 'function';
}

// Values that travel as handles (or functions) and so can be looked up by
// identity.
function isRefable(v) {
  return isObjectLike(v) || typeof v === 'symbol' || typeof v === 'bigint';
}

function isEmitter(v) {
  if (!isObjectLike(v)) return false;
  if (v instanceof EventEmitter) return true;
  try {
    return typeof v.on === 'function' && typeof v.emit === 'function';
  } catch (_) {
    return false;
  }
}

function isServerLike(v) {
  try {
    return (
      isEmitter(v) &&
      typeof v.listen === 'function' &&
      typeof v.close === 'function' &&
      typeof v.address === 'function'
    );
  } catch (_) {
    return false;
  }
}

function isStdio(v) {
  return (
    v === process ||
    v === process.stdin ||
    v === process.stdout ||
    v === process.stderr
  );
}

// Anything the case created that teardown must destroy or close.
function track(v) {
  if (!isObjectLike(v) || typeof v === 'function' || isStdio(v)) return;
  try {
    if (typeof v.destroy === 'function' || typeof v.close === 'function') {
      tracked.add(v);
    }
  } catch (_) {
    // A throwing getter: nothing to tear down through it.
  }
}

// Sockets accepted by a server the case knows are torn down too, whether or
// not the case ever names them. A passive 'connection' listener, which does
// not change a server's behaviour.
const bookkept = new WeakSet();
function bookkeepServer(server) {
  if (bookkept.has(server)) return;
  bookkept.add(server);
  const gen = generation;
  server.on('connection', (socket) => {
    if (live(gen)) {
      track(socket);
    } else {
      // A connection that reached a server of a finished case.
      try {
        socket.destroy();
      } catch (_) {
        // ignore
      }
    }
  });
}

function register(name, value) {
  const old = registry.get(name);
  registry.set(name, value);
  if (old !== undefined && old !== value && names.get(old) === name) {
    // The old value lost this name: fall back to another one, if any.
    names.delete(old);
    for (const [n, v] of registry) {
      if (v === old) {
        names.set(old, n);
        break;
      }
    }
  }
  if (!isRefable(value)) return;
  const current = names.get(value);
  // Explicit names win over '#n' ones; otherwise the first name stays.
  if (current === undefined || (current.startsWith('#') && !name.startsWith('#'))) {
    names.set(value, name);
  }
  track(value);
  if (isServerLike(value)) bookkeepServer(value);
  // A capture needs a listener on its event, observed or not.
  if (isEmitter(value)) {
    for (const c of captures) {
      if (c.object === name) subscribe(value, c.event, false);
    }
  }
}

// The name of a refable value, registering it under a fresh '#n' name if it
// has none, with the listeners `begin` gave for its class (every event that
// changes nothing, so none of its emissions goes unseen), or 'error' alone.
function nameOf(value) {
  let name = names.get(value);
  if (name !== undefined) return name;
  name = `#${nextAnon++}`;
  register(name, value);
  if (isEmitter(value)) {
    const observe = Object.prototype.hasOwnProperty.call(defaults, className(value))
      ? defaults[className(value)]
      : ['error'];
    for (const ev of observe) subscribe(value, ev, true);
  }
  return name;
}

// ---------------------------------------------------------------------------
// Observing.

// Adds one listener for `event` on `obj` (at most one per object and event).
// `report` false is a silent listener that only counts for captures; it is
// upgraded in place when the event is observed later.
function subscribe(obj, event, report) {
  let events = subs.get(obj);
  if (!events) {
    events = new Map();
    subs.set(obj, events);
  }
  const existing = events.get(event);
  if (existing) {
    if (report) existing.report = true;
    return;
  }
  const sub = { report, count: 0 };
  events.set(event, sub);
  const gen = generation;
  const listener = function (...args) {
    if (!live(gen)) return;
    sub.count += 1;
    try {
      runCaptures(obj, event, sub.count, args);
      if (sub.report) sendEvent(nameOf(obj), event, args);
    } catch (e) {
      log(`while reporting '${event}':`, e);
    }
  };
  obj.on(event, listener);
}

function runCaptures(obj, event, count, args) {
  for (const c of captures) {
    if (c.event !== event || c.nth !== count) continue;
    if (!registry.has(c.object) || registry.get(c.object) !== obj) continue;
    const value = args[c.arg];
    register(c.name, value);
    if (isEmitter(value)) {
      for (const ev of c.observe) subscribe(value, ev, true);
      attachReactions(c.name, value);
    }
  }
}

// The reactions declared for `name`, as listeners on `obj`, added after the
// driver's own listeners: each runs its actions inside the emission. A throw
// is the implementation's own, and reaches 'uncaughtException' as in any
// Node program.
function attachReactions(name, obj) {
  for (const r of reactions) {
    if (r.object !== name) continue;
    const gen = generation;
    const listener = function (...args) {
      if (!live(gen)) return;
      const scope = new Map(r.params.map((p, i) => [p, args[i]]));
      for (const expr of r.body) {
        try {
          evaluate(expr, scope);
        } catch (e) {
          if (e instanceof JsThrow) throw e.value;
          const message = e instanceof DriverError ? e.message : String(e && e.stack);
          send({
            type: 'event',
            object: 'process',
            event: 'driverError',
            args: [`in the reaction to '${r.event}' of '${r.object}': ${message}`],
          });
          return;
        }
      }
    };
    if (r.once) obj.once(r.event, listener);
    else obj.on(r.event, listener);
  }
}

function sendEvent(object, event, args) {
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n -= 1;
  const encoded = [];
  for (let i = 0; i < n; i++) encoded.push(encode(args[i]));
  send({ type: 'event', object, event, args: encoded });
}

// ---------------------------------------------------------------------------
// Values.

function isBytes(v) {
  return v instanceof Uint8Array || Buffer.isBuffer(v);
}

function isError(v) {
  return v instanceof Error || (util.types && util.types.isNativeError(v));
}

function isPlainObject(v) {
  const proto = Object.getPrototypeOf(v);
  if (proto === null || proto === Object.prototype) return true;
  // A plain object from another realm.
  return (
    Object.getPrototypeOf(proto) === null &&
    typeof proto.constructor === 'function' &&
    proto.constructor.name === 'Object'
  );
}

// The qualified class of an object: the nearest prototype on its chain that a
// loaded module exports ('net.Socket' before 'stream.Duplex'); otherwise the
// constructor's bare name.
function className(v) {
  if (typeof v === 'symbol') return 'Symbol';
  if (typeof v === 'bigint') return 'BigInt';
  try {
    for (let p = Object.getPrototypeOf(v); p !== null; p = Object.getPrototypeOf(p)) {
      const name = classNames.get(p);
      if (name !== undefined) return name;
    }
  } catch (_) {
    // a proxy that throws: fall through
  }
  try {
    const ctor = v.constructor;
    if (typeof ctor === 'function' && typeof ctor.name === 'string') return ctor.name;
  } catch (_) {
    // fall through
  }
  return 'Object';
}

function handle(v) {
  return { $object: className(v), $id: nameOf(v) };
}

function encodeNumber(n) {
  if (Number.isNaN(n)) return { $number: 'NaN' };
  if (n === Infinity) return { $number: 'Infinity' };
  if (n === -Infinity) return { $number: '-Infinity' };
  if (Object.is(n, -0)) return { $number: '-0' };
  return n;
}

// `stack` holds the arrays/objects being encoded, to break cycles (a cyclic
// member travels as a handle).
function encode(v, stack = []) {
  switch (typeof v) {
    case 'undefined':
      return { $undefined: true };
    case 'boolean':
    case 'string':
      return v;
    case 'number':
      return encodeNumber(v);
    case 'function': {
      let name = '';
      try {
        if (typeof v.name === 'string') name = v.name;
      } catch (_) {
        // keep ''
      }
      return { $function: name };
    }
    case 'symbol':
    case 'bigint':
      // No encoding of their own: they travel as handles.
      return handle(v);
    default:
      break;
  }
  if (v === null) return null;
  if (stack.includes(v)) return handle(v);
  try {
    if (isBytes(v)) {
      return { $buffer: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
    }
    if (isError(v)) {
      const inner = stack.concat([v]);
      const out = { name: encode(v.name, inner), message: encode(v.message, inner) };
      for (const key of Object.keys(v)) {
        if (key.startsWith('$')) continue; // would read as a tag
        out[key] = encode(v[key], inner);
      }
      // Some runtimes keep these on the prototype: read them wherever the
      // chain holds them.
      for (const key of ERROR_PROPERTIES) {
        if (Object.prototype.hasOwnProperty.call(out, key)) continue;
        const value = v[key];
        if (value !== undefined) out[key] = encode(value, inner);
      }
      return { $error: out };
    }
    if (Array.isArray(v)) {
      const inner = stack.concat([v]);
      const out = [];
      for (let i = 0; i < v.length; i++) out.push(encode(v[i], inner));
      return out;
    }
    if (isPlainObject(v)) {
      const keys = Object.keys(v);
      // A `$` key would read as a tag: such an object travels as a handle.
      if (!keys.some((k) => k.startsWith('$'))) {
        const inner = stack.concat([v]);
        const out = {};
        for (const key of keys) out[key] = encode(v[key], inner);
        return out;
      }
    }
  } catch (e) {
    log('encoding fell back to a handle:', e && e.message);
  }
  return handle(v);
}

// Error properties a spec may ask about, own or inherited.
const ERROR_PROPERTIES = ['code', 'errno', 'syscall', 'address', 'port', 'hostname'];

function decodeError(fields) {
  const props = decode(fields);
  if (!isObjectLike(props) || Array.isArray(props)) {
    throw new DriverError('`$error` must hold an object');
  }
  const { name, message, ...rest } = props;
  const Ctor =
    typeof name === 'string' &&
    typeof globalThis[name] === 'function' &&
    (globalThis[name] === Error || globalThis[name].prototype instanceof Error)
      ? globalThis[name]
      : Error;
  const err = new Ctor(message === undefined ? '' : String(message));
  if (name !== undefined && err.name !== name) {
    Object.defineProperty(err, 'name', { value: name, writable: true, configurable: true });
  }
  Object.assign(err, rest);
  return err;
}

function decode(j) {
  if (j === null || typeof j !== 'object') return j;
  if (Array.isArray(j)) return j.map(decode);
  const keys = Object.keys(j);
  const tag = keys.find((k) => k.startsWith('$'));
  if (tag === undefined) {
    // fromEntries defines own properties, so "__proto__" stays a plain key.
    return Object.fromEntries(keys.map((k) => [k, decode(j[k])]));
  }
  const field = j[tag];
  const str = () => {
    if (typeof field !== 'string') throw new DriverError(`\`${tag}\` must hold a string`);
    return field;
  };
  switch (tag) {
    case '$undefined':
      return undefined;
    case '$number': {
      const table = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };
      const s = str();
      if (!Object.prototype.hasOwnProperty.call(table, s)) {
        throw new DriverError(`unknown $number ${JSON.stringify(s)}`);
      }
      return table[s];
    }
    case '$buffer':
      return Buffer.from(str(), 'base64');
    case '$error':
      return decodeError(field);
    case '$object':
    case '$id': {
      const id = j.$id;
      if (typeof id !== 'string') throw new DriverError('`$object` needs an `$id`');
      if (!registry.has(id)) throw new DriverError(`unknown object '${id}'`);
      return registry.get(id);
    }
    case '$function':
      throw new DriverError('a function cannot be passed by value; use {"callback": name}');
    default:
      throw new DriverError(`unknown value tag \`${tag}\``);
  }
}

// ---------------------------------------------------------------------------
// Expressions.

const EMPTY_SCOPE = new Map();

function expectString(v, what) {
  if (typeof v !== 'string') throw new DriverError(`${what} must be a string`);
  return v;
}

function expectArray(v, what) {
  if (!Array.isArray(v)) throw new DriverError(`${what} must be an array`);
  return v;
}

function expectObject(v, what) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new DriverError(`${what} must be an object`);
  }
  return v;
}

function makeCallback(name) {
  const gen = generation;
  let calls = 0;
  // A computed key names the function after the callback.
  const fn = {
    [name]: function (...args) {
      if (!live(gen)) return;
      calls += 1;
      try {
        runCaptures(fn, 'call', calls, args);
        sendEvent(name, 'call', args);
      } catch (e) {
        log(`while reporting a call of '${name}':`, e);
      }
    },
  }[name];
  register(name, fn);
  return fn;
}

// `scope` holds a reaction's parameters, looked up before registered names.
function evaluate(expr, scope = EMPTY_SCOPE) {
  expectObject(expr, 'an expression');
  const keys = Object.keys(expr);
  if (keys.length !== 1) {
    throw new DriverError(`an expression has exactly one key, not ${JSON.stringify(keys)}`);
  }
  const kind = keys[0];
  const body = expr[kind];
  switch (kind) {
    case 'value':
      return decode(body);
    case 'global':
      return loadGlobal(expectString(body, '`global`'));
    case 'ref': {
      const name = expectString(body, '`ref`');
      if (scope.has(name)) return scope.get(name);
      if (!registry.has(name)) throw new DriverError(`unknown object '${name}'`);
      return registry.get(name);
    }
    case 'get': {
      expectObject(body, '`get`');
      const target = evaluate(body.target, scope);
      const property = expectString(body.property, '`get.property`');
      return jsOp(() => target[property]);
    }
    case 'set': {
      expectObject(body, '`set`');
      const target = evaluate(body.target, scope);
      const property = expectString(body.property, '`set.property`');
      const value = evaluate(body.value, scope);
      jsOp(() => {
        target[property] = value;
      });
      return value;
    }
    case 'call': {
      expectObject(body, '`call`');
      const target = evaluate(body.target, scope);
      const method = expectString(body.method, '`call.method`');
      const fn = jsOp(() => target[method]);
      const args = expectArray(body.args === undefined ? [] : body.args, '`call.args`').map(
        (a) => evaluate(a, scope),
      );
      const result = jsOp(() => {
        if (typeof fn !== 'function') throw new TypeError(`${method} is not a function`);
        return Reflect.apply(fn, target, args);
      });
      track(result);
      return result;
    }
    case 'new': {
      expectObject(body, '`new`');
      const ctor = evaluate(body.target, scope);
      const args = expectArray(body.args === undefined ? [] : body.args, '`new.args`').map(
        (a) => evaluate(a, scope),
      );
      const result = jsOp(() => {
        if (typeof ctor !== 'function') throw new TypeError(`${typeof ctor} is not a constructor`);
        return Reflect.construct(ctor, args);
      });
      track(result);
      return result;
    }
    case 'typeof':
      return typeof evaluate(body, scope);
    case 'instanceof': {
      expectObject(body, '`instanceof`');
      const value = evaluate(body.value, scope);
      const cls = evaluate(body.class, scope);
      return jsOp(() => value instanceof cls);
    }
    case 'object': {
      expectObject(body, '`object`');
      return Object.fromEntries(Object.keys(body).map((k) => [k, evaluate(body[k], scope)]));
    }
    case 'array':
      return expectArray(body, '`array`').map((a) => evaluate(a, scope));
    case 'callback':
      return makeCallback(expectString(body, '`callback`'));
    default:
      throw new DriverError(`unknown expression \`${kind}\``);
  }
}

// ---------------------------------------------------------------------------
// Teardown.

const TEARDOWN_MS = 1000;

// Destroys sockets and closes servers (and timers, dgram sockets…: whatever
// has destroy() or else close()). Returns promises for the 'close' events
// worth waiting for.
function destroyAll() {
  const objects = new Set(tracked);
  for (const v of registry.values()) {
    if (isObjectLike(v) && typeof v !== 'function') objects.add(v);
  }
  const waits = [];
  for (const obj of objects) {
    if (isStdio(obj)) continue;
    try {
      const hasDestroy = typeof obj.destroy === 'function';
      const hasClose = typeof obj.close === 'function';
      if (!hasDestroy && !hasClose) continue;
      // Streams (sockets) and servers emit 'close'; wait for it unless the
      // object is closed already.
      const stream = hasDestroy && typeof obj.destroyed === 'boolean';
      const server = !hasDestroy && isServerLike(obj);
      const closed = obj.closed === true || (obj.closed === undefined && obj.destroyed === true);
      if (isEmitter(obj) && (server || (stream && !closed))) {
        waits.push(
          new Promise((resolve) => {
            obj.once('close', () => resolve());
          }),
        );
      }
      if (hasDestroy) obj.destroy();
      else obj.close();
    } catch (e) {
      log('teardown:', e && e.message);
    }
  }
  return waits;
}

function forgetAll() {
  registry = new Map();
  names = new Map();
  tracked = new Set();
  subs = new Map();
  captures = [];
  reactions = [];
  defaults = {};
  nextAnon = 1;
}

async function teardown() {
  generation += 1;
  inCase = false;
  const waits = destroyAll();
  if (waits.length > 0) {
    let timer;
    await Promise.race([
      Promise.all(waits),
      new Promise((resolve) => {
        timer = setTimeout(resolve, TEARDOWN_MS);
      }),
    ]);
    clearTimeout(timer);
  }
  forgetAll();
}

// ---------------------------------------------------------------------------
// Requests.

function validateCaptures(list) {
  return expectArray(list === undefined ? [] : list, '`captures`').map((c, i) => {
    const what = `captures[${i}]`;
    expectObject(c, what);
    expectString(c.object, `${what}.object`);
    expectString(c.event, `${what}.event`);
    expectString(c.name, `${what}.name`);
    if (!Number.isInteger(c.nth) || c.nth < 1) throw new DriverError(`${what}.nth must be an integer >= 1`);
    if (!Number.isInteger(c.arg) || c.arg < 0) throw new DriverError(`${what}.arg must be an integer >= 0`);
    const observe = expectArray(c.observe === undefined ? [] : c.observe, `${what}.observe`);
    observe.forEach((ev) => expectString(ev, `${what}.observe[]`));
    return { object: c.object, event: c.event, nth: c.nth, arg: c.arg, name: c.name, observe };
  });
}

function validateDefaults(map) {
  if (map === undefined) return {};
  expectObject(map, '`defaults`');
  const out = {};
  for (const cls of Object.keys(map)) {
    const events = expectArray(map[cls], `defaults.${cls}`);
    events.forEach((ev) => expectString(ev, `defaults.${cls}[]`));
    out[cls] = events;
  }
  return out;
}

function validateReactions(list) {
  return expectArray(list === undefined ? [] : list, '`reactions`').map((r, i) => {
    const what = `reactions[${i}]`;
    expectObject(r, what);
    expectString(r.object, `${what}.object`);
    expectString(r.event, `${what}.event`);
    const params = expectArray(r.params === undefined ? [] : r.params, `${what}.params`);
    params.forEach((p) => expectString(p, `${what}.params[]`));
    const body = expectArray(r.body, `${what}.body`);
    body.forEach((e) => expectObject(e, `${what}.body[]`));
    return { object: r.object, event: r.event, params, body, once: r.once === true };
  });
}

function requireCase() {
  if (!inCase) throw new DriverError('no case in progress (send `begin` first)');
}

function evalRequest(req) {
  requireCase();
  const observe = expectArray(req.observe === undefined ? [] : req.observe, '`observe`');
  observe.forEach((ev) => expectString(ev, '`observe[]`'));
  if (req.assign !== undefined) expectString(req.assign, '`assign`');
  let value;
  try {
    value = evaluate(req.expr);
  } catch (e) {
    if (e instanceof JsThrow) return { type: 'throw', id: req.id, error: encode(e.value) };
    throw e;
  }
  if (req.assign !== undefined) register(req.assign, value);
  if (observe.length > 0 && isEmitter(value)) {
    nameOf(value);
    for (const ev of observe) subscribe(value, ev, true);
  }
  if (req.assign !== undefined && isEmitter(value)) attachReactions(req.assign, value);
  return { type: 'result', id: req.id, value: encode(value) };
}

function observeRequest(req) {
  requireCase();
  const name = expectString(req.object, '`object`');
  const events = expectArray(req.events, '`events`');
  events.forEach((ev) => expectString(ev, '`events[]`'));
  if (!registry.has(name)) throw new DriverError(`unknown object '${name}'`);
  const obj = registry.get(name);
  if (!isEmitter(obj)) throw new DriverError(`object '${name}' is not an event emitter`);
  for (const ev of events) subscribe(obj, ev, true);
  return { type: 'ok', id: req.id };
}

// Handles one request; returns the reply (or a promise of it), or null.
function handleRequest(req) {
  switch (req.op) {
    case 'begin': {
      const list = validateCaptures(req.captures);
      const declared = validateReactions(req.reactions);
      const observeDefaults = validateDefaults(req.defaults);
      const start = () => {
        forgetAll();
        generation += 1;
        captures = list;
        reactions = declared;
        defaults = observeDefaults;
        inCase = true;
        return { type: 'ok', id: req.id };
      };
      if (inCase || registry.size > 0 || tracked.size > 0) return teardown().then(start);
      return start();
    }
    case 'eval':
      return evalRequest(req);
    case 'observe':
      return observeRequest(req);
    case 'end':
      return teardown().then(() => ({ type: 'ok', id: req.id }));
    default:
      throw new DriverError(`unknown op ${JSON.stringify(req.op)}`);
  }
}

function errorReply(id, e) {
  const message =
    e instanceof DriverError ? e.message : `driver failure: ${e && e.stack ? e.stack : String(e)}`;
  if (!(e instanceof DriverError)) log(message);
  return { type: 'error', id, message };
}

// One input line -> a queue item: {req} or {reply} (a request that could not
// be parsed but whose id could be recovered) or null.
function parseLine(line) {
  let req;
  try {
    req = JSON.parse(line);
  } catch (e) {
    const m = /"id"\s*:\s*(\d+)/.exec(line);
    if (m) {
      return { reply: { type: 'error', id: Number(m[1]), message: `malformed request: ${e.message}` } };
    }
    log(`ignoring a line that is not JSON (${e.message}): ${line.slice(0, 200)}`);
    return null;
  }
  if (req === null || typeof req !== 'object' || Array.isArray(req)) {
    log(`ignoring a line that is not a JSON object: ${line.slice(0, 200)}`);
    return null;
  }
  if (req.op === 'bye') return { bye: true };
  if (typeof req.id !== 'number') {
    log(`ignoring a request without a numeric id: ${line.slice(0, 200)}`);
    return null;
  }
  return { req };
}

// ---------------------------------------------------------------------------
// The request loop: strictly in order, one at a time.

const queue = [];
let pumping = false;

function enqueue(item) {
  queue.push(item);
  if (!pumping) pump();
}

function waitDrain() {
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}

async function pump() {
  pumping = true;
  try {
    while (queue.length > 0) {
      if (stdoutBackedUp()) await waitDrain();
      const item = queue.shift();
      if (item.exit) return shutdown();
      if (item.reply) {
        send(item.reply);
        continue;
      }
      let reply;
      try {
        reply = handleRequest(item.req);
        if (reply && typeof reply.then === 'function') reply = await reply;
      } catch (e) {
        reply = errorReply(item.req.id, e);
      }
      if (reply) {
        try {
          send(reply);
        } catch (e) {
          // e.g. a value JSON cannot hold
          send(errorReply(item.req.id, e));
        }
      }
    }
  } finally {
    pumping = false;
  }
}

let shuttingDown = false;
function shutdown() {
  if (shuttingDown) return;
  shuttingDown = true;
  generation += 1;
  inCase = false;
  destroyAll();
  const exit = () => process.exit(0);
  if (process.stdout.writableLength > 0) {
    process.stdout.once('drain', exit);
    setTimeout(exit, TEARDOWN_MS).unref();
  } else {
    exit();
  }
}

function startReading() {
  let buffered = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      let line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line.trim() === '') continue;
      const item = parseLine(line);
      if (item && item.bye) {
        enqueue({ exit: true });
      } else if (item) {
        enqueue(item);
      }
    }
  });
  const finish = () => {
    if (buffered.trim() !== '') {
      const item = parseLine(buffered);
      buffered = '';
      if (item && !item.bye) enqueue(item);
    }
    enqueue({ exit: true });
  };
  process.stdin.on('end', finish);
  process.stdin.on('error', (e) => {
    log('stdin:', e && e.message);
    finish();
  });
}

// ---------------------------------------------------------------------------
// Uncaught exceptions: an event on the pseudo object `process` (see the
// protocol's appendix). The driver lives on.

process.on('uncaughtException', (err) => {
  if (inCase && !shuttingDown) {
    try {
      send({ type: 'event', object: 'process', event: 'uncaughtException', args: [encode(err)] });
      return;
    } catch (e) {
      log('could not report an uncaught exception:', e);
    }
  }
  log('uncaught exception outside a case:', err);
});

// ---------------------------------------------------------------------------
// Start-up: probe the environment, say hello, read requests.

function identity() {
  if (process.versions && process.versions.bun) {
    return { implementation: 'bun', version: process.versions.bun };
  }
  if (typeof globalThis.Deno === 'object' && globalThis.Deno && globalThis.Deno.version) {
    return { implementation: 'deno', version: globalThis.Deno.version.deno };
  }
  return { implementation: 'node', version: process.version };
}

function probeIPv6() {
  return new Promise((resolve) => {
    let net;
    try {
      net = require('node:net');
    } catch (_) {
      resolve(false);
      return;
    }
    let settled = false;
    const done = (ok) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 2000);
    try {
      const server = net.createServer();
      server.once('error', () => done(false));
      server.listen(0, '::1', () => server.close(() => done(true)));
    } catch (_) {
      done(false);
    }
  });
}

// Whether a UDP socket receives what it sends to a multicast group through
// the loopback interface (sandboxed network stacks may drop it).
function probeMulticast() {
  return new Promise((resolve) => {
    let dgram;
    try {
      dgram = require('node:dgram');
    } catch (_) {
      resolve(false);
      return;
    }
    let socket;
    let settled = false;
    const done = (ok) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        socket.close();
      } catch (_) {
        // closed already
      }
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 1000);
    try {
      socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
      const group = '239.255.77.77';
      socket.once('error', () => done(false));
      socket.on('message', (msg) => done(msg.toString() === 'probe'));
      socket.bind(0, () => {
        try {
          socket.addMembership(group, '127.0.0.1');
          socket.setMulticastInterface('127.0.0.1');
          socket.setMulticastLoopback(true);
          socket.send('probe', socket.address().port, group);
        } catch (_) {
          done(false);
        }
      });
    } catch (_) {
      done(false);
    }
  });
}

// Whether looking up a `.invalid` name fails with ENOTFOUND (an offline
// resolver may answer EAI_AGAIN instead).
function probeEnotfound() {
  return new Promise((resolve) => {
    try {
      require('node:dns').lookup('nonexistent.invalid', (err) => resolve(!!err && err.code === 'ENOTFOUND'));
    } catch (_) {
      resolve(false);
    }
  });
}

async function main() {
  const features = [];
  if (process.platform !== 'win32') features.push('unix-sockets');
  if (await probeIPv6()) features.push('ipv6');
  if (await probeMulticast()) features.push('multicast');
  if (await probeEnotfound()) features.push('dns-enotfound');
  loadModules();
  const modules = Object.keys(MODULES).filter((name) => loaded.has(name));
  send({ type: 'hello', protocol: PROTOCOL, ...identity(), node: process.version, features, modules });
  startReading();
}

main().catch((e) => {
  log('start-up failed:', e);
  process.exit(1);
});
