//! Invitation codes: a member's unused codes are topped up to `remaining_invitations`.

use andes_shared::http::ApiError;
use andes_shared::ids;

use crate::domain::{random_code, Membership};
use crate::store::{IssueOutcome, Store};

/// Attempts before giving up on a busy member (another top-up racing) or on code clashes.
const ATTEMPTS: usize = 5;

/// Issues the codes `member` is missing (`remaining_invitations - unused_codes`), all in one
/// transaction. `supplied` codes are used first (as the seed's manager: a supplied code is
/// kept; one that is already taken is replaced by a fresh random code). Returns the codes
/// issued by this call.
pub async fn top_up(
    store: &Store,
    mut member: Membership,
    supplied_codes: Vec<String>,
) -> Result<Vec<String>, ApiError> {
    let mut supplied: Vec<String> = Vec::new();
    for code in supplied_codes {
        if !supplied.contains(&code) {
            supplied.push(code);
        }
    }
    for _ in 0..ATTEMPTS {
        let missing = (member.remaining_invitations - member.unused_codes).max(0) as usize;
        if missing == 0 {
            return Ok(Vec::new());
        }
        let mut codes: Vec<String> = supplied.iter().take(missing).cloned().collect();
        while codes.len() < missing {
            let code = random_code();
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
        match store.issue_codes(&member, &codes, &ids::now_rfc3339()).await? {
            IssueOutcome::Issued => return Ok(codes),
            IssueOutcome::CodesTaken(taken) => supplied.retain(|code| !taken.contains(code)),
            IssueOutcome::MemberChanged => {
                member = match store.get_membership(&member.circle, &member.username).await? {
                    Some(current) if current.is_active => current,
                    _ => return Ok(Vec::new()),
                };
            }
        }
    }
    Err(ApiError::Unavailable(
        "could not issue invitation codes; try again".into(),
    ))
}
