//! Demo data like the seed's `load2db.py` / `rmuser.py`, loaded through the real path:
//! accounts are created verified with the identity library, everything else goes over HTTP
//! through the gateway (login, profile, ads, presigned uploads, publication), so the
//! image-uploaded and publisher functions do the work they do for real users.

use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use identity::account::ROLE_USER;
use identity::directory::{Directory, NewAccount};
use indicatif::{ProgressBar, ProgressStyle};
use rand::seq::IndexedRandom;
use rand::Rng;
use serde_json::{json, Value};

use crate::catalog::{parse_catalog, Entry};
use crate::config::State;
use crate::jobs::list_keys;

pub const ADS_PER_ACCOUNT: usize = 3;
pub const PHOTOS_PER_AD: usize = 3;
/// Bound for one ad's uploads to be recorded and for its publication.
const WAIT: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(200);

#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub name: String,
    pub email: String,
    pub password: String,
}

/// `name;email;password` lines.
pub fn parse_accounts(text: &str) -> Result<Vec<DemoAccount>, String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(n, line)| {
            let mut parts = line.trim_end_matches('\r').splitn(3, ';');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(name), Some(email), Some(password)) if !email.is_empty() && !password.is_empty() => {
                    Ok(DemoAccount {
                        name: name.trim().to_string(),
                        email: email.trim().to_lowercase(),
                        password: password.to_string(),
                    })
                }
                _ => Err(format!("accounts.csv line {}: expected name;email;password", n + 1)),
            }
        })
        .collect()
}

fn demo_photos(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let img = dir.join("img");
    let mut names: Vec<String> = std::fs::read_dir(&img)
        .map_err(|e| format!("{}: {e}", img.display()))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".jpeg") || n.ends_with(".jpg"))
        .collect();
    names.sort_by_key(|n| {
        n.split('.')
            .next()
            .and_then(|s| s.parse::<u32>().ok())
            .unwrap_or(u32::MAX)
    });
    names
        .into_iter()
        .map(|n| {
            std::fs::read(img.join(&n))
                .map(|bytes| (n.clone(), bytes))
                .map_err(|e| format!("{n}: {e}"))
        })
        .collect()
}

struct Http {
    client: reqwest::Client,
    base: String,
}

impl Http {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<(u16, Value), String> {
        let mut request = self.client.request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| format!("{method} {path}: {e}"))?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| format!("{method} {path}: {e}"))?;
        let value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok((status, value))
    }

    async fn expect(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        status: u16,
    ) -> Result<Value, String> {
        let (got, value) = self.call(method.clone(), path, token, body).await?;
        if got != status {
            return Err(format!("{method} {path}: expected {status}, got {got}: {value}"));
        }
        Ok(value)
    }
}

/// The backend's per-function AWS call counter (local platform only).
async fn calls(client: &reqwest::Client, method: reqwest::Method) -> Option<Value> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").ok()?;
    let response = client
        .request(method, format!("{}/_andes/calls", endpoint.trim_end_matches('/')))
        .send()
        .await
        .ok()?;
    response.json().await.ok()
}

/// Creates the demo account, verified, unless its email is registered.
async fn ensure_account(identity: &Directory, demo: &DemoAccount) -> Result<(), String> {
    let account = NewAccount {
        email: &demo.email,
        name: &demo.name,
        password: &demo.password,
        roles: vec![ROLE_USER.to_string()],
    };
    identity
        .create_verified_account(account)
        .await
        .map_err(|e| format!("{}: {e}", demo.email))?;
    Ok(())
}

struct Choices {
    cities: Vec<(u32, u32)>,
    versions: Vec<(u32, u32)>,
}

fn choices(entries: &[Entry]) -> Choices {
    let mut cities = Vec::new();
    let mut versions = Vec::new();
    for entry in entries {
        match entry {
            Entry::City(c) => cities.push((c.id, c.state_id)),
            Entry::Version(v) => versions.push((v.id, v.model_id)),
            _ => {}
        }
    }
    Choices { cities, versions }
}

fn random_ad(choices: &Choices) -> Value {
    let mut rng = rand::rng();
    let (version_id, model_id) = *choices.versions.choose(&mut rng).expect("catalog has versions");
    let (city_id, _) = *choices.cities.choose(&mut rng).expect("catalog has cities");
    let year = rng.random_range(2010..=2025);
    let pick = |values: &[&str], rng: &mut rand::rngs::ThreadRng| values.choose(rng).expect("non-empty").to_string();
    json!({
        "model_id": model_id,
        "version_id": version_id,
        "city_id": city_id,
        "type": pick(crate::domain::TYPES, &mut rng),
        "origin": pick(crate::domain::ORIGINS, &mut rng),
        "fabrication_year": year,
        "model_year": year + rng.random_range(0..=1),
        "mileage": rng.random_range(0..80_000),
        "is_new": rng.random_bool(0.2),
        "color": pick(crate::domain::COLORS, &mut rng),
        "price": format!("{}.00", rng.random_range(5_000..120_000)),
        "sales_phrase": "Moto revisada, pronta para rodar",
        "description": "Anúncio de demonstração do Motando.",
        "options": ["alarm", "gps"],
        "accept_new_offer": rng.random_bool(0.5),
        "accept_exchange": rng.random_bool(0.5),
        "doc_ok": rng.random_bool(0.8),
        "track_ready": rng.random_bool(0.3),
        "brake_system": pick(crate::domain::BRAKE_SYSTEMS, &mut rng),
        "ignition": pick(crate::domain::IGNITIONS, &mut rng),
        "cooling": pick(crate::domain::COOLINGS, &mut rng),
        "top_offer": rng.random_bool(0.2),
    })
}

