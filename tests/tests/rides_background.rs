//! Background functions through the local platform's real deliveries: the
//! deactivate-finished-rides schedule, the circles import on the imports bucket (seed CSV,
//! idempotent re-upload, bad lines reported), the rides export (schedule and admin command)
//! with its presigned download URL.

mod rides_support;

use andes_tests::support::{json, project_dir, unique_tag, Ctx, Value};
use rides_support::*;

fn seed_csv() -> Vec<u8> {
    std::fs::read(project_dir().join("data/rides/circles.csv")).expect("data/rides/circles.csv")
}

const SEED_SLUGS: usize = 21;

#[tokio::test]
async fn the_schedule_deactivates_rides_arriving_within_twenty_minutes() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 2).await;
    let (driver, member) = (&users[0], &users[1]);
    let slug = circle_with_members(&ctx, driver, std::slice::from_ref(member), json!({})).await;
    let rides = rides_path(&slug);
    let arriving = ctx
        .call("POST", &rides, driver.bearer(), Some(&ride_body(2, 11, 15)))
        .await
        .expect(201);
    let later = ctx
        .call("POST", &rides, driver.bearer(), Some(&ride_body(2, 60, 180)))
        .await
        .expect(201);

    let result = fire_schedule(&ctx, "RidesDeactivateFinishedRidesFunction").await;
    let deactivated = strings(&result["deactivated"]);
    assert!(deactivated.contains(&format!("{slug}/{}", id(&arriving))), "{result}");
    assert!(!deactivated.contains(&format!("{slug}/{}", id(&later))), "{result}");

    let read = |ride: &Value| {
        let (ctx, member, path) = (ctx.clone(), member.clone(), ride_path(&slug, &id(ride)));
        async move { ctx.call("GET", &path, member.bearer(), None).await.expect(200) }
    };
    assert_eq!(read(&arriving).await["is_active"], json!(false));
    assert_eq!(read(&later).await["is_active"], json!(true));
    ctx.call(
        "POST",
        &format!("{}/join", ride_path(&slug, &id(&arriving))),
        member.bearer(),
        None,
    )
    .await
    .expect_problem(409, Some("You can't join this ride now"));
    // Idempotent: firing again changes nothing for these rides.
    let again = fire_schedule(&ctx, "RidesDeactivateFinishedRidesFunction").await;
    assert!(
        !strings(&again["deactivated"]).contains(&format!("{slug}/{}", id(&arriving))),
        "{again}"
    );
    assert_eq!(read(&later).await["is_active"], json!(true));
}

#[tokio::test]
async fn uploading_the_seed_csv_imports_its_21_circles_once() {
    let ctx = Ctx::new().await;
    let viewer = user(&ctx).await;
    let key = format!("imports/circles/seed-{}.csv", unique_tag());
    let report = upload_and_wait_report(&ctx, &key, seed_csv()).await;
    assert_eq!(report["errors"], json!([]), "{report}");
    let imported = strings(&report["imported"]);
    let skipped = strings(&report["skipped"]);
    assert_eq!(imported.len() + skipped.len(), SEED_SLUGS, "{report}");

    // Every circle of the seed exists, as the CSV describes it.
    let unam = circle(&ctx, &viewer, "unam-fciencias").await;
    assert_eq!(unam["name"], json!("Facultad de Ciencias, UNAM"));
    assert_eq!(
        (
            unam["is_public"].clone(),
            unam["verified"].clone(),
            unam["is_limited"].clone()
        ),
        (json!(true), json!(true), json!(false))
    );
    let inventive = circle(&ctx, &viewer, "inventive").await;
    assert_eq!(
        (
            inventive["is_public"].clone(),
            inventive["is_limited"].clone(),
            inventive["members_limit"].clone()
        ),
        (json!(false), json!(true), json!(30))
    );
    for slug in imported.iter().chain(&skipped) {
        circle(&ctx, &viewer, slug).await;
    }

    // Re-uploading imports nothing new.
    let again = upload_and_wait_report(&ctx, &key, seed_csv()).await;
    assert_eq!(again["imported"], json!([]), "{again}");
    assert_eq!(strings(&again["skipped"]).len(), SEED_SLUGS, "{again}");
    // Public seed circles are listed; private ones are not.
    let listed = ctx
        .call("GET", "/rides/circles?search=unam-f&limit=100", viewer.bearer(), None)
        .await
        .expect(200);
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["slug"] == json!("unam-fciencias")),
        "{listed}"
    );
    let private = ctx
        .call(
            "GET",
            "/rides/circles?search=inventive&limit=100",
            viewer.bearer(),
            None,
        )
        .await
        .expect(200);
    assert!(
        private["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["slug"] != json!("inventive")),
        "{private}"
    );
}

