//! Distances and the near search (§3 "Near"): the haversine distance exactly as the seed computes
//! it, with R = 6 371 km; geohash cells to index venues and to find, without a Scan, every
//! venue that can be within a radius; and the ranking of `GET /venues/near` (nearest first, ties
//! by id).
//!
//! The index: each venue is filed under its geohash cell at every precision of
//! [`INDEX_PRECISIONS`] ([`index_cells`]). A search reads the cells [`search_cells`] names: the
//! 3 × 3 block around the centre at the finest precision whose cells are larger than the circle
//! (so the block holds all of it), or every precision-1 cell when even those are too small. The
//! exact distance then filters and ranks what the cells hold.

use std::cmp::Ordering;

/// The Earth's radius of the seed's test, in metres.
pub const EARTH_RADIUS_M: f64 = 6_371_000.0;
/// The finest geohash precision venues are indexed at (cells of about 1.2 × 0.6 km).
pub const MAX_PRECISION: usize = 6;
/// The precisions venues are indexed at.
pub const INDEX_PRECISIONS: std::ops::RangeInclusive<usize> = 1..=MAX_PRECISION;

const BASE32: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

/// A point in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

impl Point {
    pub fn new(lat: f64, lon: f64) -> Self {
        Self { lat, lon }
    }
}