async fn wait_for(
    http: &Http,
    ad_id: &str,
    token: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Result<(), String> {
    let deadline = Instant::now() + WAIT;
    loop {
        let ad = http
            .expect(
                reqwest::Method::GET,
                &format!("/classifieds/ads/{ad_id}"),
                Some(token),
                None,
                200,
            )
            .await?;
        if done(&ad) {
            return Ok(());
        }
        if ad["status"] == "failed" {
            return Err(format!("ad {ad_id} failed: {}", ad["failure"]));
        }
        if Instant::now() > deadline {
            return Err(format!("ad {ad_id}: timed out waiting for {what}: {ad}"));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// One account: login, profile, its ads with photos, publication of each.
async fn load_account(
    http: &Http,
    demo: &DemoAccount,
    index: usize,
    photos: &[(String, Vec<u8>)],
    choices: &Choices,
    bar: &ProgressBar,
) -> Result<(), String> {
    let login = http
        .expect(
            reqwest::Method::POST,
            "/identity/login",
            None,
            Some(json!({"email": demo.email, "password": demo.password})),
            200,
        )
        .await?;
    let token = login["access_token"]
        .as_str()
        .ok_or("login answered no access_token")?
        .to_string();
    let (city_id, state_id) = *choices.cities.choose(&mut rand::rng()).expect("catalog has cities");
    let phone = format!(
        "+55 11 9{:04}-{:04}",
        rand::rng().random_range(0..10_000),
        rand::rng().random_range(0..10_000)
    );
    http.expect(
        reqwest::Method::PUT,
        "/classifieds/me/profile",
        Some(&token),
        Some(json!({"state_id": state_id, "city_id": city_id, "phone": phone, "show_phone": true})),
        200,
    )
    .await?;
    for ad_index in 0..ADS_PER_ACCOUNT {
        let ad = http
            .expect(
                reqwest::Method::POST,
                "/classifieds/ads",
                Some(&token),
                Some(random_ad(choices)),
                201,
            )
            .await?;
        let ad_id = ad["id"].as_str().ok_or("create answered no id")?.to_string();
        for photo_index in 0..PHOTOS_PER_AD {
            let (_, bytes) = &photos
                [(index * ADS_PER_ACCOUNT * PHOTOS_PER_AD + ad_index * PHOTOS_PER_AD + photo_index) % photos.len()];
            let upload = http
                .expect(
                    reqwest::Method::POST,
                    &format!("/classifieds/ads/{ad_id}/images"),
                    Some(&token),
                    Some(json!({"content_type": "image/jpeg", "size": bytes.len()})),
                    201,
                )
                .await?;
            let url = upload["url"].as_str().ok_or("upload answered no url")?;
            let response = http
                .client
                .put(url)
                .header("content-type", "image/jpeg")
                .body(bytes.clone())
                .send()
                .await
                .map_err(|e| format!("PUT presigned upload: {e}"))?;
            if !response.status().is_success() {
                return Err(format!("PUT presigned upload: {}", response.status()));
            }
        }
        wait_for(http, &ad_id, &token, "its photos to be recorded", |ad| {
            ad["images"].as_array().is_some_and(|i| i.len() == PHOTOS_PER_AD)
        })
        .await?;
        http.expect(
            reqwest::Method::POST,
            &format!("/classifieds/ads/{ad_id}/publish"),
            Some(&token),
            None,
            202,
        )
        .await?;
        wait_for(http, &ad_id, &token, "publication", |ad| ad["status"] == "published").await?;
        bar.inc(1);
    }
    Ok(())
}

pub async fn load(
    identity: &Directory,
    dir: &Path,
    catalog: &Path,
    limit: Option<usize>,
    concurrency: usize,
) -> Result<(), String> {
    let text = std::fs::read_to_string(dir.join("accounts.csv"))
        .map_err(|e| format!("{}: {e}", dir.join("accounts.csv").display()))?;
    let mut accounts = parse_accounts(&text)?;
    if let Some(limit) = limit {
        accounts.truncate(limit);
    }
    let photos = demo_photos(dir)?;
    if photos.is_empty() {
        return Err("no demo photos".into());
    }
    let entries = parse_catalog(&std::fs::read_to_string(catalog).map_err(|e| format!("{}: {e}", catalog.display()))?)?;
    let choices = choices(&entries);
    let base = std::env::var("ANDES_BASE_URL").map_err(|_| "ANDES_BASE_URL is not set (source .andes/local.env)")?;
    let http = Http {
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| e.to_string())?,
        base: base.trim_end_matches('/').to_string(),
    };
    let started = Instant::now();
    calls(&http.client, reqwest::Method::DELETE).await;

    eprintln!("creating {} verified accounts", accounts.len());
    for demo in &accounts {
        ensure_account(identity, demo).await?;
    }
    let bar = ProgressBar::new((accounts.len() * ADS_PER_ACCOUNT) as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} ads published ({per_sec}) {msg}",
        )
        .map_err(|e| e.to_string())?,
    );
    let results: Vec<Result<(), String>> = stream::iter(accounts.iter().enumerate())
        .map(|(index, demo)| {
            let (http, photos, choices, bar) = (&http, &photos, &choices, &bar);
            async move { Box::pin(load_account(http, demo, index, photos, choices, bar)).await }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    bar.finish();
    let failures: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    let elapsed = started.elapsed();
    println!(
        "demo loaded: {} accounts, {} ads with {} photos each, in {:.1} s",
        accounts.len(),
        accounts.len() * ADS_PER_ACCOUNT,
        PHOTOS_PER_AD,
        elapsed.as_secs_f64()
    );
    if let Some(counted) = calls(&http.client, reqwest::Method::GET).await {
        print_calls(&counted);
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("{} accounts failed; first: {}", failures.len(), failures[0]))
    }
}

fn print_calls(counted: &Value) {
    let Some(functions) = counted.as_object() else { return };
    let mut total = 0;
    let mut lines = Vec::new();
    for (function, operations) in functions {
        if function == "platform" {
            continue;
        }
        let Some(operations) = operations.as_object() else {
            continue;
        };
        let sum: u64 = operations.values().filter_map(Value::as_u64).sum();
        total += sum;
        let detail: Vec<String> = operations.iter().map(|(op, n)| format!("{op} {n}")).collect();
        lines.push(format!("  {function}: {sum} ({})", detail.join(", ")));
    }
    println!("AWS calls by function (local backend): {total} in all");
    for line in lines {
        println!("{line}");
    }
}

/// Removes the demo accounts and everything they own.
pub async fn remove(state: &State, identity: &Directory, dir: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(dir.join("accounts.csv"))
        .map_err(|e| format!("{}: {e}", dir.join("accounts.csv").display()))?;
    let accounts = parse_accounts(&text)?;
    let bar = ProgressBar::new(accounts.len() as u64);
    let mut removed = (0, 0);
    for demo in &accounts {
        bar.inc(1);
        let Some(account) = identity
            .account_by_email(&demo.email)
            .await
            .map_err(|e| e.to_string())?
        else {
            continue;
        };
        let mut cursor: Option<String> = None;
        loop {
            let page = state
                .store
                .owner_ads(&account.id, 100, cursor.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            for ad in &page.items {
                for (bucket, prefix) in [
                    (&state.config.uploads_bucket, format!("uploads/{}/", ad.id)),
                    (&state.config.images_bucket, format!("ads/{}/", ad.id)),
                ] {
                    for key in list_keys(&state.s3, bucket, &prefix).await.map_err(|e| e.to_string())? {
                        state
                            .s3
                            .delete_object()
                            .bucket(bucket)
                            .key(&key)
                            .send()
                            .await
                            .map_err(|e| e.to_string())?;
                    }
                }
                state.store.remove_ad_items(&ad.id).await.map_err(|e| e.to_string())?;
                removed.1 += 1;
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        for selling in [true, false] {
            loop {
                let page = state
                    .store
                    .chats_of(&account.id, selling, 100, None)
                    .await
                    .map_err(|e| e.to_string())?;
                if page.items.is_empty() {
                    break;
                }
                for chat in &page.items {
                    state.store.remove_chat(&chat.id).await.map_err(|e| e.to_string())?;
                }
            }
        }
        state
            .store
            .remove_profile(&account.id)
            .await
            .map_err(|e| e.to_string())?;
        identity.delete_account(&account.id).await.map_err(|e| e.to_string())?;
        removed.0 += 1;
    }
    bar.finish_and_clear();
    println!(
        "demo removed: {} accounts, {} ads (with their photos, chats and profiles)",
        removed.0, removed.1
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_accounts_parse() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/classifieds/demo/accounts.csv"
        ))
        .unwrap();
        let accounts = parse_accounts(&text).unwrap();
        // 39 accounts: the brief's "38" is `wc -l`, which misses the last line (no newline).
        assert_eq!(accounts.len(), 39);
        assert!(accounts.iter().all(|a| a.email.contains('@')));
        let photos = demo_photos(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/classifieds/demo"
        )))
        .unwrap();
        assert_eq!(photos.len(), 60);
        assert!(photos
            .iter()
            .all(|(_, bytes)| crate::domain::ImageType::sniff(bytes) == Some(crate::domain::ImageType::Jpeg)));
    }
}