#[tokio::test]
async fn a_csv_with_bad_lines_imports_the_good_ones_and_reports_each_bad_line() {
    let ctx = Ctx::new().await;
    let viewer = user(&ctx).await;
    let tag = unique_tag();
    let csv = format!(
        "name,slug_name,is_public,verified,members_limit\n\
         Good One,good-{tag},1,0,0\n\
         Bad Slug,Bad Slug {tag},1,0,0\n\
         \"Limited, Two\",limited-{tag},0,1,25\n\
         Too Few,few-{tag},1,1,5\n\
         Short line,short-{tag}\n\
         Maybe,maybe-{tag},yes,0,0\n"
    );
    let key = format!("imports/circles/bad-{tag}.csv");
    let report = upload_and_wait_report(&ctx, &key, csv.into_bytes()).await;
    assert_eq!(
        strings(&report["imported"]),
        [format!("good-{tag}"), format!("limited-{tag}")],
        "{report}"
    );
    let lines: Vec<u64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 5, 6, 7], "{report}");
    for error in report["errors"].as_array().unwrap() {
        assert!(!error["message"].as_str().unwrap_or_default().is_empty(), "{error}");
    }
    let limited = circle(&ctx, &viewer, &format!("limited-{tag}")).await;
    assert_eq!(
        (
            limited["name"].clone(),
            limited["members_limit"].clone(),
            limited["verified"].clone()
        ),
        (json!("Limited, Two"), json!(25), json!(true))
    );
    ctx.call("GET", &circles_path(&format!("few-{tag}")), viewer.bearer(), None)
        .await
        .expect_problem(404, None);
}

#[tokio::test]
async fn the_admin_command_imports_circles_through_the_bucket() {
    let ctx = Ctx::new().await;
    let viewer = user(&ctx).await;
    let tag = unique_tag();
    let file = std::env::temp_dir().join(format!("rides-admin-{tag}.csv"));
    std::fs::write(
        &file,
        format!("name,slug_name,is_public,verified,members_limit\nAdmin Import,admin-{tag},1,1,0\n"),
    )
    .unwrap();
    let stdout = rides_admin_ok(&ctx, &["import-circles", "--file", file.to_str().unwrap()]).await;
    std::fs::remove_file(&file).ok();
    let report: Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("report is not JSON ({e}): {stdout}"));
    assert_eq!(strings(&report["imported"]), [format!("admin-{tag}")], "{report}");
    assert_eq!(
        circle(&ctx, &viewer, &format!("admin-{tag}")).await["verified"],
        json!(true)
    );
    // The object went through the imports bucket, report next to it.
    let bucket = ctx.env.var("RIDES_IMPORTS_BUCKET");
    let key = format!("imports/circles/rides-admin-{tag}.csv");
    assert!(object(&ctx, bucket, &key).await.is_some());
    assert!(object(&ctx, bucket, &format!("{key}.report.json")).await.is_some());
}

/// Downloads an export through its presigned URL and returns its CSV lines.
async fn download(ctx: &Ctx, export: &Value) -> Vec<String> {
    let url = export["url"]
        .as_str()
        .unwrap_or_else(|| panic!("export without url: {export}"));
    let response = ctx
        .http
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert_eq!(response.status().as_u16(), 200, "GET {url}");
    response.text().await.unwrap().lines().map(str::to_string).collect()
}

