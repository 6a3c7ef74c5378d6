//! Lists filtered and ordered in memory: `ordering` and `search` query parameters.

/// `ordering=-rides_offered,name`: fields with `-` for descending.
pub fn parse_ordering(raw: Option<&str>, allowed: &[&str]) -> Result<Vec<(String, bool)>, String> {
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(|part| {
            let part = part.trim();
            let (field, descending) = match part.strip_prefix('-') {
                Some(field) => (field, true),
                None => (part, false),
            };
            if allowed.contains(&field) {
                Ok((field.to_string(), descending))
            } else {
                Err(format!(
                    "must be a comma-separated list of {} (prefix - for descending)",
                    allowed.join(", ")
                ))
            }
        })
        .collect()
}

/// DRF's SearchFilter: every whitespace-separated term must match one of the fields
/// (case-insensitive substring).
pub fn search_terms(raw: Option<&str>) -> Vec<String> {
    raw.map(|r| r.split_whitespace().map(str::to_lowercase).collect())
        .unwrap_or_default()
}

pub fn matches_search(terms: &[String], fields: &[&str]) -> bool {
    terms
        .iter()
        .all(|term| fields.iter().any(|field| field.to_lowercase().contains(term)))
}
