//! `wait obj event …`: blocks until the trace holds what it waits for.

use std::time::{Duration, Instant};

use super::{Run, Stop};
use crate::harness::matcher;
use crate::protocol::Value;
use crate::spec::ast::ArgPattern;
use crate::spec::vocabulary;

impl Run<'_> {
    /// Waits until `object` emitted `event` once more than every earlier
    /// wait for it saw (matching `args` if any), or, for a joined stream,
    /// until the bytes after the previous data wait contain the text.
    pub(super) async fn wait(
        &mut self,
        object: &String,
        event: &String,
        args: &[ArgPattern],
        limit: Duration,
        at: &str,
    ) -> Result<(), Stop> {
        let deadline = Instant::now() + limit;
        let class = self.lc.plan.objects.get(object).copied();
        if vocabulary::joins(class, event) {
            // Waits for a joined stream share one cursor per object:
            // a byte offset into everything it received. With text,
            // wait until it appears past the cursor; without, until
            // any new byte.
            let needle = match args.first().map(|a| &a.pattern) {
                Some(crate::spec::Pattern::Exact(Value::String(s))) => s.as_bytes().to_vec(),
                Some(crate::spec::Pattern::Exact(Value::Buffer(b))) => b.clone(),
                _ => Vec::new(),
            };
            let from = self.data_consumed.get(object).copied().unwrap_or(0);
            loop {
                let bytes = self.trace.joined_bytes(object, event);
                let rest = &bytes[from.min(bytes.len())..];
                let reached = if needle.is_empty() {
                    (!rest.is_empty()).then_some(bytes.len())
                } else {
                    find(rest, &needle).map(|at| from + at + needle.len())
                };
                if let Some(cursor) = reached {
                    self.data_consumed.insert(object.clone(), cursor);
                    break;
                }
                self.pump_until(deadline, at, limit).await?;
            }
        } else {
            let key = (object.clone(), event.clone());
            let seen = self.consumed.get(&key).copied().unwrap_or(0);
            loop {
                let list = self
                    .trace
                    .objects
                    .get(object)
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                let hit = list
                    .iter()
                    .filter(|o| o.event == *event)
                    .enumerate()
                    .skip(seen)
                    .find(|(_, o)| matcher::wait_matches(class, event, args, o, &self.trace.vars));
                if let Some((k, _)) = hit {
                    self.consumed.insert(key, k + 1);
                    self.trace.bind_captures(&self.lc.plan);
                    break;
                }
                self.pump_until(deadline, at, limit).await?;
            }
        }
        Ok(())
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
