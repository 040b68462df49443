//! The `http.Agent` binding.

use std::any::Any;
use std::sync::Arc;

use super::super::socket_value;
use super::client::client_value;
use crate::driver::reference::host::{
    Eval, Failure, HostListener, HostObject, count_listeners, same_object, subscribe_to,
};
use crate::driver::reference::js::{JsVal, Props};
use crate::driver::reference::session::Session;
use crate::http::{Agent, AgentEvent, Scheduling};

/// An `Agent` as scripts see it.
pub struct AgentHost(pub Agent);

impl PartialEq for AgentHost {
    fn eq(&self, other: &AgentHost) -> bool {
        self.0.ptr_eq(&other.0)
    }
}

/// An agent as a JavaScript value.
pub fn agent_value(agent: Agent) -> JsVal {
    JsVal::Host(Arc::new(AgentHost(agent)))
}

fn event_args(e: &AgentEvent) -> Vec<JsVal> {
    match e {
        // The options Node passes are the request's merged with the
        // agent's; the ones that name the origin are given here.
        AgentEvent::Free(s, origin) => {
            let mut p = Props::new();
            p.insert("host", JsVal::String(origin.host.clone()));
            p.insert("port", JsVal::Number(origin.port.into()));
            vec![socket_value(s.clone()), JsVal::Object(p)]
        }
    }
}

/// `{name: [items]}`, as `agent.sockets` and its siblings show a pool.
fn by_name<T>(list: Vec<(String, Vec<T>)>, value: fn(T) -> JsVal) -> JsVal {
    let mut p = Props::new();
    for (name, items) in list {
        p.insert(name, JsVal::Array(items.into_iter().map(value).collect()));
    }
    JsVal::Object(p)
}

impl HostObject for AgentHost {
    fn class(&self) -> &'static str {
        if self.0.options().protocol == "https:" {
            "https.Agent"
        } else {
            "http.Agent"
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn same(&self, other: &dyn HostObject) -> bool {
        same_object(self, other)
    }

    fn get(&self, _cx: &Session, property: &str) -> Result<Option<JsVal>, Failure> {
        let a = &self.0;
        let o = a.options();
        Ok(Some(match property {
            "defaultPort" => JsVal::Number(o.default_port.into()),
            "protocol" => JsVal::String(o.protocol.into()),
            "maxCachedSessions" => match o.max_cached_sessions {
                Some(n) => JsVal::Number(n as f64),
                None => return Ok(None),
            },
            // Node's `this.options`: what was given, with `noDelay` and
            // `path` set by the constructor.
            "options" => {
                let mut p = Props::new();
                if o.keep_alive {
                    p.insert("keepAlive", JsVal::Bool(true));
                }
                if o.timeout > 0 {
                    p.insert("timeout", JsVal::Number(o.timeout as f64));
                }
                if let Some(n) = o.max_cached_sessions.filter(|n| *n != 100) {
                    p.insert("maxCachedSessions", JsVal::Number(n as f64));
                }
                p.insert("noDelay", JsVal::Bool(o.no_delay));
                p.insert("path", JsVal::Null);
                JsVal::Object(p)
            }
            "keepAlive" => JsVal::Bool(o.keep_alive),
            "keepAliveMsecs" => JsVal::Number(o.keep_alive_msecs as f64),
            "maxSockets" => JsVal::Number(o.max_sockets),
            "maxFreeSockets" => JsVal::Number(o.max_free_sockets),
            "maxTotalSockets" => JsVal::Number(o.max_total_sockets),
            "scheduling" => JsVal::String(
                match o.scheduling {
                    Scheduling::Lifo => "lifo",
                    Scheduling::Fifo => "fifo",
                }
                .into(),
            ),
            "totalSocketCount" => JsVal::Number(a.total_socket_count() as f64),
            "sockets" => by_name(a.pool().sockets, socket_value),
            "freeSockets" => by_name(a.pool().free, socket_value),
            "requests" => by_name(a.pool().requests, client_value),
            _ => return Ok(None),
        }))
    }

    fn call(&self, cx: &Session, _this: &JsVal, method: &str, args: Vec<JsVal>) -> Eval {
        let _ = (cx, args);
        match method {
            "destroy" => {
                self.0.destroy();
                Ok(JsVal::Undefined)
            }
            other => Err(Failure::unsupported(format!("http.Agent.{other}"))),
        }
    }

    fn subscribe(&self, event: &str, once: bool, listener: HostListener) -> Result<(), String> {
        subscribe_to(&self.0, event, once, listener, event_args)
    }

    fn listener_count(&self, event: &str) -> Option<usize> {
        count_listeners(&self.0, event)
    }

    fn teardown(&self) {}
}

#[cfg(test)]
mod tests {
    use crate::events::EventKind;
    use crate::http::AgentEventKind;

    #[test]
    fn the_vocabulary_lists_what_the_reference_emits() {
        let emitted: Vec<&str> = AgentEventKind::ALL.iter().map(|k| k.name()).collect();
        super::super::super::assert_events_match(
            "http.Agent",
            &emitted,
            &["newListener", "removeListener"],
        );
    }
}