/// The great-circle distance in metres (haversine, R = 6 371 km), as the seed's `haversine`.
pub fn haversine_m(a: Point, b: Point) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let d_lat = lat2 - lat1;
    let d_lon = (b.lon - a.lon).to_radians();
    let h = (d_lat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (d_lon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// The distance §3 answers: whole metres, rounded.
pub fn distance_m(a: Point, b: Point) -> u64 {
    haversine_m(a, b).round() as u64
}

/// The geohash of a point at `precision` characters (1–12).
pub fn encode(point: Point, precision: usize) -> String {
    let (mut lat, mut lon) = ((-90.0_f64, 90.0_f64), (-180.0_f64, 180.0_f64));
    let mut hash = String::with_capacity(precision);
    let mut even = true;
    for _ in 0..precision {
        let mut index = 0usize;
        for _ in 0..5 {
            let (range, value) = if even {
                (&mut lon, point.lon)
            } else {
                (&mut lat, point.lat)
            };
            let mid = (range.0 + range.1) / 2.0;
            index <<= 1;
            if value >= mid {
                index |= 1;
                range.0 = mid;
            } else {
                range.1 = mid;
            }
            even = !even;
        }
        hash.push(BASE32[index] as char);
    }
    hash
}

/// The cell a geohash names: `(lat_min, lat_max, lon_min, lon_max)`; `None` for a character
/// outside the alphabet.
pub fn bounds(cell: &str) -> Option<(f64, f64, f64, f64)> {
    let (mut lat, mut lon) = ((-90.0_f64, 90.0_f64), (-180.0_f64, 180.0_f64));
    let mut even = true;
    for c in cell.bytes() {
        let index = BASE32.iter().position(|b| *b == c)?;
        for bit in (0..5).rev() {
            let range = if even { &mut lon } else { &mut lat };
            let mid = (range.0 + range.1) / 2.0;
            if index >> bit & 1 == 1 {
                range.0 = mid;
            } else {
                range.1 = mid;
            }
            even = !even;
        }
    }
    Some((lat.0, lat.1, lon.0, lon.1))
}

/// The height and width of a cell of `precision` characters, in degrees.
pub fn cell_size(precision: usize) -> (f64, f64) {
    let bits = 5 * precision;
    let lon_bits = bits.div_ceil(2);
    let lat_bits = bits / 2;
    (
        180.0 / f64::powi(2.0, lat_bits as i32),
        360.0 / f64::powi(2.0, lon_bits as i32),
    )
}

/// The cells a venue at `point` is filed under: one per precision of [`INDEX_PRECISIONS`].
pub fn index_cells(point: Point) -> Vec<String> {
    let full = encode(point, MAX_PRECISION);
    INDEX_PRECISIONS
        .map(|precision| full[..precision].to_string())
        .collect()
}

/// A cell and its (up to) eight neighbours at the same precision: longitude wraps around the
/// antimeridian; there is nothing beyond a pole.
pub fn block(cell: &str) -> Vec<String> {
    let Some((lat_min, lat_max, lon_min, lon_max)) = bounds(cell) else {
        return Vec::new();
    };
    let (height, width) = (lat_max - lat_min, lon_max - lon_min);
    let centre = Point::new((lat_min + lat_max) / 2.0, (lon_min + lon_max) / 2.0);
    let mut cells = Vec::with_capacity(9);
    for d_lat in [-1.0, 0.0, 1.0] {
        let lat = centre.lat + d_lat * height;
        if !(-90.0..=90.0).contains(&lat) {
            continue;
        }
        for d_lon in [-1.0, 0.0, 1.0] {
            let lon = wrap_lon(centre.lon + d_lon * width);
            let neighbour = encode(Point::new(lat, lon), cell.len());
            if !cells.contains(&neighbour) {
                cells.push(neighbour);
            }
        }
    }
    cells
}

fn wrap_lon(lon: f64) -> f64 {
    (lon + 180.0).rem_euclid(360.0) - 180.0
}

/// Every precision-1 cell: the search of a radius no block can hold.
pub fn all_top_cells() -> Vec<String> {
    BASE32.iter().map(|c| (*c as char).to_string()).collect()
}

/// Whether the 3 × 3 block of cells of `precision` around `centre` holds every point within
/// `radius_m` of it: the circle is no taller than a cell, no wider (at its widest latitude) than
/// a cell, and does not reach a pole.
fn block_holds(centre: Point, radius_m: f64, precision: usize) -> bool {
    let (height, width) = cell_size(precision);
    let angle = radius_m / EARTH_RADIUS_M; // radians
    let angle_deg = angle.to_degrees();
    if angle_deg > height || centre.lat.abs() + angle_deg >= 90.0 {
        return false;
    }
    // The widest longitude a spherical cap of angular radius `angle` spans from its centre.
    let half_width = (angle.sin() / centre.lat.to_radians().cos())
        .min(1.0)
        .asin()
        .to_degrees();
    half_width <= width
}

/// The cells to read to find every venue within `radius_m` of `centre`.
pub fn search_cells(centre: Point, radius_m: f64) -> Vec<String> {
    INDEX_PRECISIONS
        .rev()
        .find(|precision| block_holds(centre, radius_m, *precision))
        .map(|precision| block(&encode(centre, precision)))
        .unwrap_or_else(all_top_cells)
}

/// One item of `GET /venues/near`.
#[derive(Debug, Clone, PartialEq)]
pub struct Near<T> {
    pub item: T,
    pub distance_m: u64,
}

/// The items within `radius_m` of `centre`, nearest first, ties by `id`; `point` and `id` read
/// an item's location and id.
pub fn rank<T>(
    items: impl IntoIterator<Item = T>,
    centre: Point,
    radius_m: u64,
    point: impl Fn(&T) -> Point,
    id: impl Fn(&T) -> &str,
) -> Vec<Near<T>> {
    let mut near: Vec<Near<T>> = items
        .into_iter()
        .filter_map(|item| {
            let distance_m = distance_m(centre, point(&item));
            (distance_m <= radius_m).then_some(Near { item, distance_m })
        })
        .collect();
    near.sort_by(|a, b| match a.distance_m.cmp(&b.distance_m) {
        Ordering::Equal => id(&a.item).cmp(id(&b.item)),
        other => other,
    });
    near
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANCHORAGE: Point = Point {
        lat: 61.2035833,
        lon: -149.853936,
    };
    const CENTENARIO: Point = Point {
        lat: -34.6071389,
        lon: -58.4383249,
    };

    /// A small deterministic generator (no test depends on chance).
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// The point `distance_m` from `from` towards `bearing` (radians).
    fn destination(from: Point, distance_m: f64, bearing: f64) -> Point {
        let (lat1, lon1) = (from.lat.to_radians(), from.lon.to_radians());
        let angle = distance_m / EARTH_RADIUS_M;
        let lat2 = (lat1.sin() * angle.cos() + lat1.cos() * angle.sin() * bearing.cos()).asin();
        let lon2 = lon1 + (bearing.sin() * angle.sin() * lat1.cos()).atan2(angle.cos() - lat1.sin() * lat2.sin());
        Point::new(lat2.to_degrees(), wrap_lon(lon2.to_degrees()))
    }

    #[test]
    fn distance_between_anchorage_and_centenario() {
        // Seed: 13 398.755726725843 km, within 0.1 km.
        let km = haversine_m(ANCHORAGE, CENTENARIO) / 1000.0;
        assert!((km - 13_398.755_726_725_843).abs() < 0.1, "{km}");
        assert_eq!(distance_m(ANCHORAGE, CENTENARIO), 13_398_756);
        assert_eq!(haversine_m(CENTENARIO, CENTENARIO), 0.0);
        assert_eq!(distance_m(CENTENARIO, ANCHORAGE), distance_m(ANCHORAGE, CENTENARIO));
    }

    #[test]
    fn compare_distances_relative_to_a_point() {
        let me = Point::new(-34.6211119, -58.4348481);
        assert!(haversine_m(me, ANCHORAGE) > haversine_m(me, CENTENARIO));
    }

    #[test]
    fn two_nearly_equal_distances_tie_and_rank_by_id() {
        // Seed: two places a centimetre apart are equally far (it compared within 10 m); here they
        // round to the same metre, and the id breaks the tie.
        let me = Point::new(-34.6211119, -58.4348481);
        let twin = Point::new(-34.6071388, -58.4383249);
        assert_eq!(distance_m(me, CENTENARIO), distance_m(me, twin));
        let places = [("b", CENTENARIO), ("a", twin)];
        let ranked = rank(places, me, 20_000_000, |p| p.1, |p| p.0);
        let ids: Vec<&str> = ranked.iter().map(|n| n.item.0).collect();
        assert_eq!(ids, ["a", "b"]);
    }

    #[test]
    fn ranking_two_hundred_places() {
        // Seed: 200 places stepping 0.01° north-east of the centre, given shuffled, come back in order.
        let centre = CENTENARIO;
        let places: Vec<(String, Point)> = (0..200)
            .map(|i| {
                let step = 0.01 * f64::from(i);
                (format!("{i:03}"), Point::new(centre.lat + step, centre.lon + step))
            })
            .collect();
        let mut shuffled = places.clone();
        let mut random = Lcg(7);
        for i in (1..shuffled.len()).rev() {
            let j = (random.next() * (i + 1) as f64) as usize;
            shuffled.swap(i, j);
        }
        let ranked = rank(shuffled, centre, 20_000_000, |p| p.1, |p| p.0.as_str());
        let order: Vec<&str> = ranked.iter().map(|n| n.item.0.as_str()).collect();
        let expected: Vec<&str> = places.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(order, expected);
        assert_eq!(ranked[0].distance_m, 0);
    }

    #[test]
    fn venues_ranked_by_distance() {
        // Seed: five venues south-west of Palermo, listed nearest first.
        let me = Point::new(-34.594174, -58.4566507);
        let venues = [
            ("1", Point::new(-34.694174, -58.5566507)),
            ("2", Point::new(-34.794174, -58.6566507)),
            ("3", Point::new(-34.894174, -58.7566507)),
            ("4", Point::new(-34.994174, -58.8566507)),
            ("5", Point::new(-35.094174, -58.9566507)),
        ];
        let mut given = venues;
        given.reverse();
        given.swap(0, 2);
        let ranked = rank(given, me, 20_000_000, |v| v.1, |v| v.0);
        let ids: Vec<&str> = ranked.iter().map(|n| n.item.0).collect();
        assert_eq!(ids, ["1", "2", "3", "4", "5"]);
        let within_20_km = rank(venues, me, 20_000, |v| v.1, |v| v.0);
        assert_eq!(within_20_km.len(), 1);
        assert_eq!(within_20_km[0].distance_m, distance_m(me, venues[0].1));
    }

    #[test]
    fn geohashes_are_the_standard_ones() {
        // Well-known values: 57.64911, 10.40744 → u4pruydqqvj.
        assert_eq!(encode(Point::new(57.64911, 10.40744), 11), "u4pruydqqvj");
        assert_eq!(encode(Point::new(-34.6037, -58.3816), 6), "69y7pk");
        let (lat_min, lat_max, lon_min, lon_max) = bounds("u4pruydqqvj").unwrap();
        assert!(lat_min <= 57.64911 && 57.64911 <= lat_max);
        assert!(lon_min <= 10.40744 && 10.40744 <= lon_max);
        assert_eq!(bounds("a"), None, "`a` is not in the alphabet");
        assert_eq!(cell_size(1), (45.0, 45.0));
        assert_eq!(cell_size(2), (5.625, 11.25));
        assert_eq!(
            index_cells(Point::new(-34.6037, -58.3816)),
            ["6", "69", "69y", "69y7", "69y7p", "69y7pk"]
        );
    }

    #[test]
    fn a_block_is_a_cell_and_its_neighbours() {
        let cells = block("69y7pk");
        assert_eq!(cells.len(), 9);
        assert!(cells.contains(&"69y7pk".to_string()));
        // Across the antimeridian: the block of a cell at 179.9° holds cells at −179.9°.
        let east = encode(Point::new(0.0, 179.99), 4);
        let west = encode(Point::new(0.0, -179.99), 4);
        assert!(block(&east).contains(&west));
        // At a pole there is no row beyond.
        assert_eq!(block(&encode(Point::new(89.99, 0.0), 3)).len(), 6);
        assert_eq!(all_top_cells().len(), 32);
    }

    #[test]
    fn small_radii_read_nine_fine_cells_huge_ones_every_top_cell() {
        let buenos_aires = Point::new(-34.6037, -58.3816);
        let cells = search_cells(buenos_aires, 5_000.0);
        assert_eq!(cells.len(), 9);
        assert!(cells.iter().all(|c| c.len() == 4), "{cells:?}");
        assert!(search_cells(buenos_aires, 1.0).iter().all(|c| c.len() == MAX_PRECISION));
        assert_eq!(search_cells(buenos_aires, 20_000_000.0).len(), 32);
        assert_eq!(
            search_cells(Point::new(89.0, 0.0), 200_000.0).len(),
            32,
            "reaches the pole"
        );
    }

    #[test]
    fn the_cells_searched_hold_every_point_within_the_radius() {
        let mut random = Lcg(2024);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..4_000 {
            let centre = Point::new(random.next() * 178.0 - 89.0, random.next() * 360.0 - 180.0);
            // Radii from 1 m to 20 000 km, spread over the scales.
            let radius = 10f64.powf(random.next() * 7.3);
            let cells = search_cells(centre, radius);
            let precision = cells[0].len();
            seen.insert((precision, cells.len() == 32));
            for _ in 0..8 {
                let target = destination(
                    centre,
                    radius * random.next() * 0.999,
                    random.next() * std::f64::consts::TAU,
                );
                let cell = encode(target, precision);
                assert!(
                    cells.contains(&cell),
                    "{target:?} at {radius} m from {centre:?} is in {cell}, not in {cells:?}"
                );
            }
        }
        let precisions: std::collections::BTreeSet<usize> = seen.iter().map(|(p, _)| *p).collect();
        assert_eq!(precisions, INDEX_PRECISIONS.collect(), "every precision was exercised");
        assert!(
            seen.contains(&(1, true)) && seen.contains(&(1, false)),
            "blocks and the 32 top cells"
        );
    }
}
