//! Stage throttling as API Gateway applies it to an HTTP API: token buckets (a token per
//! request, refilled at the rate limit, holding at most the burst limit, full at first use).
//! Every route has its own bucket: `DefaultRouteSettings` are the limits of each route of the
//! stage (route-level throttling, as API Gateway applies them), and a `RouteSettings` entry
//! overrides them for its route.
//! A route without both a burst and a rate limit is not throttled (account-level limits are
//! not modelled). Pure: the caller says what time it is.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::template::{Stack, Throttling};

/// Floating-point slack when counting whole tokens.
const TOLERANCE: f64 = 1e-9;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Bucket size: requests accepted at once.
    pub burst: u64,
    /// Tokens added per second.
    pub rate: f64,
}

impl Limits {
    fn from(throttling: Throttling) -> Option<Limits> {
        Some(Limits {
            burst: throttling.burst_limit?,
            rate: throttling.rate_limit?,
        })
    }
}

/// API logical id and route key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct BucketKey(String, String);

#[derive(Debug, Default)]
struct ApiLimits {
    default: Option<Limits>,
    /// Route key → its limits (`None`: the route setting leaves it unthrottled).
    routes: HashMap<String, Option<Limits>>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    fn full(limits: Limits, now: Instant) -> Bucket {
        Bucket {
            tokens: limits.burst as f64,
            updated: now,
        }
    }

    /// Refills for the time since the last request, then takes a token if there is one.
    fn take(&mut self, limits: Limits, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * limits.rate).min(limits.burst as f64);
        if now > self.updated {
            self.updated = now;
        }
        // Sums of fractions of a token may land a hair below a whole one.
        if self.tokens >= 1.0 - TOLERANCE {
            self.tokens = (self.tokens - 1.0).max(0.0);
            true
        } else {
            false
        }
    }
}

#[derive(Debug, Default)]
pub struct Throttle {
    apis: HashMap<String, ApiLimits>,
    buckets: Mutex<HashMap<BucketKey, Bucket>>,
}

impl Throttle {
    pub fn new(stack: &Stack) -> Throttle {
        let apis = stack
            .apis
            .iter()
            .map(|api| {
                let routes = api
                    .route_throttling
                    .iter()
                    .map(|(key, own)| (key.clone(), Limits::from(own.or(api.default_throttling))))
                    .collect();
                let limits = ApiLimits {
                    default: Limits::from(api.default_throttling),
                    routes,
                };
                (api.logical_id.clone(), limits)
            })
            .collect();
        Throttle {
            apis,
            buckets: Mutex::default(),
        }
    }

    /// The bucket a request to `route_key` of `api` draws from, and its limits.
    fn bucket_for(&self, api: &str, route_key: &str) -> Option<(BucketKey, Limits)> {
        let limits = self.apis.get(api)?;
        let route_limits = match limits.routes.get(route_key) {
            Some(own) => (*own)?,
            None => limits.default?,
        };
        Some((BucketKey(api.into(), route_key.into()), route_limits))
    }

