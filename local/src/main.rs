//! Placeholder while the platform's parts land; the full CLI is wired in with `up`.
fn main() {}