#[tokio::test]
async fn todays_rides_are_exported_as_csv_with_a_download_url() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 2).await;
    let (driver, member) = (&users[0], &users[1]);
    let slug = circle_with_members(&ctx, driver, std::slice::from_ref(member), json!({})).await;
    let ride = ctx
        .call(
            "POST",
            &rides_path(&slug),
            driver.bearer(),
            Some(&ride_body(2, 11, 120)),
        )
        .await
        .expect(201);
    ctx.call(
        "POST",
        &format!("{}/join", ride_path(&slug, &id(&ride))),
        member.bearer(),
        None,
    )
    .await
    .expect(200);
    let ride_day = ride["departure_date"].as_str().unwrap()[..10].to_string();

    for export in [
        fire_schedule(&ctx, "RidesExportFunction").await,
        serde_json::from_str(rides_admin_ok(&ctx, &["export-rides"]).await.trim()).unwrap(),
    ] {
        let key = export["key"]
            .as_str()
            .unwrap_or_else(|| panic!("export without key: {export}"));
        assert!(
            key.starts_with(&format!("exports/rides/{}/", export["day"].as_str().unwrap())),
            "{export}"
        );
        let stored = object(&ctx, ctx.env.var("RIDES_EXPORTS_BUCKET"), key)
            .await
            .expect("the export object exists");
        let lines = download(&ctx, &export).await;
        assert_eq!(String::from_utf8(stored).unwrap().lines().collect::<Vec<_>>(), lines);
        assert_eq!(
            lines[0],
            "id,passengers,departure_location,departure_date,arrival_location,arrival_date,rating"
        );
        assert_eq!(export["rides"].as_u64().unwrap() as usize, lines.len() - 1, "{export}");
        let row = lines.iter().find(|l| l.starts_with(&id(&ride)));
        if export["day"] == json!(ride_day) {
            let row = row.unwrap_or_else(|| panic!("ride {} not in the export {lines:?}", id(&ride)));
            assert_eq!(
                row,
                &format!(
                    "{},{},Ciudad Universitaria,{},Santa Fe,{},",
                    id(&ride),
                    member.username,
                    ride["departure_date"].as_str().unwrap(),
                    ride["arrival_date"].as_str().unwrap()
                )
            );
        } else {
            // The ride leaves tomorrow (the test ran just before midnight UTC).
            assert!(row.is_none(), "{lines:?}");
        }
    }
}

#[tokio::test]
async fn an_imported_circle_gets_an_admin_by_admin_command_and_then_members() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 2).await;
    let (ana, bob) = (&users[0], &users[1]);
    let tag = unique_tag();
    let slug = format!("imported-{tag}");
    let csv = format!("name,slug_name,is_public,verified,members_limit\nImported {tag},{slug},1,0,10\n");
    let report = upload_and_wait_report(&ctx, &format!("imports/circles/one-{tag}.csv"), csv.into_bytes()).await;
    assert_eq!(strings(&report["imported"]), [slug.as_str()], "{report}");
    assert_eq!(circle(&ctx, ana, &slug).await["members_count"], json!(0));

    rides_admin_ok(
        &ctx,
        &["add-circle-admin", "--circle", &slug, "--username", &ana.username],
    )
    .await;
    let admin = membership(&ctx, ana, &slug, &ana.username).await;
    assert_eq!(
        (admin["is_admin"].clone(), admin["remaining_invitations"].clone()),
        (json!(true), json!(10)),
        "{admin}"
    );
    let code = codes(&ctx, ana, &slug).await.remove(0);
    join(&ctx, bob, &slug, &code).await.expect(201);
    assert_eq!(circle(&ctx, bob, &slug).await["members_count"], json!(2));
    // Promoting an existing member keeps one membership.
    rides_admin_ok(
        &ctx,
        &["add-circle-admin", "--circle", &slug, "--username", &bob.username],
    )
    .await;
    assert_eq!(
        membership(&ctx, ana, &slug, &bob.username).await["is_admin"],
        json!(true)
    );
    assert_eq!(circle(&ctx, bob, &slug).await["members_count"], json!(2));
    let (ok, _, stderr) = rides_admin(
        &ctx,
        &[
            "add-circle-admin",
            "--circle",
            &slug,
            "--username",
            "nobody-has-this-name",
        ],
    )
    .await;
    assert!(!ok && stderr.contains("no account"), "{stderr}");
}
