//! Opinion summaries (§6): extractive, so every sentence of a summary is copied verbatim from an
//! opinion, and each summary discloses how many opinions it read and over which window. The
//! daily sweep (re)generates a venue's summary when it has more than 4 opinions in the last 45
//! days and no summary, or one at least 14 days old. The scoring is plain word frequency; an
//! LLM adapter may come later behind [`summarize`]'s signature.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::opinions::Opinion;
use super::values::{opt_time_secs, time_secs, whole_seconds};

/// The text of `GET /summaries/{venue}` while there is no summary (seed).
pub const NO_SUMMARY: &str = "Este restaurant aun no tiene un resumen de opiniones disponible";
/// The opinions a summary reads: those dated in the last 45 days.
pub const WINDOW_DAYS: i64 = 45;
/// A summary this old is regenerated.
pub const REFRESH_DAYS: i64 = 14;
/// A summary needs more than 4 opinions in its window.
pub const MIN_OPINIONS: usize = 5;
pub const MAX_SENTENCES: usize = 3;
/// Longer sentences are chosen only when no opinion has a shorter one.
pub const MAX_SENTENCE_CHARS: usize = 400;

/// A stored summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub venue: String,
    pub text: String,
    /// When the sweep made it (the scheduled event's time).
    #[serde(with = "time_secs")]
    pub date: DateTime<Utc>,
    pub opinions_count: u64,
    #[serde(with = "time_secs")]
    pub from: DateTime<Utc>,
    #[serde(with = "time_secs")]
    pub to: DateTime<Utc>,
}

/// `GET /summaries/{venue}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SummaryView {
    pub venue: String,
    pub available: bool,
    pub text: String,
    #[serde(with = "opt_time_secs")]
    #[schema(required = true)]
    pub date: Option<DateTime<Utc>>,
    pub opinions_count: u64,
    #[serde(with = "opt_time_secs")]
    #[schema(required = true)]
    pub from: Option<DateTime<Utc>>,
    #[serde(with = "opt_time_secs")]
    #[schema(required = true)]
    pub to: Option<DateTime<Utc>>,
}

impl SummaryView {
    /// The answer for `venue` (known to exist) from its stored summary, if any.
    pub fn of(venue: &str, summary: Option<&Summary>) -> Self {
        match summary {
            Some(summary) => Self {
                venue: venue.to_string(),
                available: true,
                text: summary.text.clone(),
                date: Some(summary.date),
                opinions_count: summary.opinions_count,
                from: Some(summary.from),
                to: Some(summary.to),
            },
            None => Self {
                venue: venue.to_string(),
                available: false,
                text: NO_SUMMARY.into(),
                date: None,
                opinions_count: 0,
                from: None,
                to: None,
            },
        }
    }
}

/// The window of a sweep at `now`: `[now − 45 days, now]`.
pub fn window(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let now = whole_seconds(now);
    (now - Duration::days(WINDOW_DAYS), now)
}

/// The latest `date` of a summary the sweep at `now` replaces: 14 days before it.
pub fn replaceable_until(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::days(REFRESH_DAYS)
}

/// Whether the sweep at `now` (re)generates a summary: none yet, or made at least 14 days ago.
pub fn is_due(existing: Option<&Summary>, now: DateTime<Utc>) -> bool {
    existing.is_none_or(|summary| summary.date <= replaceable_until(now))
}

/// The summary of `venue` by the sweep at `now`, from its opinions (those outside the window are
/// left out); `None` with 4 opinions or fewer in the window, or none with a sentence.
pub fn generate(venue: &str, opinions: &[Opinion], now: DateTime<Utc>) -> Option<Summary> {
    let (from, to) = window(now);
    let mut read: Vec<&Opinion> = opinions
        .iter()
        .filter(|o| o.venue == venue && from <= o.date && o.date <= to)
        .collect();
    if read.len() < MIN_OPINIONS {
        return None;
    }
    read.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.id.cmp(&b.id)));
    let texts: Vec<&str> = read.iter().map(|o| o.opinion.as_str()).collect();
    let text = summarize(&texts);
    (!text.is_empty()).then(|| Summary {
        venue: venue.to_string(),
        text,
        date: to,
        opinions_count: read.len() as u64,
        from,
        to,
    })
}

/// The sentences of a text, each a trimmed slice of it: a sentence runs up to and including a
/// run of `.`, `!` or `?` (a `.` between two digits, as in `4.5`, does not end one); a newline
/// also ends it and is dropped. Pieces without a letter or digit are not sentences.
pub fn sentences(text: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut found = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        if c == '\n' {
            found.push(&text[start..at]);
            start = at + 1;
        } else if is_end(c) {
            let between_digits = c == '.'
                && i > 0
                && chars[i - 1].1.is_ascii_digit()
                && chars.get(i + 1).is_some_and(|(_, next)| next.is_ascii_digit());
            if !between_digits {
                while chars.get(i + 1).is_some_and(|(_, next)| is_end(*next)) {
                    i += 1;
                }
                let end = chars.get(i + 1).map_or(text.len(), |(next, _)| *next);
                found.push(&text[start..end]);
                start = end;
            }
        }
        i += 1;
    }
    found.push(&text[start..]);
    found
        .into_iter()
        .map(str::trim)
        .filter(|sentence| sentence.chars().any(char::is_alphanumeric))
        .collect()
}