    /// Whether a request to `route_key` of `api` arriving at `now` may go on; `false` is API
    /// Gateway's `429 Too Many Requests`.
    pub fn admit(&self, api: &str, route_key: &str, now: Instant) -> bool {
        let Some((key, limits)) = self.bucket_for(api, route_key) else {
            return true;
        };
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        buckets
            .entry(key)
            .or_insert_with(|| Bucket::full(limits, now))
            .take(limits, now)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::*;
    use crate::template::HttpApi;

    fn limits(burst: Option<u64>, rate: Option<f64>) -> Throttling {
        Throttling {
            burst_limit: burst,
            rate_limit: rate,
        }
    }

    fn api(logical_id: &str, default: Throttling, routes: &[(&str, Throttling)]) -> HttpApi {
        HttpApi {
            logical_id: logical_id.into(),
            default_authorizer: None,
            authorizers: BTreeMap::new(),
            default_throttling: default,
            route_throttling: routes.iter().map(|(k, t)| (k.to_string(), *t)).collect(),
        }
    }

    fn throttle(apis: Vec<HttpApi>) -> Throttle {
        Throttle::new(&Stack {
            name: "andes".into(),
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            parameters: BTreeMap::new(),
            tables: vec![],
            buckets: vec![],
            queues: vec![],
            functions: vec![],
            apis,
        })
    }

    fn ms(t0: Instant, millis: u64) -> Instant {
        t0 + Duration::from_millis(millis)
    }

    /// How many of `n` requests at `now` get through.
    fn admitted(t: &Throttle, api: &str, route: &str, now: Instant, n: usize) -> usize {
        (0..n).filter(|_| t.admit(api, route, now)).count()
    }

    #[test]
    fn a_full_bucket_takes_the_burst_then_refills_at_the_rate() {
        let t = throttle(vec![api("Api", limits(Some(3), Some(2.0)), &[])]);
        let t0 = Instant::now();
        assert_eq!(admitted(&t, "Api", "GET /a", t0, 5), 3, "the burst, then 429");
        assert!(!t.admit("Api", "GET /a", ms(t0, 499)), "half a token is not a request");
        assert!(
            t.admit("Api", "GET /a", ms(t0, 500)),
            "2 per second: one token per 500 ms"
        );
        assert!(!t.admit("Api", "GET /a", ms(t0, 500)));
        // A long pause refills to the burst, never beyond.
        assert_eq!(admitted(&t, "Api", "GET /a", ms(t0, 60_000), 10), 3);
    }

    #[test]
    fn a_steady_rate_is_served_indefinitely() {
        let t = throttle(vec![api("Api", limits(Some(1), Some(10.0)), &[])]);
        let t0 = Instant::now();
        for i in 0..100 {
            assert!(
                t.admit("Api", "GET /a", ms(t0, i * 100)),
                "request {i} at the rate limit"
            );
        }
        assert!(!t.admit("Api", "GET /a", ms(t0, 9_950)), "faster than the rate");
    }

    #[test]
    fn the_stage_default_limits_each_route_on_its_own() {
        let t = throttle(vec![
            api("Api", limits(Some(2), Some(1.0)), &[]),
            api("Other", limits(Some(1), Some(1.0)), &[]),
        ]);
        let t0 = Instant::now();
        assert!(t.admit("Api", "GET /a", t0));
        assert!(t.admit("Api", "GET /a", t0));
        assert!(!t.admit("Api", "GET /a", t0));
        assert!(t.admit("Api", "POST /b", t0), "another route has its own bucket");
        assert!(t.admit("Other", "GET /a", t0), "each API has its own buckets");
    }

    #[test]
    fn a_route_setting_has_its_own_bucket_and_overrides_the_default() {
        let t = throttle(vec![api(
            "Api",
            limits(Some(1), Some(1.0)),
            &[
                ("POST /login", limits(Some(3), None)),
                ("GET /blocked", limits(Some(0), Some(0.0))),
            ],
        )]);
        let t0 = Instant::now();
        assert_eq!(admitted(&t, "Api", "POST /login", t0, 5), 3, "its own burst");
        assert!(t.admit("Api", "GET /other", t0), "the default bucket is untouched");
        // The rate it does not set is the default's: 1 per second.
        assert!(!t.admit("Api", "POST /login", ms(t0, 900)));
        assert!(t.admit("Api", "POST /login", ms(t0, 1_000)));
        // Zero limits block a route, as on AWS.
        assert_eq!(admitted(&t, "Api", "GET /blocked", ms(t0, 100_000), 3), 0);
    }

    #[test]
    fn incomplete_or_missing_limits_do_not_throttle() {
        let t = throttle(vec![
            api("Plain", Throttling::default(), &[]),
            api("RateOnly", limits(None, Some(1.0)), &[]),
            api("Mixed", Throttling::default(), &[("GET /a", limits(Some(1), None))]),
        ]);
        let t0 = Instant::now();
        assert_eq!(admitted(&t, "Plain", "GET /a", t0, 50), 50);
        assert_eq!(admitted(&t, "RateOnly", "GET /a", t0, 50), 50);
        assert_eq!(admitted(&t, "Mixed", "GET /a", t0, 50), 50);
        assert_eq!(admitted(&t, "Unknown", "GET /a", t0, 50), 50);
    }

    #[test]
    fn requests_seen_out_of_order_do_not_refill() {
        let t = throttle(vec![api("Api", limits(Some(1), Some(1.0)), &[])]);
        let t0 = Instant::now();
        assert!(t.admit("Api", "GET /a", ms(t0, 1_000)));
        // A request timestamped before the last one (another thread) refills nothing.
        assert!(!t.admit("Api", "GET /a", t0));
        assert!(!t.admit("Api", "GET /a", ms(t0, 1_500)));
        assert!(t.admit("Api", "GET /a", ms(t0, 2_000)));
    }
}
