//! Schedules (`Type: Schedule` / `ScheduleV2`): `rate(...)` and AWS `cron(...)` expressions,
//! invoked asynchronously with EventBridge's scheduled-event payload or the declared `Input`.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use super::stats::source_key;
use super::{asynchronous, Context, TriggerError};
use crate::control::InvokeError;
use crate::template::{EventSource, ScheduleSource, Stack};

#[derive(Debug, Clone)]
pub enum Expression {
    Rate(Duration),
    Cron(Box<cron::Schedule>),
}

impl Expression {
    /// `rate(5 minutes)`, `rate(1 hour)`, `cron(0/20 * * * ? *)`, with AWS's validation.
    pub fn parse(text: &str) -> Result<Expression, String> {
        let text = text.trim();
        if let Some(inner) = text.strip_prefix("rate(").and_then(|t| t.strip_suffix(')')) {
            return parse_rate(inner).map(Expression::Rate);
        }
        if let Some(inner) = text.strip_prefix("cron(").and_then(|t| t.strip_suffix(')')) {
            let converted = aws_cron_to_crate(inner)?;
            let schedule =
                cron::Schedule::from_str(&converted).map_err(|e| format!("invalid cron expression {text}: {e}"))?;
            return Ok(Expression::Cron(Box::new(schedule)));
        }
        Err(format!(
            "unsupported schedule expression {text:?}: use rate(...) or cron(...)"
        ))
    }

    /// The first fire time strictly after `after` (rates count from `after`).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Expression::Rate(period) => Some(after + chrono::Duration::from_std(*period).ok()?),
            Expression::Cron(schedule) => schedule.after(&after).next(),
        }
    }
}

