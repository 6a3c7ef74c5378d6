//! Ratings of rides: one per passenger, averaged into the ride's rating and the driver's
//! reputation.

use std::ops::RangeInclusive;

use andes_shared::http::FieldError;
use andes_shared::validation::FieldErrors;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::values::{bounded_text, integer};

pub const NOT_PASSENGER: &str = "User is not a passenger";
pub const ALREADY_RATED: &str = "Rating have already been emitted!";

/// A rating's stars, and the characters of its `comments` once trimmed.
pub const STARS: RangeInclusive<i64> = 1..=5;
pub const RATING_COMMENTS_CHARS: RangeInclusive<usize> = 0..=500;

/// Average rounded to one decimal; 5.0 before any rating (seed default).
pub fn reputation(sum: i64, count: i64) -> f64 {
    average(sum, count).unwrap_or(5.0)
}

pub fn average(sum: i64, count: i64) -> Option<f64> {
    (count > 0).then(|| (sum as f64 / count as f64 * 10.0).round() / 10.0)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rating {
    pub ride: String,
    pub circle: String,
    pub rating_user: String,
    pub rated_user: String,
    pub rating: i64,
    #[serde(default)]
    pub comments: Option<String>,
    pub created: String,
}

pub fn validate_rating(body: &Map<String, Value>) -> Result<(i64, Option<String>), Vec<FieldError>> {
    let mut errors = FieldErrors::default();
    errors.unknown(body, &["rating", "comments"]);
    let rating = match body.get("rating") {
        None | Some(Value::Null) => {
            errors.add("rating", "is required");
            None
        }
        Some(value) => errors.check("rating", integer(value, *STARS.start(), *STARS.end())),
    };
    let comments = errors.text(body, "comments").and_then(|c| {
        errors.check(
            "comments",
            bounded_text(c, *RATING_COMMENTS_CHARS.start(), *RATING_COMMENTS_CHARS.end()),
        )
    });
    errors.finish(|| (rating.unwrap_or_default(), comments.filter(|c| !c.is_empty())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::*;
    use serde_json::json;

    #[test]
    fn averages_have_one_decimal() {
        assert_eq!(reputation(0, 0), 5.0);
        assert_eq!(reputation(14, 3), 4.7);
        assert_eq!(average(5, 2), Some(2.5));
        assert_eq!(average(0, 0), None);
    }

    #[test]
    fn ratings_are_one_to_five() {
        assert_eq!(
            validate_rating(&obj(json!({"rating": 5, "comments": "great"}))).unwrap(),
            (5, Some("great".into()))
        );
        assert_eq!(
            fields(validate_rating(&obj(json!({"rating": 6}))).unwrap_err()),
            ["rating"]
        );
        assert_eq!(fields(validate_rating(&obj(json!({}))).unwrap_err()), ["rating"]);
        assert_eq!(
            fields(validate_rating(&obj(json!({"rating": 4, "comments": "ok\u{0}"}))).unwrap_err()),
            ["comments"]
        );
    }
}
