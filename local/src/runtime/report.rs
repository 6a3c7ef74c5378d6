//! What the terminal shows of each function: its own output prefixed by its logical id, and
//! the START / END / REPORT lines Lambda writes to CloudWatch around each invocation.

use std::io::Write;
use std::time::Duration;

/// Prints one line of a function's output (or of the runtime about it).
pub fn line(function: &str, text: &str) {
    // One locked write per line so concurrent functions never interleave mid-line.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "[{function}] {text}");
}

pub fn start(function: &str, request_id: &str) {
    line(function, &format!("START RequestId: {request_id} Version: $LATEST"));
}

pub fn end(function: &str, request_id: &str, duration: Duration, memory_mb: u32, init: Option<Duration>) {
    line(function, &format!("END RequestId: {request_id}"));
    line(function, &report_text(request_id, duration, memory_mb, init));
}

fn report_text(request_id: &str, duration: Duration, memory_mb: u32, init: Option<Duration>) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    let billed = ms.ceil().max(1.0) as u64;
    let mut text =
        format!("REPORT RequestId: {request_id}\tDuration: {ms:.2} ms\tBilled Duration: {billed} ms\tMemory Size: {memory_mb} MB");
    if let Some(init) = init {
        text.push_str(&format!("\tInit Duration: {:.2} ms", init.as_secs_f64() * 1000.0));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_mentions_init_only_on_cold_starts() {
        let warm = report_text("r1", Duration::from_micros(12_345), 128, None);
        assert_eq!(
            warm,
            "REPORT RequestId: r1\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB"
        );
        let cold = report_text("r2", Duration::from_millis(2), 256, Some(Duration::from_millis(40)));
        assert!(cold.ends_with("Memory Size: 256 MB\tInit Duration: 40.00 ms"), "{cold}");
    }
}
