//! The statements the harness runs itself: the wire peer's
//! (`raw = wire.connect(port)`, `raw.write(…)`, `srv = wire.listen()`),
//! whose arguments the implementation evaluates first.

use super::{Run, Stop, describe_error};
use crate::protocol::{Message, Request, Value};
use crate::spec::ast::Ast;
use crate::spec::vocabulary;

impl Run<'_> {
    /// Runs a harness statement (see [`Run::harness_call`]).
    pub(super) async fn harness_statement(
        &mut self,
        assign: Option<&str>,
        target: Option<&str>,
        method: &str,
        args: &[Ast],
        at: &str,
    ) -> Result<(), Stop> {
        let mut values = Vec::new();
        for a in args {
            values.push(self.value_of(a, at).await?);
        }
        let done = match (assign, target) {
            (Some(name), None) if method == "listen" => {
                let captures = self
                    .lc
                    .plan
                    .captures
                    .iter()
                    .filter(|c| c.object == name && c.event == "connection")
                    .map(|c| (c.nth, c.name.clone()))
                    .collect();
                self.wire.listen(name, captures)
            }
            (Some(name), None) => self.wire.connect(name, &values),
            (None, Some(peer)) => self.wire.call(peer, method, &values),
            _ => Err(format!("`{method}` cannot be used this way")),
        };
        done.map_err(|e| Stop::Fail(format!("{at}: {e}")))?;
        Ok(())
    }

    /// A statement the harness runs itself (`wire.connect(…)`,
    /// `peer.write(…)`): the peer's name (`None` for the module), the
    /// method and the arguments.
    pub(super) fn harness_call<'e>(
        &self,
        e: &'e Ast,
    ) -> Option<(Option<&'e str>, &'e str, &'e [Ast])> {
        let Ast::Call(target, method, args, _) = e else {
            return None;
        };
        let Ast::Ident(name, _) = target.as_ref() else {
            return None;
        };
        match self.lc.plan.objects.get(name) {
            Some(class) if vocabulary::harness_class(class) => Some((Some(name), method, args)),
            None if vocabulary::module(name)
                .is_some_and(|m| m.kind == vocabulary::ModuleKind::Harness) =>
            {
                Some((None, method, args))
            }
            _ => None,
        }
    }

    /// Whether `name` is one of the harness's own objects (a wire peer or
    /// server).
    pub(super) fn is_harness_object(&self, name: &str) -> bool {
        self.lc
            .plan
            .objects
            .get(name)
            .is_some_and(|c| vocabulary::harness_class(c))
    }

    /// The value of an argument of a harness statement: a literal as it
    /// is, anything else evaluated by the implementation
    /// (`server.address().port`).
    pub(super) async fn value_of(&mut self, a: &Ast, at: &str) -> Result<Value, Stop> {
        if let Ast::Lit(v) = a {
            return Ok(v.clone());
        }
        let id = self.id();
        let request = Request::Eval {
            id,
            expr: self.to_expr(a),
            assign: None,
            observe: Vec::new(),
        };
        match self.request(request, Some(at)).await? {
            Message::Result { value, .. } => Ok(value),
            Message::Throw { error, .. } => Err(Stop::Fail(format!(
                "{at}: an argument threw {}",
                describe_error(&error)
            ))),
            Message::Error { message, .. } => Err(Stop::Fail(format!(
                "{at}: the driver could not evaluate an argument: {message}"
            ))),
            other => Err(Stop::Lost(format!("{at}: unexpected reply {other:?}"))),
        }
    }
}
