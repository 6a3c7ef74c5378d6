//! The circles CSV import (`name,slug_name,is_public,verified,members_limit`).

use serde::Serialize;

use super::circles::{validate_slug, Circle};
use super::values::bounded_text;

/// One valid line of a circles CSV (`name,slug_name,is_public,verified,members_limit`).
#[derive(Debug, Clone, PartialEq)]
pub struct CircleRow {
    pub line: u64,
    pub name: String,
    pub slug: String,
    pub is_public: bool,
    pub verified: bool,
    pub members_limit: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineError {
    pub line: u64,
    pub message: String,
}

pub const CSV_COLUMNS: [&str; 5] = ["name", "slug_name", "is_public", "verified", "members_limit"];

fn csv_bool(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        other => Err(format!("{other:?} is not 1/0/true/false")),
    }
}

/// Parses a circles CSV: the valid rows, and one error per bad line (line numbers count the
/// header as line 1). A missing or wrong header is an error of line 1 and nothing imports.
pub fn parse_circles_csv(bytes: &[u8]) -> (Vec<CircleRow>, Vec<LineError>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    match reader.headers() {
        Ok(headers) if headers.iter().map(str::trim).eq(CSV_COLUMNS.iter().copied()) => {}
        Ok(headers) => {
            let found: Vec<&str> = headers.iter().collect();
            errors.push(LineError {
                line: 1,
                message: format!("header must be {}, found {}", CSV_COLUMNS.join(","), found.join(",")),
            });
            return (rows, errors);
        }
        Err(error) => {
            errors.push(LineError {
                line: 1,
                message: format!("unreadable header: {error}"),
            });
            return (rows, errors);
        }
    }
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map(|p| p.line()).unwrap_or(0);
                errors.push(LineError {
                    line,
                    message: format!("unreadable line: {error}"),
                });
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        match parse_circle_record(&record, line) {
            Ok(row) => rows.push(row),
            Err(message) => errors.push(LineError { line, message }),
        }
    }
    (rows, errors)
}

fn parse_circle_record(record: &csv::StringRecord, line: u64) -> Result<CircleRow, String> {
    if record.len() != CSV_COLUMNS.len() {
        return Err(format!("expected {} fields, found {}", CSV_COLUMNS.len(), record.len()));
    }
    let field = |i: usize| record.get(i).unwrap_or_default();
    let mut problems = Vec::new();
    let name = bounded_text(field(0), 1, 140)
        .map_err(|m| problems.push(format!("name {m}")))
        .ok();
    let slug = validate_slug(field(1))
        .map_err(|m| problems.push(format!("slug_name {m}")))
        .ok();
    let is_public = csv_bool(field(2))
        .map_err(|m| problems.push(format!("is_public: {m}")))
        .ok();
    let verified = csv_bool(field(3))
        .map_err(|m| problems.push(format!("verified: {m}")))
        .ok();
    let limit = match field(4).trim().parse::<i64>() {
        Ok(0) => Some(0),
        Ok(n) if (10..=32000).contains(&n) => Some(n),
        _ => {
            problems.push(format!(
                "members_limit {:?} must be 0 (unlimited) or 10 to 32000",
                field(4).trim()
            ));
            None
        }
    };
    match (name, slug, is_public, verified, limit) {
        (Some(name), Some(slug), Some(is_public), Some(verified), Some(members_limit)) if problems.is_empty() => {
            Ok(CircleRow {
                line,
                name,
                slug,
                is_public,
                verified,
                members_limit,
            })
        }
        _ => Err(problems.join("; ")),
    }
}

impl CircleRow {
    pub fn circle(&self, now: &str) -> Circle {
        Circle {
            slug: self.slug.clone(),
            name: self.name.clone(),
            about: String::new(),
            picture: None,
            rides_offered: 0,
            rides_taken: 0,
            verified: self.verified,
            is_public: self.is_public,
            is_limited: self.members_limit > 0,
            members_limit: self.members_limit,
            members_count: 0,
            created: now.to_string(),
            updated: now.to_string(),
            version: 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_csv_parses_completely() {
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/rides/circles.csv")).unwrap();
        let (rows, errors) = parse_circles_csv(&bytes);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.len(), 21);
        assert_eq!(rows[0].name, "Facultad de Ciencias, UNAM");
        assert_eq!(rows[0].line, 2);
        assert!(rows
            .iter()
            .any(|r| r.slug == "grupo-3340-campo" && r.members_limit == 50 && r.circle("t").is_limited));
    }

    #[test]
    fn bad_csv_lines_are_reported_by_number() {
        let csv = "name,slug_name,is_public,verified,members_limit\nGood,good,1,0,0\nBad Slug,Bad Slug,1,0,0\nShort,short\nLimit,limit,1,1,5\nOk2,ok-2,0,1,30\n";
        let (rows, errors) = parse_circles_csv(csv.as_bytes());
        assert_eq!(
            rows.iter().map(|r| r.slug.as_str()).collect::<Vec<_>>(),
            ["good", "ok-2"]
        );
        assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), [3, 4, 5]);
        let (rows, errors) = parse_circles_csv(b"a,b\n1,2\n");
        assert!(rows.is_empty());
        assert_eq!(errors[0].line, 1);
    }
}
