//! Publication: what one attempt of it does with an ad, as read. The publisher runs it for
//! every message of the publication queue; image-uploaded runs it right after recording a
//! photo on a published ad, so that photo is copied to the permanent bucket at once instead
//! of waiting in the temporary one (which expires objects after a day) for the next edit.

use andes_shared::ids;

use super::{Ad, ImageStatus, Status};

/// Who runs a publication attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicationTrigger {
    /// A message of the publication queue (publish, re-publish, a duplicate or late one).
    Queue,
    /// image-uploaded, after recording a photo: acts on a published ad only (a pending ad's
    /// publication is queued and copies the photo itself).
    Upload,
}

/// What a publication attempt does with the ad it read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicationStep {
    /// `pending`: copy the photos still in the temporary bucket, delete the dropped ones, write
    /// `published`. A photo gone from both buckets fails the publication (the owner is told).
    Publish,
    /// `published` with photos still in the temporary bucket (added after its publication):
    /// copy them and write the ad, still `published`. A photo gone from both buckets stays as
    /// it is: the ad is not taken down for a photo nobody but its owner has seen.
    AddPhotos,
    /// `published`, every photo copied: delete what is left in the temporary bucket.
    CleanUp,
    /// Nothing to do: a draft, a failed or deleted ad, or a pending one seen by an upload.
    Nothing,
}

pub fn publication_step(ad: &Ad, trigger: PublicationTrigger) -> PublicationStep {
    let new_photos = ad.images.iter().any(|i| i.status == ImageStatus::Uploaded);
    match (ad.status, trigger) {
        (Status::Pending, PublicationTrigger::Queue) => PublicationStep::Publish,
        (Status::Published, _) if new_photos => PublicationStep::AddPhotos,
        (Status::Published, _) => PublicationStep::CleanUp,
        _ => PublicationStep::Nothing,
    }
}

/// The ad after a publication attempt that copied its photos: the status write the publisher
/// (or image-uploaded) makes. The first publication time is kept.
pub fn finish_publication(ad: &mut Ad) {
    let now = ids::now_rfc3339();
    ad.dropped.clear();
    ad.status = Status::Published;
    ad.failure = None;
    if ad.published_at.is_none() {
        ad.published_at = Some(now.clone());
    }
    ad.updated = now;
    ad.version += 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AdFields, Image, Placement};

    fn ad(status: Status, images: &[ImageStatus]) -> Ad {
        Ad {
            id: "a".into(),
            owner: "o".into(),
            status,
            details: AdFields {
                model_id: 1,
                version_id: None,
                city_id: 1,
                kind: "naked".into(),
                origin: "national".into(),
                fabrication_year: 2020,
                model_year: 2020,
                license_plate: None,
                mileage: 0,
                is_new: true,
                color: "red".into(),
                price: "1.00".into(),
                sales_phrase: String::new(),
                description: String::new(),
                options: vec![],
                accept_new_offer: false,
                accept_exchange: false,
                doc_ok: false,
                track_ready: false,
                brake_system: "abs".into(),
                ignition: "electric".into(),
                cooling: "air".into(),
                top_offer: false,
            },
            price_cents: 100,
            placement: Placement {
                brand_id: 1,
                brand_name: "B".into(),
                model_name: "M".into(),
                version_name: None,
                state_id: 1,
                state_acronym: "SP".into(),
                city_name: "C".into(),
            },
            images: images
                .iter()
                .enumerate()
                .map(|(n, status)| Image {
                    id: format!("i{n}"),
                    content_type: "image/jpeg".into(),
                    size: 1,
                    upload_key: format!("uploads/a/o/i{n}.jpg"),
                    key: None,
                    url: None,
                    status: *status,
                })
                .collect(),
            dropped: vec![],
            created: "2026-01-01T00:00:00.000Z".into(),
            updated: "2026-01-01T00:00:00.000Z".into(),
            published_at: None,
            failure: None,
            version: 1,
        }
    }

    use ImageStatus::{Published as Copied, Uploaded as New};
    use PublicationStep::*;
    use PublicationTrigger::{Queue, Upload};

    #[test]
    fn a_pending_ad_is_published_by_its_queued_publication_only() {
        assert_eq!(publication_step(&ad(Status::Pending, &[New, Copied]), Queue), Publish);
        assert_eq!(publication_step(&ad(Status::Pending, &[New]), Upload), Nothing);
    }

    #[test]
    fn photos_added_to_a_published_ad_are_copied_by_whoever_sees_them_first() {
        for trigger in [Queue, Upload] {
            assert_eq!(
                publication_step(&ad(Status::Published, &[Copied, New]), trigger),
                AddPhotos
            );
            assert_eq!(
                publication_step(&ad(Status::Published, &[Copied, Copied]), trigger),
                CleanUp
            );
        }
    }

    #[test]
    fn drafts_failed_and_deleted_ads_are_left_alone() {
        for status in [Status::Draft, Status::Failed, Status::Deleted] {
            for trigger in [Queue, Upload] {
                assert_eq!(publication_step(&ad(status, &[New]), trigger), Nothing, "{status:?}");
            }
        }
    }

    #[test]
    fn publication_keeps_the_first_publication_time() {
        let mut published = ad(Status::Pending, &[Copied]);
        published.dropped = vec!["ads/a/x.jpg".into()];
        published.published_at = Some("2026-01-02T00:00:00.000Z".into());
        published.failure = Some("old".into());
        published.version = 4;
        finish_publication(&mut published);
        assert_eq!(published.status, Status::Published);
        assert_eq!(published.version, 5);
        assert!(published.dropped.is_empty() && published.failure.is_none());
        assert_eq!(published.published_at.as_deref(), Some("2026-01-02T00:00:00.000Z"));
        let mut first = ad(Status::Pending, &[Copied]);
        finish_publication(&mut first);
        assert_eq!(first.published_at.as_deref(), Some(first.updated.as_str()));
    }
}
