//! The seed's own test (cride `circles/tests/test_invitations.py`) as an end-to-end test,
//! plus the seed manager's rules for supplied codes.

mod rides_support;

use std::collections::HashSet;

use andes_tests::support::{json, Ctx};
use rides_support::*;

/// Seed: a member's first `GET .../members/{username}/invitations` with 10 remaining
/// invitations answers 200 and creates exactly 10 codes, all listed.
#[tokio::test]
async fn seed_member_first_invitations_request_creates_exactly_ten_codes() {
    let ctx = Ctx::new().await;
    let owner = user(&ctx).await;
    let slug = unique_slug("seed");
    create_circle(&ctx, &owner, &slug, json!({})).await;
    let before = membership(&ctx, &owner, &slug, &owner.username).await;
    assert_eq!(before["remaining_invitations"], json!(10), "{before}");

    let answer = invitations(&ctx, &owner, &slug).await;
    let codes = strings(&answer["invitations"]);
    assert_eq!(codes.len(), 10, "{answer}");
    assert_eq!(
        codes.iter().collect::<HashSet<_>>().len(),
        10,
        "codes are distinct: {codes:?}"
    );
    for code in &codes {
        assert_eq!(code.len(), 10, "{code}");
        assert!(
            code.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'.' || b == b'-'),
            "{code}"
        );
    }
    assert_eq!(answer["used_invitations"], json!([]), "{answer}");

    // Asking again lists the same codes: nothing new is created.
    let again = strings(&invitations(&ctx, &owner, &slug).await["invitations"]);
    assert_eq!(
        again.iter().collect::<HashSet<_>>(),
        codes.iter().collect::<HashSet<_>>()
    );

    // Each listed code is a real invitation: it lets someone join, once; the issuer's
    // counters move and the used code is no longer listed (the list is topped up to the
    // 9 remaining invitations).
    let guest = user(&ctx).await;
    let joined = join(&ctx, &guest, &slug, &codes[0]).await.expect(201);
    assert_eq!(joined["invited_by"], json!(owner.username));
    let after = invitations(&ctx, &owner, &slug).await;
    let left = strings(&after["invitations"]);
    assert_eq!(left.len(), 9, "{after}");
    assert!(!left.contains(&codes[0]));
    assert_eq!(
        after["used_invitations"][0]["user"]["username"],
        json!(guest.username),
        "{after}"
    );
    let issuer = membership(&ctx, &owner, &slug, &owner.username).await;
    assert_eq!(
        (
            issuer["used_invitations"].clone(),
            issuer["remaining_invitations"].clone()
        ),
        (json!(1), json!(9)),
        "{issuer}"
    );
}

/// The seed's invitation manager: a supplied code is kept; a supplied code that already
/// exists is replaced by a fresh one (through `rides-admin issue-invitations`).
#[tokio::test]
async fn supplied_codes_are_kept_and_duplicates_get_fresh_ones() {
    let ctx = Ctx::new().await;
    let (first, second) = (user(&ctx).await, user(&ctx).await);
    let (a, b) = (unique_slug("code-a"), unique_slug("code-b"));
    create_circle(&ctx, &first, &a, json!({})).await;
    create_circle(&ctx, &second, &b, json!({})).await;
    let supplied = format!("S{}", &andes_tests::support::unique_tag()[..9]).to_uppercase();

    // (The same code twice is one code.)
    let issued = rides_admin_ok(
        &ctx,
        &[
            "issue-invitations",
            "--circle",
            &a,
            "--member",
            &first.username,
            "--code",
            &supplied,
            "--code",
            &supplied,
        ],
    )
    .await;
    let issued: Vec<&str> = issued.lines().collect();
    assert_eq!(issued.len(), 10, "{issued:?}");
    assert!(
        issued.contains(&supplied.as_str()),
        "the supplied code is kept: {issued:?}"
    );
    assert!(codes(&ctx, &first, &a).await.contains(&supplied));

    let issued = rides_admin_ok(
        &ctx,
        &[
            "issue-invitations",
            "--circle",
            &b,
            "--member",
            &second.username,
            "--code",
            &supplied,
        ],
    )
    .await;
    let issued: Vec<&str> = issued.lines().collect();
    assert_eq!(issued.len(), 10, "{issued:?}");
    assert!(
        !issued.contains(&supplied.as_str()),
        "a duplicate code is replaced: {issued:?}"
    );
    // The code still belongs to the first circle only.
    let guest = user(&ctx).await;
    join(&ctx, &guest, &b, &supplied)
        .await
        .expect_invalid_field("invitation_code");
    join(&ctx, &guest, &a, &supplied).await.expect(201);
}