fn parse_rate(inner: &str) -> Result<Duration, String> {
    let invalid = || format!("invalid rate expression rate({inner}): use e.g. rate(1 minute) or rate(5 minutes)");
    let mut parts = inner.split_whitespace();
    let (Some(value), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    let value: u64 = value.parse().map_err(|_| invalid())?;
    if value == 0 {
        return Err(invalid());
    }
    // AWS wants the singular for 1 and the plural otherwise.
    let seconds = match (unit, value == 1) {
        ("minute", true) | ("minutes", false) => 60,
        ("hour", true) | ("hours", false) => 3600,
        ("day", true) | ("days", false) => 86_400,
        _ => return Err(invalid()),
    };
    Ok(Duration::from_secs(value * seconds))
}

/// AWS cron (`minutes hours day-of-month month day-of-week year`, one of the two days `?`) in
/// the `cron` crate's format (seconds first). Days of the week are 1-7 = SUN-SAT in both.
pub fn aws_cron_to_crate(fields: &str) -> Result<String, String> {
    let parts: Vec<&str> = fields.split_whitespace().collect();
    if parts.len() != 6 {
        return Err(format!(
            "cron({fields}) must have 6 fields: minutes hours day-of-month month day-of-week year"
        ));
    }
    let (day_of_month, day_of_week) = (parts[2], parts[4]);
    if (day_of_month == "?") == (day_of_week == "?") {
        return Err(format!(
            "cron({fields}): exactly one of day-of-month and day-of-week must be '?'"
        ));
    }
    // Last-day, weekday-nearest and nth-weekday forms; no day or month name contains them there.
    if day_of_month.contains(['L', 'W']) || day_of_week.contains('#') || day_of_week.ends_with('L') {
        return Err(format!(
            "cron({fields}): L, W and # are not supported by the local platform"
        ));
    }
    Ok(format!("0 {}", parts.join(" ")))
}

/// One function's schedule.
#[derive(Clone)]
pub struct Schedule {
    pub function: String,
    pub key: String,
    pub source: ScheduleSource,
    pub expression: Expression,
    pub input: Option<Value>,
    pub rule_arn: String,
}

impl Schedule {
    pub fn all(stack: &Stack) -> Result<Vec<Schedule>, TriggerError> {
        let mut schedules = Vec::new();
        for function in &stack.functions {
            for event in &function.events {
                let EventSource::Schedule(source) = event else { continue };
                let key = source_key(&function.logical_id, &source.event_name);
                let invalid = |message: String| TriggerError::Invalid {
                    source_name: key.clone(),
                    message,
                };
                let expression = Expression::parse(&source.expression).map_err(invalid)?;
                let input = source
                    .input
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(|e| invalid(format!("Input is not valid JSON: {e}")))?;
                let rule_arn = format!(
                    "arn:aws:events:{}:{}:rule/{}-{}-{}",
                    stack.region, stack.account_id, stack.name, function.logical_id, source.event_name
                );
                schedules.push(Schedule {
                    function: function.logical_id.clone(),
                    key,
                    source: source.clone(),
                    expression,
                    input,
                    rule_arn,
                });
            }
        }
        Ok(schedules)
    }

    /// The payload for a fire at `time` (to the second, as EventBridge writes it); the declared
    /// `Input`, if any, unchanged.
    pub fn payload(&self, stack: &Stack, time: DateTime<Utc>) -> Value {
        if let Some(input) = &self.input {
            return input.clone();
        }
        json!({
            "version": "0",
            "id": uuid::Uuid::new_v4().to_string(),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": stack.account_id,
            "time": time.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "region": stack.region,
            "resources": [self.rule_arn],
            "detail": {},
        })
    }

    /// Fires now, with `time` as the event's `time`, and answers the function's result (no
    /// retries: the caller sees the error).
    pub async fn fire_now(&self, context: &Context, time: DateTime<Utc>) -> Result<Value, InvokeError> {
        context.stats.add(&self.key, "fired_manually", 1);
        context.stats.add(&self.key, "invocations", 1);
        let result = context
            .invoker
            .invoke(&self.function, self.payload(&context.stack, time))
            .await;
        if result.is_err() {
            context.stats.add(&self.key, "failed_invocations", 1);
        }
        result
    }
}

pub fn start(context: &Arc<Context>, schedules: &[Schedule]) -> Vec<JoinHandle<()>> {
    let mut tasks = Vec::new();
    for schedule in schedules {
        context.stats.register(&schedule.key, "schedule");
        if !schedule.source.enabled {
            continue;
        }
        let context = Arc::clone(context);
        let schedule = schedule.clone();
        tasks.push(tokio::spawn(async move {
            let (function, key) = (&schedule.function, &schedule.key);
            let mut last = Utc::now();
            while let Some(next) = schedule.expression.next_after(last) {
                let wait = (next - Utc::now()).to_std().unwrap_or(Duration::ZERO);
                if !context.shutdown.sleep(wait).await {
                    return;
                }
                context.stats.add(key, "ticks", 1);
                asynchronous::spawn(
                    &context,
                    function.clone(),
                    schedule.payload(&context.stack, next),
                    key.clone(),
                );
                last = next;
            }
        }));
    }
    tasks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_follow_aws_grammar() {
        assert_eq!(parse_rate("1 minute"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_rate("20 minutes"), Ok(Duration::from_secs(1200)));
        assert_eq!(parse_rate("2 hours"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_rate("1 day"), Ok(Duration::from_secs(86_400)));
        assert!(parse_rate("1 minutes").is_err());
        assert!(parse_rate("5 minute").is_err());
        assert!(parse_rate("0 minutes").is_err());
        assert!(parse_rate("5 seconds").is_err());
        assert!(parse_rate("minutes").is_err());
    }

    #[test]
    fn aws_cron_becomes_seven_fields() {
        assert_eq!(aws_cron_to_crate("0/20 * * * ? *").as_deref(), Ok("0 0/20 * * * ? *"));
        assert_eq!(
            aws_cron_to_crate("0 10 ? * MON-FRI *").as_deref(),
            Ok("0 0 10 ? * MON-FRI *")
        );
        assert!(aws_cron_to_crate("* * * * *").is_err());
        assert!(aws_cron_to_crate("0 10 * * MON *").is_err());
        assert!(aws_cron_to_crate("0 10 ? * ? *").is_err());
        assert!(aws_cron_to_crate("0 10 L * ? *").is_err());
        assert!(aws_cron_to_crate("0 10 ? * 2#1 *").is_err());
    }

    #[test]
    fn cron_next_fire_times() {
        let expression = Expression::parse("cron(0/20 * * * ? *)").unwrap();
        let start = DateTime::parse_from_rfc3339("2024-05-01T10:05:30Z")
            .unwrap()
            .with_timezone(&Utc);
        let next = expression.next_after(start).unwrap();
        assert_eq!(next.to_rfc3339(), "2024-05-01T10:20:00+00:00");
        // Day 2 is Monday in AWS numbering (1 = SUN).
        let mondays = Expression::parse("cron(30 8 ? * 2 *)").unwrap();
        let next = mondays.next_after(start).unwrap();
        assert_eq!(next.to_rfc3339(), "2024-05-06T08:30:00+00:00");
        let rate = Expression::parse("rate(5 minutes)").unwrap();
        assert_eq!((rate.next_after(start).unwrap() - start).num_seconds(), 300);
        assert!(Expression::parse("at(2024-01-01T00:00:00)").is_err());
    }

    const TEMPLATE: &str = r#"
Resources:
  Sweeper:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: sweeper } }
    Properties:
      Events:
        Nightly:
          Type: Schedule
          Properties:
            Schedule: cron(0 3 * * ? *)
  Exporter:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: exporter } }
    Properties:
      Events:
        Daily:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: rate(1 day)
            Input: '{"format": "csv"}'
"#;

    fn stack() -> Stack {
        let options = crate::template::StackOptions {
            stack_name: "andes".into(),
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            endpoint: "http://127.0.0.1:5000".into(),
            parameter_overrides: Default::default(),
        };
        crate::template::parse(TEMPLATE, &options).expect("the template parses")
    }

    #[test]
    fn scheduled_events_carry_the_fire_time_and_inputs_go_unchanged() {
        let stack = stack();
        let schedules = Schedule::all(&stack).unwrap();
        let later = DateTime::parse_from_rfc3339("2026-12-04T01:30:00.750+01:00")
            .unwrap()
            .with_timezone(&Utc);

        let sweeper = schedules.iter().find(|s| s.function == "Sweeper").unwrap();
        let event = sweeper.payload(&stack, later);
        assert_eq!(event["time"], "2026-12-04T00:30:00Z");
        assert_eq!(event["detail-type"], "Scheduled Event");
        assert_eq!(event["source"], "aws.events");
        assert_eq!(
            event["resources"],
            json!(["arn:aws:events:us-east-1:123456789012:rule/andes-Sweeper-Nightly"])
        );

        let exporter = schedules.iter().find(|s| s.function == "Exporter").unwrap();
        assert_eq!(exporter.payload(&stack, later), json!({"format": "csv"}));
    }
}
