//! Counters per event source, e.g. `{"IdentityNotifierFunction.Notifications": {"kind": "sqs",
//! "batches": 3, "records": 12, "failed_batches": 1, ...}}`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{Map, Value};

#[derive(Default)]
pub struct Stats {
    sources: Mutex<BTreeMap<String, Source>>,
}

#[derive(Default)]
struct Source {
    kind: &'static str,
    counters: BTreeMap<&'static str, u64>,
}

impl Stats {
    pub fn register(&self, source: &str, kind: &'static str) {
        if let Ok(mut sources) = self.sources.lock() {
            sources.entry(source.to_string()).or_default().kind = kind;
        }
    }

    pub fn add(&self, source: &str, counter: &'static str, amount: u64) {
        if let Ok(mut sources) = self.sources.lock() {
            *sources
                .entry(source.to_string())
                .or_default()
                .counters
                .entry(counter)
                .or_default() += amount;
        }
    }

    pub fn snapshot(&self) -> Value {
        let Ok(sources) = self.sources.lock() else {
            return Value::Object(Map::new());
        };
        let mut out = Map::new();
        for (name, source) in sources.iter() {
            let mut entry = Map::new();
            entry.insert("kind".into(), Value::from(source.kind));
            for (counter, value) in &source.counters {
                entry.insert(counter.to_string(), Value::from(*value));
            }
            out.insert(name.clone(), Value::Object(entry));
        }
        Value::Object(out)
    }
}

/// The stats key of a function's event source.
pub fn source_key(function: &str, event: &str) -> String {
    format!("{function}.{event}")
}
