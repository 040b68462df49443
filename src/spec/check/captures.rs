//! The captures pass: names a case declares for values that arrive as event
//! arguments (`wait server connection as peer`, `wait sock message as msg,
//! rinfo`, or `server connection peer` in the events block), collected
//! before the script is checked because the script may use them.

use std::collections::BTreeMap;

use super::{Checker, Kind, Pending, class_of};
use crate::protocol::Capture;
use crate::spec::ast::*;
use crate::spec::vocabulary::{self as vocab, Class, Ty};

/// Declares every capture of the case in `c`'s plan and pending names.
pub(super) fn declare(c: &mut Checker, script: &[Stmt], events: Option<&[EventLine]>) {
    // Captures are declared in the events block but may be used by the
    // script, so collect them first (their sources must be script objects).
    let mut script_names: BTreeMap<String, ()> = BTreeMap::new();
    for s in script {
        if let StmtKind::Eval {
            assign: Some(n), ..
        } = &s.kind
        {
            script_names.insert(n.clone(), ());
        }
        if let StmtKind::Eval { expr, .. } = &s.kind {
            collect_callbacks(expr, &mut script_names);
        }
    }
    // `wait server connection as peer` and `wait sock message as msg,
    // rinfo` declare captures in the script.
    let mut wait_counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for s in script {
        let StmtKind::Wait {
            object,
            event,
            captures,
            ..
        } = &s.kind
        else {
            continue;
        };
        let n = wait_counts
            .entry((object.clone(), event.clone()))
            .or_default();
        *n += 1;
        if captures.is_empty() {
            continue;
        }
        let source = class_for_capture_source(script, object, &c.pending);
        let Some(ev) = source.and_then(|cls| cls.event(event)) else {
            continue; // the script pass reports the unknown object or event
        };
        let callback = source.is_some_and(|cls| cls.id == vocab::CALLBACK.id);
        for (arg, name) in captures.iter().enumerate() {
            let Some(name) = name else { continue };
            if !callback && arg >= ev.args.len() {
                c.err(
                    s.pos,
                    format!(
                        "`{event}` passes {} argument(s): nothing to capture as `{name}`",
                        ev.args.len()
                    ),
                );
                continue;
            }
            if script_names.contains_key(name)
                || c.pending.contains_key(name)
                || vocab::reserved(name)
            {
                c.err(s.pos, format!("`{name}` is already defined"));
                continue;
            }
            let ty = ev.args.get(arg).map_or(Ty::Value, |a| a.ty);
            c.pending
                .insert(name.clone(), (object.clone(), event.clone(), *n, ty));
            c.plan.captures.push(Capture {
                object: object.clone(),
                event: event.clone(),
                nth: *n,
                arg,
                name: name.clone(),
                observe: Vec::new(),
            });
            if let Ty::Class(cls) = ty {
                c.plan.objects.insert(name.clone(), cls);
            }
        }
    }
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for line in events.unwrap_or(&[]) {
        let n = counts
            .entry((line.object.clone(), line.event.clone()))
            .or_default();
        *n += 1;
        let nth = *n;
        for (i, a) in line.args.iter().enumerate() {
            let Pattern::Name(name) = &a.pattern else {
                continue;
            };
            if let Some((src, ev, n, _)) = c.pending.get(name) {
                // Already captured by a `wait … as`: it must be the same event.
                if (src, ev) == (&line.object, &line.event) && *n != nth {
                    c.err(
                        line.pos,
                        format!("`{name}` was captured by `{src} {ev}` #{n}, but this is #{nth}"),
                    );
                }
                continue;
            }
            if script_names.contains_key(name) || name == &line.object {
                continue;
            }
            // Which class will the captured object have? The source's event says.
            let source_class = class_for_capture_source(script, &line.object, &c.pending);
            let Some(src) = source_class else {
                c.err(line.pos, format!("unknown name `{name}`: to name an object passed to an event, capture it from an object's event, e.g. `server connection peer`"));
                continue;
            };
            let Some(ev) = src.event(&line.event) else {
                continue;
            };
            let arg = match &a.name {
                Some(n) => ev.args.iter().position(|x| x.name == n).unwrap_or(i),
                None => i,
            };
            match ev.args.get(arg).map(|a| a.ty) {
                Some(Ty::Class(cls)) => {
                    c.pending.insert(name.clone(), (line.object.clone(), line.event.clone(), nth, Ty::Class(cls)));
                    c.plan.captures.push(Capture {
                        object: line.object.clone(),
                        event: line.event.clone(),
                        nth,
                        arg,
                        name: name.clone(),
                        observe: Vec::new(),
                    });
                    c.plan.objects.insert(name.clone(), cls);
                }
                _ => c.err(
                    line.pos,
                    format!("unknown name `{name}` (argument {} of `{}` is a value, not an object to capture)", arg + 1, line.event),
                ),
            }
        }
    }
}

pub(super) fn collect_callbacks(e: &Ast, names: &mut BTreeMap<String, ()>) {
    match e {
        Ast::Callback(n, _) => {
            names.insert(n.clone(), ());
        }
        Ast::Get(t, _, _) => collect_callbacks(t, names),
        Ast::Set(t, _, v, _) => {
            collect_callbacks(t, names);
            collect_callbacks(v, names);
        }
        Ast::Call(t, _, args, _) | Ast::New(t, args, _) => {
            collect_callbacks(t, names);
            args.iter().for_each(|a| collect_callbacks(a, names));
        }
        Ast::Typeof(v) => collect_callbacks(v, names),
        Ast::InstanceOf(v, c, _) => {
            collect_callbacks(v, names);
            collect_callbacks(c, names);
        }
        Ast::Object(m) => m.iter().for_each(|(_, a)| collect_callbacks(a, names)),
        Ast::Array(items) => items.iter().for_each(|a| collect_callbacks(a, names)),
        Ast::Lit(_) | Ast::Ident(..) | Ast::TempPath(_) | Ast::Fixture { .. } => {}
    }
}

/// The class of an object that captures come from: a script variable whose
/// type a quick pass can tell, or an earlier capture.
fn class_for_capture_source(
    script: &[Stmt],
    object: &str,
    pending: &Pending,
) -> Option<&'static Class> {
    if let Some((_, _, _, ty)) = pending.get(object) {
        return class_of(*ty);
    }
    let mut callbacks = BTreeMap::new();
    for s in script {
        if let StmtKind::Eval { expr, .. } = &s.kind {
            collect_callbacks(expr, &mut callbacks);
        }
    }
    if callbacks.contains_key(object) {
        return Some(&vocab::CALLBACK);
    }
    // A throwaway checker over the script gives the variable's type.
    let mut c = Checker::new();
    for s in script {
        if let StmtKind::Eval {
            assign: Some(n),
            expr,
            ..
        } = &s.kind
        {
            let t = match c.harness_call(expr) {
                Some(t) => t,
                None => c.expr(expr),
            };
            c.env.insert(n.clone(), Kind::Obj(t));
            if n == object {
                return class_of(t);
            }
        }
    }
    None
}
