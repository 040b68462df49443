//! The spec model: a case's script and expected events, as parsed.

use std::time::Duration;

use crate::protocol::Value;

/// A 1-based position in a spec file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

/// An expression in a script line.
#[derive(Debug, Clone, PartialEq)]
pub enum Ast {
    /// A literal, already computed (`Buffer.alloc(4, "x")` arrives as bytes).
    Lit(Value),
    /// A variable or a module name.
    Ident(String, Pos),
    Get(Box<Ast>, String, Pos),
    Set(Box<Ast>, String, Box<Ast>, Pos),
    Call(Box<Ast>, String, Vec<Ast>, Pos),
    /// `new net.Socket(args)` or `new Error("boom")`: the constructor
    /// (`Get(net, Socket)` or `Ident(Error)`) and the arguments.
    New(Box<Ast>, Vec<Ast>, Pos),
    /// `typeof value`.
    Typeof(Box<Ast>),
    /// `value instanceof Class`.
    InstanceOf(Box<Ast>, Box<Ast>, Pos),
    Object(Vec<(String, Ast)>),
    Array(Vec<Ast>),
    /// `@name`.
    Callback(String, Pos),
    /// `tempPath("name")`, resolved per run.
    TempPath(String),
    /// `fixture("tls/ca.pem")`: a file under the suite's `fixtures/`, as a
    /// string. `contents` is filled in when the spec is loaded from its
    /// directory ([`load_file`](super::load_file)).
    Fixture {
        path: String,
        pos: Pos,
        contents: Option<String>,
    },
}

/// What a line expects of its result.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    Returns(Pattern),
    Throws(Pattern),
}

#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    Eval {
        assign: Option<String>,
        expr: Ast,
        expect: Option<Expect>,
    },
    Wait {
        object: String,
        event: String,
        args: Vec<ArgPattern>,
        event_col: usize,
        /// `as a, b`: names the event's arguments in order (`None` for a
        /// `_` that skips one). Objects become named objects, plain values
        /// script variables.
        captures: Vec<Option<String>>,
        within: Option<Duration>,
    },
    /// `on obj event (a, b) => action; action`: a reaction, run inside the
    /// listener whenever (or, with `once`, the first time) `obj` emits
    /// `event`. Attached when `obj` is named, wherever the line stands.
    On {
        object: String,
        event: String,
        event_col: usize,
        params: Vec<String>,
        body: Vec<Ast>,
        once: bool,
    },
    Sleep(Duration),
    Observe {
        object: String,
        events: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub pos: Pos,
    /// The line as written, for reports.
    pub text: String,
}

/// A pattern that a value is matched against.
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    Any,
    Exact(Value),
    /// `<string>`, `<number>`, `<boolean>`, `<Buffer>`, `<object>`.
    Type(String),
    /// `{k: p}`: a plain object with exactly these properties (`{k: p,
    /// ...}`: at least these). `RangeError {k: p}`: an error of exactly
    /// that class with these properties, and with no `code` unless the
    /// pattern names one.
    Object {
        class: Option<String>,
        props: Vec<(String, Pattern)>,
        /// `...`: other properties may follow (plain objects only).
        rest: bool,
    },
    Array(Vec<Pattern>),
    /// A named object, or a capture where the name is new.
    Name(String),
    /// Any object of this class (`Socket`).
    Class(String),
    /// `Buffer.concat(["…Date: ", <date>, "\r\n…"])`: a Buffer of exactly
    /// these bytes, where each `<date>` stands for an HTTP date (an
    /// IMF-fixdate: `Mon, 30 Nov 2026 09:00:00 GMT`), the one part of a
    /// response Node makes itself that a case cannot fix, and `<name>`
    /// for a script variable's value (a port in a client's `Host`).
    Template(Vec<Piece>),
}

/// A piece of a [`Pattern::Template`].
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// These bytes.
    Bytes(Vec<u8>),
    /// An HTTP date, 29 bytes.
    Date,
    /// `<port>`: the value of a script variable, as JavaScript's
    /// `String(value)` writes it (a port the case learned at run time).
    Var(String),
}

/// One argument pattern of an event line: positional or `name=pattern`.
#[derive(Debug, Clone, PartialEq)]
pub struct ArgPattern {
    pub name: Option<String>,
    pub pattern: Pattern,
    pub col: usize,
}

/// One line of an `events` block.
#[derive(Debug, Clone, PartialEq)]
pub struct EventLine {
    pub object: String,
    pub event: String,
    pub args: Vec<ArgPattern>,
    pub pos: Pos,
    /// Where the event name starts, for errors about it.
    pub event_col: usize,
}

/// How `data` events are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Chunks {
    /// Consecutive `data` events are joined first.
    #[default]
    Joined,
    Exact,
}

/// A case's metadata comment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Meta {
    pub id: Option<String>,
    pub docs: Option<String>,
    pub node: Option<String>,
    pub requires: Vec<String>,
    pub timeout: Option<Duration>,
    pub chunks: Chunks,
    /// The catalogue items (`catalogue/node-api.md`) the case pins down,
    /// by id: `net.connect(options)`, `net.Socket 'close'`.
    pub covers: Vec<String>,
}

/// A fenced block's content with the file line of its first content line.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub lines: Vec<String>,
    pub first_line: usize,
    /// Line of the opening fence and of the closing fence.
    pub fence: (usize, usize),
}

/// One case: a `##` section with a script.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// `net/half-open/client-ends-first`.
    pub id: String,
    pub title: String,
    pub file: String,
    pub pos: Pos,
    pub meta: Meta,
    /// The Node docs link the case pins down.
    pub docs: Option<String>,
    pub script: Vec<Stmt>,
    pub events: Option<Vec<EventLine>>,
    /// Where the events block sits (for `record`).
    pub events_block: Option<Block>,
    pub script_block: Block,
}
