//! Today's rides as CSV for the export.

use super::rides::Ride;

pub const EXPORT_HEADER: &str = "id,passengers,departure_location,departure_date,arrival_location,arrival_date,rating";

/// A CSV cell a spreadsheet will not run as a formula: text starting with `=`, `+`, `-`, `@`,
/// tab or CR gets a leading `'` (OWASP "CSV injection").
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// Today's rides as CSV; `passengers` are usernames separated by `;`, `rating` empty when
/// nobody rated. Every cell goes through [`spreadsheet_safe`] (locations are user text).
pub fn rides_csv(rides: &[Ride]) -> Result<Vec<u8>, String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(EXPORT_HEADER.split(','))
        .map_err(|e| e.to_string())?;
    for ride in rides {
        let rating = ride.rating().map(|r| format!("{r:.1}")).unwrap_or_default();
        let passengers = ride.passengers.join(";");
        let cells = [
            ride.id.as_str(),
            &passengers,
            &ride.departure_location,
            &ride.departure_date,
            &ride.arrival_location,
            &ride.arrival_date,
            &rating,
        ];
        writer
            .write_record(cells.map(spreadsheet_safe).iter().map(|c| c.as_ref()))
            .map_err(|e| e.to_string())?;
    }
    writer.into_inner().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::ride;

    #[test]
    fn export_csv_has_the_spec_columns() {
        let mut r = ride("2026-01-10T13:00:00Z");
        r.passengers = vec!["bob".into(), "eve".into()];
        r.rating_sum = 9;
        r.rating_count = 2;
        let text = String::from_utf8(rides_csv(&[r.clone()]).unwrap()).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(EXPORT_HEADER));
        assert_eq!(
            lines.next().unwrap(),
            format!(
                "{},bob;eve,A,2026-01-10T13:00:00.000Z,B,2026-01-10T14:00:00.000Z,4.5",
                r.id
            )
        );
    }

    #[test]
    fn export_csv_cells_never_start_a_formula() {
        for (cell, safe) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
        ] {
            assert_eq!(spreadsheet_safe(cell), safe);
        }
        for plain in ["Plaza", "", "2026-01-10T13:00:00.000Z", "4.5", "a=b", "'quoted"] {
            assert_eq!(spreadsheet_safe(plain), plain);
        }
        let mut r = ride("2026-01-10T13:00:00Z");
        r.departure_location = "=HYPERLINK(\"http://evil\",\"x\")".into();
        r.arrival_location = "@cmd".into();
        let text = String::from_utf8(rides_csv(&[r.clone()]).unwrap()).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let row = reader.records().next().unwrap().unwrap();
        assert_eq!(&row[2], "'=HYPERLINK(\"http://evil\",\"x\")");
        assert_eq!(&row[4], "'@cmd");
        assert_eq!(&row[3], "2026-01-10T13:00:00.000Z");
    }
}