fn is_end(c: char) -> bool {
    matches!(c, '.' | '!' | '?')
}

/// Words too common to say what an opinion is about.
const STOPWORDS: &[&str] = &[
    "a", "al", "and", "con", "de", "del", "el", "en", "es", "esta", "este", "fue", "is", "it", "la", "las", "lo",
    "los", "me", "mi", "muy", "no", "of", "para", "pero", "por", "que", "se", "si", "su", "the", "to", "un", "una",
    "was", "y",
];

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .filter(|word| !STOPWORDS.contains(&word.as_str()))
}

/// At most 3 sentences, at most one per opinion, joined by single spaces: each opinion's most
/// representative sentence (the highest mean frequency of its words over all the opinions), the
/// best first; ties go to the earlier opinion (the order given), then its earlier sentence. A
/// sentence equal (ignoring case) to one already chosen is skipped.
pub fn summarize(opinions: &[&str]) -> String {
    let mut frequency: HashMap<String, u64> = HashMap::new();
    for word in opinions.iter().flat_map(|text| words(text)) {
        *frequency.entry(word).or_insert(0) += 1;
    }
    let score = |sentence: &str| -> f64 {
        let (sum, count) = words(sentence).fold((0u64, 0u64), |(sum, count), word| {
            (sum + frequency.get(&word).copied().unwrap_or(0), count + 1)
        });
        if count == 0 {
            0.0
        } else {
            sum as f64 / count as f64
        }
    };
    let best_of = |short_only: bool| -> Vec<(f64, usize, &str)> {
        let mut best: Vec<(f64, usize, &str)> = opinions
            .iter()
            .enumerate()
            .filter_map(|(index, text)| {
                sentences(text)
                    .into_iter()
                    .filter(|s| !short_only || s.chars().count() <= MAX_SENTENCE_CHARS)
                    .map(|s| (score(s), s))
                    .fold(None, |best: Option<(f64, &str)>, (score, s)| match best {
                        Some((top, _)) if top >= score => best,
                        _ => Some((score, s)),
                    })
                    .map(|(score, s)| (score, index, s))
            })
            .collect();
        best.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        best
    };
    let mut candidates = best_of(true);
    if candidates.is_empty() {
        candidates = best_of(false);
    }
    let mut chosen: Vec<&str> = Vec::new();
    for (_, _, sentence) in candidates {
        if chosen.len() == MAX_SENTENCES {
            break;
        }
        if !chosen.iter().any(|c| c.to_lowercase() == sentence.to_lowercase()) {
            chosen.push(sentence);
        }
    }
    chosen.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::at;
    use serde_json::json;

    const NOW: &str = "2030-03-01T04:00:00Z";

    fn opinion(i: usize, text: &str, date: DateTime<Utc>) -> Opinion {
        Opinion {
            id: format!("op-{i:02}"),
            venue: "venue-1".into(),
            reservation: format!("r-{i:02}"),
            user: "diner-1".into(),
            opinion: text.into(),
            date,
        }
    }

    fn recent(texts: &[&str]) -> Vec<Opinion> {
        texts
            .iter()
            .enumerate()
            .map(|(i, text)| opinion(i, text, at(NOW) - Duration::days(1) + Duration::minutes(i as i64)))
            .collect()
    }

    #[test]
    fn sentences_end_at_punctuation_or_a_newline() {
        assert_eq!(
            sentences("Muy rica la pizza. ¡Volveremos!\nAtención lenta… pero amable? Sí"),
            [
                "Muy rica la pizza.",
                "¡Volveremos!",
                "Atención lenta… pero amable?",
                "Sí"
            ]
        );
        assert_eq!(sentences("Increíble!!! De verdad?!"), ["Increíble!!!", "De verdad?!"]);
        assert_eq!(sentences("Le doy 4.5 puntos. Bien"), ["Le doy 4.5 puntos.", "Bien"]);
        assert_eq!(sentences("  ...  \n\n !!"), Vec::<&str>::new());
        assert_eq!(sentences("Sin punto final"), ["Sin punto final"]);
    }

    #[test]
    fn every_sentence_of_a_summary_is_verbatim_from_an_opinion() {
        let texts = [
            "La pizza estaba excelente. El mozo tardó mucho.",
            "Excelente pizza, volvería sin dudas!",
            "La pasta fría.\nLa pizza excelente como siempre.",
            "Ambiente ruidoso. Pizza excelente.",
            "Los postres muy ricos. Caro.",
            "Pizza excelente y buena atención.",
        ];
        let text = summarize(&texts);
        let mut rest = text.as_str();
        let mut found = 0;
        while !rest.is_empty() {
            let sentence = texts
                .iter()
                .flat_map(|t| sentences(t))
                .filter(|s| rest.starts_with(s))
                .max_by_key(|s| s.len())
                .unwrap_or_else(|| panic!("{rest:?} does not start with a sentence of an opinion"));
            rest = rest[sentence.len()..]
                .strip_prefix(' ')
                .unwrap_or(&rest[sentence.len()..]);
            found += 1;
        }
        assert_eq!(found, 3, "{text}");
        assert!(
            text.to_lowercase().contains("pizza"),
            "the most frequent words win: {text}"
        );
    }

    #[test]
    fn at_most_one_sentence_per_opinion_and_no_repeats() {
        // Seed: ten equal opinions all went into the text; here one sentence says it.
        let texts = ["Opinion generica"; 10];
        assert_eq!(summarize(&texts), "Opinion generica");
        let one = ["Buena pizza. Buena pizza otra vez. Buena pizza siempre."];
        assert_eq!(summarize(&one).matches("pizza").count(), 1);
    }

    #[test]
    fn summaries_are_deterministic() {
        let texts = ["Rico.", "Lindo.", "Barato.", "Limpio.", "Cerca."];
        let first = summarize(&texts);
        assert_eq!(first, "Rico. Lindo. Barato.", "all tie: the earlier opinions");
        assert_eq!(summarize(&texts), first);
    }

    #[test]
    fn long_sentences_only_when_there_is_nothing_else() {
        let long = format!("{} pizza.", "muy ".repeat(120));
        let texts = [long.as_str(), "Pizza rica."];
        assert_eq!(summarize(&texts), "Pizza rica.");
        assert_eq!(summarize(&[long.as_str()]), long);
    }

    #[test]
    fn a_summary_needs_more_than_four_opinions_in_45_days() {
        let four = recent(&["Rico.", "Lindo.", "Barato.", "Limpio."]);
        assert_eq!(generate("venue-1", &four, at(NOW)), None);
        let mut five = four.clone();
        five.push(opinion(9, "Cerca.", at(NOW) - Duration::days(45)));
        let summary = generate("venue-1", &five, at(NOW)).unwrap();
        assert_eq!(summary.opinions_count, 5);
        assert_eq!(
            (summary.from, summary.to, summary.date),
            (at("2030-01-15T04:00:00Z"), at(NOW), at(NOW))
        );
        let mut old = four.clone();
        old.push(opinion(
            9,
            "Cerca.",
            at(NOW) - Duration::days(45) - Duration::seconds(1),
        ));
        assert_eq!(generate("venue-1", &old, at(NOW)), None, "one is out of the window");
        let mut elsewhere = four;
        elsewhere.push(Opinion {
            venue: "venue-2".into(),
            ..opinion(9, "Cerca.", at(NOW))
        });
        assert_eq!(generate("venue-1", &elsewhere, at(NOW)), None);
    }

    #[test]
    fn opinions_without_a_sentence_make_no_summary() {
        let marks = recent(&["...", "!!!", "?", "…", "!?"]);
        assert_eq!(generate("venue-1", &marks, at(NOW)), None);
    }

    #[test]
    fn a_summary_is_regenerated_once_it_is_14_days_old() {
        // Seed: summaries older than about two weeks were remade.
        let summary = generate("venue-1", &recent(&["A.", "B.", "C.", "D.", "E."]), at(NOW)).unwrap();
        assert!(is_due(None, at(NOW)));
        assert!(
            !is_due(Some(&summary), at(NOW)),
            "a rerun with the same time changes nothing"
        );
        assert!(!is_due(
            Some(&summary),
            at(NOW) + Duration::days(14) - Duration::seconds(1)
        ));
        assert!(is_due(Some(&summary), at(NOW) + Duration::days(14)));
    }

    #[test]
    fn the_answer_discloses_count_and_window() {
        let summary = generate(
            "venue-1",
            &recent(&["Rico.", "Lindo.", "Barato.", "Limpio.", "Cerca."]),
            at(NOW),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(SummaryView::of("venue-1", Some(&summary))).unwrap(),
            json!({"venue": "venue-1", "available": true, "text": "Rico. Lindo. Barato.",
                   "date": "2030-03-01T04:00:00Z", "opinions_count": 5,
                   "from": "2030-01-15T04:00:00Z", "to": "2030-03-01T04:00:00Z"})
        );
        assert_eq!(
            serde_json::to_value(SummaryView::of("venue-1", None)).unwrap(),
            json!({"venue": "venue-1", "available": false,
                   "text": "Este restaurant aun no tiene un resumen de opiniones disponible",
                   "date": null, "opinions_count": 0, "from": null, "to": null})
        );
    }
}
